"""The custom actions, as the Rasa engine runs them.

Most tests run an action in this process, as Rasa's own reference bots test theirs: its
`run()` with a `rasa_sdk.Tracker` made from a tracker state (`Tracker.from_dict`, with the
slots domain.yml declares), a `CollectingDispatcher`, and no domain (bot/stack.py has Rasa
send none); they check the events it returns and the messages it sends. The others drive the
real actions server (`python -m actions.server`, the suite's shared stack) as the engine
does, POSTing next_action and the tracker to /webhook: the action-server protocol itself.
Both read the knowledge base the suite builds from data/; what a test expects is read from it
through knowledge/, never written in.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import context
from knowledge import models
from knowledge.constraints import Constraints, parse_constraints
from knowledge.occupations import ONTARIO, occupation_title, wage_for
from knowledge.recommender import recommend, satisfies
from knowledge.resolver import index_from_database, resolve_title, set_default_index
from knowledge.settings import PROJECT_ROOT
from tests.conftest import Stacks
from tests.e2e.checks import (
    assert_payload_matches_db,
    assert_payload_schema,
    assert_programs_fit,
    money_figures,
    program_violations,
    wage_figures,
)

DOMAIN = YAML(typ="safe").load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
# The custom actions and the slots (with their initial values) as domain.yml declares them.
ACTIONS = set(DOMAIN["actions"])
SLOTS: dict[str, Any] = {name: slot.get("initial_value")
                         for name, slot in DOMAIN["slots"].items()}
# The actions by name, found as `python -m actions.server --actions actions` finds them.
EXECUTOR = ActionExecutor()
EXECUTOR.register_package("actions")


@pytest.fixture(scope="module", autouse=True)
def knowledge_base(sqlite_url: str) -> Iterator[None]:
    """The suite's knowledge base for the actions run in this process (actions/context.py
    reads PATHFINDER_DATABASE_URL) and for the resolver the tests take their expectations
    from (the process-wide index, which the actions use too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATHFINDER_DATABASE_URL", sqlite_url)
        context.reset_sessions()  # none made on another knowledge base
        set_default_index(index_from_database(sqlite_url))
        try:
            yield
        finally:
            set_default_index(None)
            context.reset_sessions()  # none left on this one


@pytest.fixture(scope="module")
def server(stacks: Stacks) -> str:
    """The shared stack's actions server (on the same knowledge base); no engine needed."""
    return stacks.engine(("actions",)).actions_url


def tracker(text: str, intent: str, entities: Sequence[tuple[str, str]] = (),
            slots: dict[str, Any] | None = None,
            events: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A tracker state as the engine sends it, after the user's `text`."""
    unknown = set(slots or {}) - set(SLOTS)
    assert not unknown, f"domain.yml has no slot {unknown}"
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
              "entities": [{"entity": name, "value": value, "start": 0, "end": 0}
                           for name, value in entities]}
    return {
        "sender_id": f"test-{uuid.uuid4().hex[:8]}",
        "slots": {**SLOTS, **(slots or {})},
        "latest_message": latest,
        "events": [*events, {"event": "user", "timestamp": time.time(), "text": text,
                             "parse_data": latest}],
        "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": "action_listen", "latest_event_time": time.time(),
    }


def run_state(action: str, state: dict[str, Any]) -> dict[str, Any]:
    """The action's run() in this process: the events it returns and the messages its
    CollectingDispatcher holds, through JSON as the actions server answers them."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(EXECUTOR.actions[action](dispatcher, Tracker.from_dict(state), {}))
    result: dict[str, Any] = json.loads(json.dumps(
        {"events": events, "responses": dispatcher.messages}))
    return result


def run_action(action: str, text: str, intent: str = "inform_job",
               entities: Sequence[tuple[str, str]] = (), slots: dict[str, Any] | None = None,
               events: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return run_state(action, tracker(text, intent, entities, slots, events))


def post_state(server: str, action: str, state: dict[str, Any]) -> dict[str, Any]:
    """The actions server's answer to the engine's request (no domain: see bot/stack.py)."""
    body = {"next_action": action, "sender_id": "test", "version": "3.6.21", "tracker": state}
    response = httpx.post(f"{server}/webhook", json=body, timeout=90)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def post_action(server: str, action: str, text: str, intent: str = "inform_job",
                entities: Sequence[tuple[str, str]] = (), slots: dict[str, Any] | None = None,
                events: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return post_state(server, action, tracker(text, intent, entities, slots, events))


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def texts(result: dict[str, Any]) -> str:
    return "\n".join(r.get("text") or "" for r in result["responses"])


def payloads(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["custom"] for r in result["responses"] if r.get("custom")]


def buttons(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for r in result["responses"] for b in r.get("buttons") or []]


def responses(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages that are fixed replies: responses of domain.yml, which the engine renders
    in the conversation's language, filling their {placeholders} from the message."""
    said = [r for r in result["responses"] if r.get("response")]
    assert {r["response"] for r in said} <= set(DOMAIN["responses"]), said
    return said


# --- the server -------------------------------------------------------------------------------

def test_the_server_serves_every_custom_action_of_the_domain(server: str) -> None:
    listed = {a["name"] for a in httpx.get(f"{server}/actions", timeout=10).json()}
    assert listed >= ACTIONS


@pytest.mark.parametrize(("action", "text", "intent", "entities", "slots"), [
    ("action_resolve_job", "I'm a cashier, online only", "inform_job",
     [("job_title", "cashier")], {}),
    ("action_recommend", "cheaper than $500 please", "inform_constraint", [],
     {"current_noc": "65100", "language": "fr"}),
    ("action_search_by_skill", "Which programs teach CNC?", "search_by_skill",
     [("skill", "CNC")], {}),
], ids=["resolve", "recommend", "skill"])
def test_the_server_answers_as_the_action_runs_in_process(
        server: str, action: str, text: str, intent: str,
        entities: list[tuple[str, str]], slots: dict[str, Any]) -> None:
    """What the in-process tests see is what the engine gets from the server."""
    state = tracker(text, intent, entities, slots)
    assert post_state(server, action, state) == run_state(action, state)


# --- action_resolve_job -----------------------------------------------------------------------

def test_a_clear_title_sets_the_resolvers_occupation(server: str) -> None:
    expected = resolve_title("cashier")
    assert expected.status == "clear"
    result = post_action(server, "action_resolve_job", "I'm a cashier",
                         entities=[("job_title", "cashier")])
    slots = slot_events(result)
    assert slots["current_noc"] == expected.candidates[0].noc
    assert payloads(result)[0]["occupation"]["noc"] == slots["current_noc"]  # and programs


def test_an_ambiguous_title_asks_back_with_buttons(db: Session) -> None:
    expected = resolve_title("driver")
    assert expected.status == "ambiguous"
    result = run_action("action_resolve_job", "I was a driver",
                        entities=[("job_title", "driver")])
    assert not payloads(result)  # no programs before the learner has chosen
    offered = buttons(result)
    nocs = [c.noc for c in expected.candidates][: len(offered)]
    assert [b["payload"] for b in offered] == [f'/choose_occupation{{"noc":"{n}"}}' for n in nocs]
    for button, noc in zip(offered, nocs, strict=True):
        occupation = db.get(models.Occupation, noc)
        assert occupation is not None and button["title"] == occupation.title_en


def test_french_buttons_use_french_titles(db: Session) -> None:
    result = run_action("action_resolve_job", "j'étais chauffeur",
                        entities=[("job_title", "chauffeur"), ("language", "fr")],
                        slots={"language": "fr"})
    offered = buttons(result)
    assert offered, texts(result)
    for button in offered:
        noc = button["payload"].split('"')[3]
        occupation = db.get(models.Occupation, noc)
        assert occupation is not None and button["title"] == occupation.title_fr


def test_a_title_split_in_two_entities_is_read_whole(server: str) -> None:
    text = "I'm a medical administrative assistant"
    state = tracker(text, "inform_job")
    state["latest_message"]["entities"] = [
        {"entity": "job_title", "value": "medical", "start": 6, "end": 13},
        {"entity": "job_title", "value": "administrative assistant", "start": 14, "end": 38}]
    result = post_state(server, "action_resolve_job", state)
    assert slot_events(result)["current_noc"] == \
        resolve_title("medical administrative assistant").candidates[0].noc


def test_a_button_payload_chooses_that_occupation() -> None:
    result = run_action("action_resolve_job", '/choose_occupation{"noc":"73300"}',
                        intent="choose_occupation", entities=[("noc", "73300")])
    slots = slot_events(result)
    assert slots["current_noc"] == "73300"
    assert payloads(result)[0]["occupation"]["noc"] == "73300"


def test_a_forged_button_payload_is_not_trusted() -> None:
    result = run_action("action_resolve_job", '/choose_occupation{"noc":"99999"}',
                        intent="choose_occupation", entities=[("noc", "99999")])
    slots = slot_events(result)
    assert "current_noc" not in slots or slots["current_noc"] is None
    assert not payloads(result)


@pytest.mark.parametrize(("typed", "index"), [("the second one", 1), ("le premier", 0),
                                              ("3", 2), ("I'll take the last one", -1)])
def test_an_ordinal_typed_after_the_buttons_picks_that_button(typed: str,
                                                               index: int) -> None:
    asked = run_action("action_resolve_job", "driver", entities=[("job_title", "driver")])
    offered = buttons(asked)
    assert len(offered) >= 4
    bot_event = {"event": "bot", "timestamp": time.time(), "text": asked["responses"][0]["text"],
                 "data": {"buttons": offered}}
    user_event = {"event": "user", "timestamp": time.time(), "text": "driver",
                  "parse_data": {"intent": {"name": "inform_job"}, "entities": []}}
    result = run_action("action_resolve_job", typed, intent="choose_occupation",
                        events=[user_event, bot_event])
    slots = slot_events(result)
    assert f'{{"noc":"{slots["current_noc"]}"}}' in offered[index]["payload"]
    assert payloads(result)[0]["occupation"]["noc"] == slots["current_noc"]


def test_an_unknown_title_says_so_and_offers_sectors() -> None:
    assert resolve_title("youtuber").status == "none"
    result = run_action("action_resolve_job", "I am a youtuber",
                        entities=[("job_title", "youtuber")])
    assert not payloads(result)
    # "I could not find a job called "youtuber"": the title said back.
    assert ("utter_no_occupation", "youtuber") in [
        (r["response"], r.get("quoted")) for r in responses(result)]
    offered = buttons(result)
    assert offered and all(b["payload"].startswith("/search_by_skill") for b in offered)


def test_a_target_job_is_resolved_too() -> None:
    expected = resolve_title("registered nurse")
    result = run_action("action_resolve_job",
                        "I'm a cashier and want to become a registered nurse",
                        entities=[("job_title", "cashier"), ("target_job", "registered nurse")])
    slots = slot_events(result)
    assert slots["target_noc"] == expected.candidates[0].noc
    assert slots["current_noc"] == resolve_title("cashier").candidates[0].noc


def test_an_ambiguous_target_is_asked_with_target_buttons() -> None:
    assert resolve_title("technician").status == "ambiguous"
    asked = run_action("action_resolve_job", "I'm a cashier and want to be a technician",
                       entities=[("job_title", "cashier"), ("target_job", "technician")])
    slots = slot_events(asked)
    assert slots["current_noc"] == resolve_title("cashier").candidates[0].noc
    assert not payloads(asked)
    offered = buttons(asked)
    assert offered and all('"target_job"' in b["payload"] for b in offered)
    noc = offered[0]["payload"].split('"')[3]
    clicked = run_action("action_resolve_job", offered[0]["payload"],
                         intent="choose_occupation",
                         entities=[("noc", noc), ("target_job", offered[0]["title"])],
                         slots={"current_noc": slots["current_noc"],
                                "target_job": "technician"})
    assert slot_events(clicked)["target_noc"] == noc
    assert payloads(clicked)[0]["target_occupation"]["noc"] == noc


# --- constraints, read by the actions that open a learner's turn ----------------------------

@pytest.mark.parametrize("action", ["action_recommend", "action_resolve_job"])
def test_constraints_are_parsed_from_the_message(action: str) -> None:
    text = "online programs under $800 please, I want to change careers"
    result = run_action(action, text, intent="inform_constraint")
    slots = slot_events(result)
    assert slots["constraints"] == parse_constraints(text).to_dict()
    assert slots["goal"] == "change_career"
    # Nothing shown yet, so nothing to confirm: the job is asked for.
    assert result["responses"] == [{**result["responses"][0], "response": "utter_ask_job_title"}]


def test_a_constraint_in_the_job_message_shapes_the_first_list(db: Session) -> None:
    result = run_action("action_resolve_job", "I'm a cashier, online only",
                        entities=[("job_title", "cashier")])
    programs = payloads(result)[0]["programs"]
    assert programs and all(p["delivery"] == "online" for p in programs)


def test_a_changed_constraint_after_results_is_said_back() -> None:
    previous = {"max_cost": 800.0, "delivery": ["online"]}
    result = run_action("action_recommend", "actually, less than 500 dollars",
                        intent="inform_constraint",
                        slots={"constraints": previous, "last_program_ids": ["x"]})
    updated = slot_events(result)["constraints"]
    assert updated == parse_constraints("actually, less than 500 dollars",
                                        Constraints.from_dict(previous)).to_dict()
    assert texts(result).startswith("Okay: ") and "$500" in texts(result)


# --- action_recommend and action_show_cheaper ---------------------------------------------------

def _recommend(noc: str, constraints: dict[str, Any],
               lang: str = "en") -> dict[str, Any]:
    return run_action("action_recommend", "show me programs",
                      intent="ask_recommendations",
                      slots={"current_noc": noc, "constraints": constraints, "language": lang})


def test_recommendations_fit_the_constraints_and_follow_the_schema(server: str,
                                                                    db: Session) -> None:
    noc = resolve_title("cashier").candidates[0].noc
    constraints = {"max_cost": 800.0, "delivery": ["online"]}
    result = post_action(server, "action_recommend", "show me programs",
                         intent="ask_recommendations",
                         slots={"current_noc": noc, "constraints": constraints})
    [payload] = payloads(result)
    assert_payload_schema(payload, "en")
    assert_payload_matches_db(db, payload)
    ids = [p["id"] for p in payload["programs"]]
    assert 1 <= len(ids) <= 5
    assert_programs_fit(db, ids, Constraints.from_dict(constraints))
    assert slot_events(result)["last_program_ids"] == ids
    text = texts(result)
    for program in payload["programs"]:
        assert program["title"] in text
    assert [r.get("response") for r in result["responses"][-2:]] == \
        ["utter_what_next", "utter_ask_helpful"]
    # The wage line: every dollar figure in it is one of the Wage table's.
    wage = wage_for(db, noc, ONTARIO)
    assert wage is not None
    assert payload["wage"]["median"] is not None
    assert Decimal(str(payload["wage"]["median"])) == wage.median
    wage_text = next(r["text"] for r in result["responses"]
                     if r.get("text") and str(wage.year) in r["text"])
    assert money_figures(wage_text) and set(money_figures(wage_text)) <= wage_figures(wage)


def test_was_this_helpful_is_asked_after_the_first_list_only() -> None:
    noc = resolve_title("cashier").candidates[0].noc
    asked = {"event": "bot", "timestamp": time.time(), "text": "Is this list helpful?",
             "data": {"buttons": [{"title": "Yes, thanks",
                                   "payload": '/rate_recommendations{"helpful":"yes"}'}]}}
    later = run_action("action_recommend", "show me programs",
                       intent="ask_recommendations", slots={"current_noc": noc},
                       events=[asked])
    assert payloads(later)[0]["programs"]
    assert "utter_ask_helpful" not in [r.get("response") for r in later["responses"]]


def test_french_slot_gives_french_text() -> None:
    noc = resolve_title("cashier").candidates[0].noc
    result = _recommend(noc, {}, lang="fr")
    [payload] = payloads(result)
    assert_payload_schema(payload, "fr")
    assert texts(result).startswith("Voici")
    assert " programs " not in texts(result)


def test_an_impossible_constraint_names_what_blocks(db: Session) -> None:
    noc = resolve_title("cashier").candidates[0].noc
    result = _recommend(noc, {"max_cost": 0, "max_hours": 1})
    [payload] = payloads(result)
    assert payload["programs"] == []
    assert slot_events(result)["last_program_ids"] == []
    text = texts(result).lower()
    assert "free" in text or "hour" in text, text


def _costs(db: Session, ids: Sequence[str]) -> dict[str, Decimal]:
    rows = {pid: db.get(models.Program, pid) for pid in ids}
    assert all(rows.values()), f"not in the catalog: {[k for k, v in rows.items() if v is None]}"
    return {pid: row.cost for pid, row in rows.items() if row is not None}


def _cheaper_than(db: Session, noc: str, wanted: Constraints, floor: Decimal,
                  shown: Sequence[str]) -> tuple[set[str], set[str]]:
    """The programs a learner with this job and these constraints could be shown that cost
    less than ``floor``: those the catalog tags for the job (read from its rows: always worth
    showing) and all those the recommender finds for the same question (not only five)."""
    tagged = {pid for pid in db.scalars(select(models.ProgramOccupation.program_id)
                                        .where(models.ProgramOccupation.noc == noc))
              if not program_violations(db, pid, wanted)}
    found = {m.id for m in recommend(db, target_noc=None, current_noc=noc, goal=None,
                                     constraints=wanted, lang="en", limit=10_000).programs}
    below = {pid for pid, cost in _costs(db, sorted(tagged | found)).items()
             if cost < floor and pid not in shown}
    return below & tagged, below & found


# Learners asking for cheaper programs: a job, the constraints they gave, their language.
CHEAPER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("cashier", {}, "en"), ("cook", {}, "fr"), ("RPN", {}, "en"), ("bookkeeper", {}, "fr"),
    ("construction manager", {}, "en"), ("RPN", {"delivery": ["online"]}, "en"),
    ("bookkeeper", {"max_cost": 300.0}, "en"),
]


@pytest.mark.parametrize(("title", "constraints", "lang"), CHEAPER_CASES,
                         ids=[f"{t}-{'-'.join(c) or 'any'}-{lang}" for t, c, lang in CHEAPER_CASES])
def test_cheaper_programs_cost_less_than_the_cheapest_shown(
        db: Session, title: str, constraints: dict[str, Any], lang: str) -> None:
    """"Cheaper" until there is nothing cheaper: each list costs less than the cheapest of the
    one before, keeps the constraints and is as long as the catalog allows; "nothing cheaper"
    (the programs shown are the lowest-cost ones) only when no program fits below it."""
    noc = resolve_title(title).candidates[0].noc
    wanted = Constraints.from_dict(constraints)
    first = payloads(_recommend(noc, constraints, lang))[0]["programs"]
    assert first, (title, constraints)
    shown = [p["id"] for p in first]
    for step in range(10):
        floor = min(_costs(db, shown).values())
        tagged_below, found_below = _cheaper_than(db, noc, wanted, floor, shown)
        assert tagged_below <= found_below
        result = run_action("action_show_cheaper", "cheaper please", intent="ask_cheaper",
                            slots={"current_noc": noc, "constraints": constraints,
                                   "language": lang, "last_program_ids": shown})
        said = [r["response"] for r in responses(result)]
        if not found_below:
            # "The programs I showed you are the lowest-cost ones", and the list stays.
            assert said == ["utter_nothing_cheaper"], (step, floor, texts(result))
            assert payloads(result) == []
            assert "last_program_ids" not in slot_events(result)
            break
        assert "utter_nothing_cheaper" not in said, (step, floor, sorted(found_below))
        [payload] = payloads(result)
        ids = [p["id"] for p in payload["programs"]]
        assert len(ids) == min(5, len(found_below)), (step, floor, ids, sorted(found_below))
        assert set(ids) <= found_below and not set(ids) & set(shown)
        assert all(cost < floor for cost in _costs(db, ids).values()), (step, floor)
        assert_programs_fit(db, ids, wanted)
        assert_payload_matches_db(db, payload)
        assert slot_events(result)["last_program_ids"] == ids
        cheaper_word = "moins chère" if lang == "fr" else "cheaper"
        assert cheaper_word in texts(result).splitlines()[0]
        shown = ids
    else:
        raise AssertionError(f"{title}: still cheaper after 10 lists")


def test_the_cheaper_cases_meet_both_answers(db: Session) -> None:
    """The catalog has cheaper programs after the first list for some of CHEAPER_CASES (so
    the test above sees "cheaper" lists) and none for others ("nothing cheaper")."""
    first_answers: set[str] = set()
    for title, constraints, lang in CHEAPER_CASES:
        noc = resolve_title(title).candidates[0].noc
        shown = [p["id"] for p in payloads(_recommend(noc, constraints, lang))[0]["programs"]]
        tagged_below, found_below = _cheaper_than(
            db, noc, Constraints.from_dict(constraints), min(_costs(db, shown).values()), shown)
        first_answers.add("cheaper" if found_below else "nothing cheaper")
        if tagged_below:
            first_answers.add("cheaper, tagged for the job")
    assert first_answers == {"cheaper", "nothing cheaper", "cheaper, tagged for the job"}


def test_recommend_without_a_job_asks_for_it() -> None:
    result = run_action("action_recommend", "programs?", intent="ask_recommendations")
    assert [r["response"] for r in result["responses"]] == ["utter_ask_job_title"]


# --- labour market ----------------------------------------------------------------------------

def test_wage_answer_uses_the_wage_table(db: Session) -> None:
    noc = resolve_title("welder").candidates[0].noc
    wage = wage_for(db, noc, ONTARIO)
    assert wage is not None
    result = run_action("action_explain_wage", "how much does it pay?",
                        intent="ask_wage", slots={"current_noc": noc})
    figures = money_figures(texts(result))
    assert figures and set(figures) <= wage_figures(wage)
    assert str(wage.year) in texts(result)


def test_become_one_after_a_question_about_a_jobs_pay_is_that_job() -> None:
    """"how much do welders make?", then "what programs would help me become one?"; the
    question alone sets nothing ("I'm a PSW" next is still asked which PSW)."""
    welder = resolve_title("welder").candidates[0].noc
    question = "how much do welders make in Ontario?"
    asked = run_action("action_explain_wage", question, intent="ask_wage",
                       entities=[("job_title", "welders")])
    assert slot_events(asked) == {}
    history = [{"event": "user", "timestamp": time.time(), "text": question,
                "parse_data": {"intent": {"name": "ask_wage", "confidence": 1.0},
                               "entities": [{"entity": "job_title", "value": "welders"}]}}]
    listed = run_action("action_recommend", "what programs would help me become one?",
                        intent="ask_recommendations", events=history)
    [payload] = payloads(listed)
    assert payload["target_occupation"]["noc"] == welder and payload["programs"]
    assert resolve_title("PSW").status == "ambiguous"
    psw = run_action("action_resolve_job", "I'm a PSW", entities=[("job_title", "PSW")],
                     events=history)
    assert [r["response"] for r in responses(psw)] == ["utter_ask_which_job"]


def test_missing_wage_data_is_said_not_invented(db: Session) -> None:
    with_wage = {w.noc for w in db.query(models.Wage)}
    noc = next(o.noc for o in db.query(models.Occupation).order_by(models.Occupation.noc)
               if o.noc not in with_wage)
    result = run_action("action_explain_wage", "wages?", intent="ask_wage",
                        slots={"current_noc": noc})
    assert "don't have wage data" in texts(result)
    assert money_figures(texts(result)) == []


def test_outlook_answer_for_current_and_target(db: Session) -> None:
    result = run_action("action_explain_outlook", "is it a good job?",
                        intent="ask_outlook",
                        slots={"current_noc": "65100", "target_noc": "31301"})
    said = [r["text"] for r in result["responses"] if r.get("text")]
    assert len(said) == 2
    for noc, text in zip(("31301", "65100"), said, strict=True):
        occupation = db.get(models.Occupation, noc)
        assert occupation is not None and occupation.title_en in text


# --- a field or skill as the goal -------------------------------------------------------------

def _teaches(db: Session, program_id: str, skill: str) -> bool:
    return db.scalar(select(models.ProgramSkill.program_id).where(
        models.ProgramSkill.program_id == program_id,
        models.ProgramSkill.skill_code == skill)) is not None


@pytest.mark.parametrize(("text", "lang"), [
    ("I want to get into machine learning", "en"),
    ("je veux apprendre l'apprentissage automatique", "fr"),
])
def test_a_wanted_field_lists_programs_about_it(db: Session, text: str, lang: str) -> None:
    result = run_action("action_recommend", text, intent="state_goal",
                        slots={"language": lang})
    [payload] = payloads(result)
    shown = [p["id"] for p in payload["programs"]]
    assert shown and all(_teaches(db, p, "machine-learning") for p in shown)
    assert slot_events(result).get("target_topic")  # remembered for "cheaper", "online" next


def test_cheaper_stays_on_the_field_and_is_strictly_cheaper(db: Session) -> None:
    first = run_action("action_recommend", "I want to learn first aid", intent="state_goal")
    [payload] = payloads(first)
    shown = [p["id"] for p in payload["programs"]]
    slots = slot_events(first)
    assert shown and slots.get("target_topic")
    dearest = max(p["cost"] for p in payload["programs"])
    dearest_id = next(p["id"] for p in payload["programs"] if p["cost"] == dearest)
    more = run_action("action_show_cheaper", "cheaper ones?", intent="ask_cheaper",
                      slots={"target_topic": slots["target_topic"],
                             "last_program_ids": [dearest_id]})
    for item in (payloads(more) or [{"programs": []}])[0]["programs"]:
        assert item["cost"] < dearest and _teaches(db, item["id"], "first-aid-cpr")


def test_a_skill_said_in_passing_does_not_rank_a_welders_programs(db: Session) -> None:
    # "I know Excel" (a skill entity, the `skill` slot) or a sector button earlier: the
    # learner still wants welding programs, not spreadsheet ones.
    result = run_action("action_recommend", "show me programs", intent="ask_recommendations",
                        slots={"target_noc": "72106", "skill": "Excel"})
    [payload] = payloads(result)
    shown = [p["id"] for p in payload["programs"]]
    assert shown and not any(_teaches(db, p, "excel") for p in shown)


def test_a_field_of_several_occupations_is_asked_back_with_target_buttons() -> None:
    asked = run_action("action_recommend", "I want to work in health-care administration",
                       intent="state_goal")
    assert not payloads(asked)
    assert [r["response"] for r in responses(asked)] == ["utter_ask_which_target"]
    offered = buttons(asked)
    assert len(offered) > 1 and all('"target_job"' in b["payload"] for b in offered)



def test_an_answer_that_describes_the_job_picks_among_the_offered_ones() -> None:
    """After "PSW" (nurse aides or home support workers?), the learner answers in words, not
    with a button: their workplace tells the two apart (NOC 2021: PSWs in nursing homes and
    hospitals are 33102, those visiting clients at home 44101)."""
    asked = run_action("action_resolve_job", "PSW", entities=[("job_title", "PSW")])
    offered = buttons(asked)
    nocs = {b["payload"].split('"')[3] for b in offered}
    assert {"33102", "44101"} <= nocs, offered
    history = [{"event": "user", "timestamp": time.time(), "text": "PSW",
                "parse_data": {"intent": {"name": "inform_job"}, "entities": []}},
               {"event": "bot", "timestamp": time.time(),
                "text": asked["responses"][0]["text"], "data": {"buttons": offered}}]
    for answer, noc in [("I work in a nursing home", "33102"),
                        ("I do home care visits", "44101")]:
        result = run_action("action_resolve_job", answer, events=history)
        assert slot_events(result)["current_noc"] == noc, answer
        assert payloads(result)[0]["occupation"]["noc"] == noc
    # A new job typed instead is that job, not one of the offered ones.
    welder = run_action("action_resolve_job", "welder", entities=[("job_title", "welder")],
                        events=history)
    assert slot_events(welder)["current_noc"] == resolve_title("welder").candidates[0].noc
    # Nor is an answer naming another job where a PSW works ("for a hospital").
    driver = run_action("action_resolve_job", "I drive a truck for a hospital", events=history)
    assert slot_events(driver).get("current_noc") not in nocs


def test_a_newcomer_wanting_their_own_job_here_is_not_asked_for_another() -> None:
    """"I was an accountant back home, I want to work as an accountant here": the job they
    want is the one they have, not a question among other jobs."""
    noc = resolve_title("accountant").candidates[0].noc
    assert resolve_title("accountant").status == "clear"
    result = run_action("action_resolve_job",
                        "I was an accountant back home, I want to work as an accountant here",
                        entities=[("job_title", "accountant"), ("target_job", "accountant")])
    slots = slot_events(result)
    assert slots["current_noc"] == noc and slots["target_noc"] == noc
    assert not [b for b in buttons(result) if '"target_job"' in b["payload"]]
    # Wanting out of one's job is not wanting it: "I don't want to be a cashier anymore".
    cashier = resolve_title("cashier").candidates[0].noc
    leaving = run_action("action_resolve_job", "I'm a cashier, I don't want to be a cashier "
                         "anymore", entities=[("job_title", "cashier")])
    assert slot_events(leaving)["current_noc"] == cashier
    assert slot_events(leaving).get("target_noc") != cashier

def test_a_wanted_title_the_extractor_cut_short_is_read_whole() -> None:
    text = "i want to become a special needs educational assistant"
    whole = resolve_title("special needs educational assistant")
    assert whole.status == "clear"
    result = run_action("action_resolve_job", text, intent="state_goal",
                        entities=[("target_job", "special"),
                                  ("target_job", "educational assistant")])
    assert slot_events(result).get("target_noc") == whole.candidates[0].noc


def test_a_wanted_job_nothing_matches_is_said_once() -> None:
    result = run_action("action_resolve_job", "I'm a cashier and want to become a zorbmaster",
                        entities=[("job_title", "cashier"), ("target_job", "zorbmaster")])
    said = [r["response"] for r in responses(result)]
    assert said.count("utter_target_not_found") == 1, said
    assert slot_events(result)["current_noc"] == resolve_title("cashier").candidates[0].noc

def test_a_title_the_extractor_cut_short_is_read_whole() -> None:
    text = "im a pharmacy tech but want to get into data analytics"
    result = run_action("action_resolve_job", text,
                        entities=[("job_title", "pharmacy"), ("target_job", "data analytics")])
    assert slot_events(result).get("current_noc") == \
        resolve_title("pharmacy tech").candidates[0].noc
    assert resolve_title("pharmacy").status != "clear"  # what the cut span would have asked
    # The list is about what they want to learn, and says so (not "for your job").
    assert "data analytics" in texts(result).splitlines()[0]


def test_a_clear_wanted_job_is_not_held_up_by_asking_which_job_they_have() -> None:
    """"PSW for 3 years, I want to become an RPN": which kind of PSW they are changes
    nothing; the programs lead to the RPN job."""
    assert resolve_title("PSW").status == "ambiguous"
    rpn = resolve_title("RPN")
    assert rpn.status == "clear"
    result = run_action("action_resolve_job", "I've been a PSW for 3 years, I want to become "
                        "an RPN", entities=[("job_title", "PSW"), ("target_job", "RPN")])
    assert "utter_ask_which_job" not in [r["response"] for r in responses(result)]
    [payload] = payloads(result)
    assert payload["target_occupation"]["noc"] == rpn.candidates[0].noc
    assert payload["programs"]


def test_wanting_out_of_a_job_asks_what_they_want_before_its_programs() -> None:
    """"I'm a truck driver, I want to change careers": the programs of the job they are
    leaving are not what they came for; asked once, then a list if they go on without."""
    text = "I'm a truck driver and I want to change careers"
    asked = run_action("action_resolve_job", text, entities=[("job_title", "truck driver")])
    assert [r["response"] for r in responses(asked)] == ["utter_ask_target_job"]
    assert not payloads(asked)
    assert buttons(asked) and all(b["payload"].startswith("/search_by_skill")
                                  for b in buttons(asked))
    slots = slot_events(asked)
    assert slots["current_noc"] == resolve_title("truck driver").candidates[0].noc
    history = [{"event": "user", "timestamp": time.time(), "text": text},
               {"event": "bot", "timestamp": time.time(), "text": "What job or field ...",
                "metadata": {"utter_action": "utter_ask_target_job"}}]
    later = run_action("action_recommend", "online please", intent="inform_constraint",
                       slots=slots, events=history)
    assert "utter_ask_target_job" not in [r["response"] for r in responses(later)]
    [payload] = payloads(later)
    assert payload["occupation"]["noc"] == slots["current_noc"]
    # A field as the answer: its programs, without the old job's pay as if it were the
    # field's.
    field = run_action("action_resolve_job", "something in an office", intent="state_goal",
                       entities=[("target_job", "office")], slots=slots, events=history)
    [listed] = payloads(field)
    assert listed["programs"] and listed["wage"] is None and listed["outlook"] is None
    assert "Job Bank" not in texts(field)
    # After "start over", what was said and asked before belongs to another search.
    restarted = [*history, {"event": "reset_slots", "timestamp": time.time()}]
    again = run_action("action_resolve_job", text, entities=[("job_title", "truck driver")],
                       events=restarted)
    assert [r["response"] for r in responses(again)] == ["utter_ask_target_job"]
    laid_off = run_action("action_resolve_job", "I was laid off, I was a truck driver",
                          entities=[("job_title", "truck driver")], events=restarted)
    [theirs] = payloads(laid_off)
    assert theirs["occupation"]["noc"] == slots["current_noc"] and theirs["wage"] is not None


def test_a_skill_search_that_names_a_job_lists_that_jobs_programs() -> None:
    """"welder" read as a skill request: no catalog skill is called that, but the job is."""
    welder = resolve_title("welder")
    assert welder.status == "clear"
    result = run_action("action_search_by_skill", "welder", intent="search_by_skill",
                        entities=[("job_title", "welder")])
    assert "utter_no_skill_programs" not in [r["response"] for r in responses(result)]
    [payload] = payloads(result)
    assert payload["occupation"]["noc"] == welder.candidates[0].noc
    assert payload["programs"]
    # A request that does name a catalog skill stays a skill search.
    skill = run_action("action_search_by_skill", "which programs teach CNC to machinists?",
                       intent="search_by_skill", entities=[("skill", "CNC")])
    [listed] = payloads(skill)
    assert listed["occupation"] is None and listed["programs"]


def test_a_wish_is_kept_apart_from_the_limits_and_ranks_the_list(db: Session) -> None:
    """"actually in person is better for me" after a list: a wish (no program is left out
    for it), said back, and the programs in person first."""
    noc = "13110"
    plain = recommend(db, target_noc=noc, current_noc=None, goal=None,
                      constraints=Constraints(), lang="en", limit=10_000).programs
    in_person = {m.id for m in plain if m.delivery == "in_person"}
    assert in_person and len(in_person) < len(plain)
    result = run_action("action_recommend", "actually in person is better for me",
                        intent="inform_constraint",
                        slots={"current_noc": noc, "last_program_ids": [plain[0].id]})
    slots = slot_events(result)
    assert Constraints.from_dict(slots["preferences"]).delivery == ("in_person",)
    assert not Constraints.from_dict(slots.get("constraints")).delivery  # not a limit
    said = texts(result)
    assert "in person" in said.split("\n")[0]  # what was understood, said back first
    [payload] = payloads(result)
    listed = [p["id"] for p in payload["programs"]]
    assert listed and set(listed) <= {m.id for m in plain}
    flags = [i in in_person for i in listed]
    assert flags == sorted(flags, reverse=True) and flags[0]


@pytest.mark.parametrize(("question", "lang", "asked"), [
    ("how long are they?", "en", "length"), ("combien coûtent ces formations?", "fr", "cost"),
    ("are they in French?", "en", "language"), ("c'est-tu en ligne?", "fr", "format"),
])
def test_a_question_about_the_list_is_answered_from_it(db: Session, question: str, lang: str,
                                                        asked: str) -> None:
    """After a list, "how long are they?" gives each program's length (not a wage), in the
    list's order, from the catalog."""
    listed = recommend(db, target_noc="33102", current_noc=None, goal=None,
                       constraints=Constraints(), lang="en").programs
    assert len(listed) >= 2
    ids = [m.id for m in listed]
    result = run_action("action_describe_programs", question, intent="ask_program_details",
                        slots={"last_program_ids": ids, "language": lang})
    lines = texts(result).splitlines()
    assert len(lines) == len(ids) and not payloads(result)
    for line, program_id in zip(lines, ids, strict=True):
        program = db.get(models.Program, program_id)
        assert program is not None
        title = program.title_fr if lang == "fr" and program.title_fr else program.title_en
        assert title in line
        figures = money_figures(line)
        if asked == "cost":
            assert figures == [Decimal(program.cost)] or (program.cost == 0 and "gratuit" in line)
        else:
            assert figures == []  # only what was asked
        hours = f"{int(program.hours)}{' h' if lang == 'fr' else ' hours'}"
        assert (hours in line) == (asked == "length"), line


def test_a_question_about_programs_before_any_list_asks_for_the_job() -> None:
    result = run_action("action_describe_programs", "how much are they?",
                        intent="ask_program_details")
    assert [r["response"] for r in responses(result)] == ["utter_ask_job_title"]

# --- employer ---------------------------------------------------------------------------------

def test_programs_that_teach_cnc_name_institution_and_link(db: Session) -> None:
    result = run_action("action_search_by_skill", "Which programs teach CNC?",
                        intent="search_by_skill", entities=[("skill", "CNC")])
    [payload] = payloads(result)
    assert payload["programs"]
    text = texts(result)
    for item in payload["programs"]:
        program = db.get(models.Program, item["id"])
        assert program is not None
        assert program.url in text and item["institution"] in text
        assert program.institution.name_en == item["institution"]


def test_an_employers_constraints_filter_the_skill_search(db: Session) -> None:
    constraints = {"delivery": ["online"]}
    result = run_action("action_search_by_skill", "online Excel courses",
                        intent="search_by_skill", entities=[("skill", "Excel")],
                        slots={"constraints": constraints})
    [payload] = payloads(result)
    assert payload["programs"]
    assert_programs_fit(db, [p["id"] for p in payload["programs"]],
                        Constraints.from_dict(constraints))


@pytest.mark.parametrize(("text", "skill"), [
    ("free CNC courses in French", "CNC"),                    # a skill's closest ones
    ("free manufacturing courses in French", "Manufacturing"),  # a sector's closest ones
])
def test_an_employers_closest_programs_say_which_limit_they_break(
        db: Session, text: str, skill: str) -> None:
    limits = {"max_cost": 0, "language": "fr", "region": "ER3595"}
    result = run_action("action_search_by_skill", text, intent="search_by_skill",
                        entities=[("skill", skill)], slots={"constraints": limits})
    [payload] = payloads(result)
    assert payload["programs"] == [] and payload["alternatives"]
    for card in payload["alternatives"]:
        program = db.get(models.Program, card["id"])
        assert program is not None and card["breaks"]
        for name in limits:  # each limit named is one it breaks, and only those
            alone = Constraints.from_dict({name: limits[name]})
            assert (name in card["breaks"]) == (not satisfies(program, alone)), name
    lines = [line for line in texts(result).splitlines() if line.startswith("- ")]
    assert lines and all("Outside your limits: " in line for line in lines)


def row_of(db: Session, program_id: str) -> models.Program:
    program = db.get(models.Program, program_id)
    assert program is not None, program_id
    return program


def test_a_limit_after_an_employers_skill_list_searches_that_skill_again(db: Session) -> None:
    """"Which programs teach CNC?", then "only in person, near London ON": the same search
    under the new limits, not the learner's question about their job."""
    first = run_action("action_search_by_skill", "Which programs teach CNC programming?",
                       intent="search_by_skill", entities=[("skill", "CNC programming")])
    shown = slot_events(first)
    assert shown["last_program_ids"] and shown["skill"] == "CNC programming"
    refined = run_action("action_recommend", "only in person, near London ON",
                         intent="inform_constraint", slots=shown)
    assert "utter_ask_job_title" not in [r.get("response") for r in responses(refined)]
    wanted = Constraints.from_dict(slot_events(refined)["constraints"])
    assert wanted.delivery == ("in_person",) and wanted.region
    [payload] = payloads(refined)
    listed = [p["id"] for p in payload["programs"] or payload["alternatives"]]
    assert listed
    taught = recommend(db, target_noc=None, current_noc=None, goal=None,
                       constraints=Constraints(), lang="en", limit=10_000,
                       topic="CNC programming").programs
    assert set(listed) <= {m.id for m in taught}  # still programs about the skill
    fitting = {m.id for m in taught if satisfies(row_of(db, m.id), wanted)}
    # The catalog decides which answer is right: those that fit, else the closest with
    # what they break.
    assert {p["id"] for p in payload["programs"]} <= fitting
    assert bool(payload["programs"]) == bool(fitting)
    assert all(card["breaks"] for card in payload["alternatives"])


def test_cheaper_after_an_employers_skill_list_compares_programs_of_that_skill(
        db: Session) -> None:
    first = run_action("action_search_by_skill", "what programs do you have for project "
                       "management?", intent="search_by_skill",
                       entities=[("skill", "project management")])
    [listed] = payloads(first)
    # Cheaper than the dearest of the list (the first list holds the cheapest already).
    dearest = max(listed["programs"], key=lambda p: p["cost"])
    shown = {**slot_events(first), "last_program_ids": [dearest["id"]]}
    taught = recommend(db, target_noc=None, current_noc=None, goal=None,
                       constraints=Constraints(), lang="en", limit=10_000,
                       topic="project management").programs
    below = {m.id for m in taught if m.cost < dearest["cost"]}
    assert below, "the sample catalog has cheaper project-management programs"
    more = run_action("action_show_cheaper", "any cheaper ones?", intent="ask_cheaper",
                      slots=shown)
    assert "utter_nothing_cheaper" not in [r.get("response") for r in responses(more)]
    [payload] = payloads(more)
    ids = [p["id"] for p in payload["programs"]]
    assert ids and set(ids) <= below


@pytest.mark.parametrize(("text", "lang"), [("which is the cheapest one", "en"),
                                             ("laquelle est la moins chère?", "fr")])
def test_which_is_the_cheapest_is_answered_from_the_list_shown(
        db: Session, text: str, lang: str) -> None:
    first = run_action("action_resolve_job", "I'm a cashier", entities=[("job_title", "cashier")])
    [listed] = payloads(first)
    assert len(listed["programs"]) >= 2
    cheapest = min(listed["programs"], key=lambda p: p["cost"])
    asked = run_action("action_show_cheaper", text, intent="ask_cheaper",
                       slots={**slot_events(first), "language": lang})
    assert not payloads(asked) and not responses(asked)
    said = texts(asked)
    title = row_of(db, cheapest["id"]).title_fr if lang == "fr" else cheapest["title"]
    assert title in said and money_figures(said) == [Decimal(str(cheapest["cost"]))], said


def test_cheaper_after_a_sector_list_compares_programs_of_that_sector(db: Session) -> None:
    first = run_action("action_search_by_skill", "/search_by_skill", intent="search_by_skill",
                       entities=[("skill", "Manufacturing")])
    [listed] = payloads(first)
    dearest = max(listed["programs"], key=lambda p: p["cost"])
    shown = {**slot_events(first), "last_program_ids": [dearest["id"]]}
    sector = row_of(db, dearest["id"]).sector
    below = {p.id for p in db.scalars(select(models.Program).where(
        models.Program.sector == sector, models.Program.cost < dearest["cost"]))}
    assert below, "the sample catalog has cheaper manufacturing programs"
    more = run_action("action_show_cheaper", "anything cheaper?", intent="ask_cheaper",
                      slots={**shown, "constraints": {"delivery": ["online"]}})
    assert "utter_nothing_cheaper" not in [r.get("response") for r in responses(more)]
    [payload] = payloads(more)
    ids = [p["id"] for p in payload["programs"]]
    online = Constraints(delivery=("online",))
    assert ids and set(ids) <= {i for i in below if satisfies(row_of(db, i), online)}
    # The intro counts the programs listed.
    assert f"{len(ids)} " in texts(more).splitlines()[-len(ids) - 1], texts(more)


def test_a_learner_naming_their_job_with_a_skill_gets_the_learners_list(db: Session) -> None:
    cook = resolve_title("cook").candidates[0].noc
    result = run_action("action_search_by_skill", "cook, want to learn baking and pastry",
                        intent="search_by_skill", entities=[("job_title", "cook")])
    [payload] = payloads(result)
    assert payload["occupation"]["noc"] == cook
    baking = {m.id for m in recommend(db, target_noc=None, current_noc=None, goal=None,
                                      constraints=Constraints(), lang="en", limit=10_000,
                                      topic="baking and pastry").programs}
    ids = [p["id"] for p in payload["programs"]]
    assert ids and set(ids) <= baking


def test_a_skill_searched_without_an_entity_is_searched_again_after_a_limit() -> None:
    first = run_action("action_search_by_skill", "I want to learn baking and pastry",
                       intent="search_by_skill")
    shown = slot_events(first)
    assert shown["last_program_ids"] and shown["skill"]
    wish = run_action("action_recommend", "online if possible", intent="inform_constraint",
                      slots=shown)
    assert "utter_ask_job_title" not in [r.get("response") for r in responses(wish)]
    [payload] = payloads(wish)
    # The same programs, the wish only ranks them.
    assert sorted(p["id"] for p in payload["programs"]) == sorted(shown["last_program_ids"])


def test_the_employer_requests_the_model_learns_from_stay_skill_searches() -> None:
    """Every search_by_skill example of nlu/intents/employer.yml ("forklift training",
    "PLC training for 6 of our millwrights", "mes mécaniciens veulent apprendre ...") is
    answered as a skill search: no job asked, no learner's list."""
    yaml = YAML(typ="safe").load((PROJECT_ROOT / "nlu/intents/employer.yml").read_text("utf-8"))
    examples = [line.strip()[2:] for block in yaml["nlu"]
                if block.get("intent") == "search_by_skill"
                for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    assert len(examples) > 100
    learner_path = []
    for example in examples:
        entities = [(m.group(2), m.group(1))
                    for m in re.finditer(r"\[([^\]]+)\]\((\w+)\)", example)]
        text = re.sub(r"\[([^\]]+)\]\(\w+\)", r"\1", example)
        result = run_action("action_search_by_skill", text, intent="search_by_skill",
                            entities=entities)
        said = {r["response"] for r in responses(result)}
        if said & {"utter_ask_which_job", "utter_ask_job_title"} or any(
                p["occupation"] for p in payloads(result)):
            learner_path.append(text)
    assert not learner_path


def test_an_employer_read_as_wanting_a_job_gets_the_skill_search(db: Session) -> None:
    text = ("je suis propriétaire d'un garage à Timmins, mes mécaniciens veulent apprendre les "
            "véhicules hybrides")
    result = run_action("action_resolve_job", text, intent="state_goal",
                        entities=[("target_job", "véhicules hybrides")],
                        slots={"language": "fr"})
    assert "utter_ask_which_target" not in [r["response"] for r in responses(result)]
    [payload] = payloads(result)
    assert payload["occupation"] is None and payload["target_occupation"] is None
    taught = {m.id for m in recommend(db, target_noc=None, current_noc=None, goal=None,
                                      constraints=Constraints(), lang="fr", limit=10_000,
                                      topic="véhicules hybrides").programs}
    listed = [p["id"] for p in payload["programs"] or payload["alternatives"]]
    assert listed and set(listed) <= taught


def test_an_employers_wish_ranks_a_sector_list(db: Session) -> None:
    first = run_action("action_search_by_skill", "/search_by_skill", intent="search_by_skill",
                       entities=[("skill", "Manufacturing")])
    [payload] = payloads(first)
    assert payload["programs"]
    wish = {"delivery": ["in_person"]}
    ranked = run_action("action_search_by_skill", "/search_by_skill", intent="search_by_skill",
                        entities=[("skill", "Manufacturing")], slots={"preferences": wish})
    [wished] = payloads(ranked)
    flags = [row_of(db, p["id"]).delivery == "in_person" for p in wished["programs"]]
    assert any(flags) and flags == sorted(flags, reverse=True)

def test_a_skill_nobody_teaches_offers_sectors() -> None:
    result = run_action("action_search_by_skill", "who teaches zorbing?",
                        intent="search_by_skill", entities=[("skill", "zorbing")])
    assert payloads(result) == []
    assert buttons(result)


# --- conversation -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "entity", "expected"), [
    ("in French please", "en", "fr"),
    ("en anglais svp", "fr", "en"),
    ('/change_language{"language":"fr"}', "fr", "fr"),
])
def test_set_language(text: str, entity: str, expected: str) -> None:
    result = run_action("action_set_language", text, intent="change_language",
                        entities=[("language", entity)])
    assert slot_events(result) == {"language": expected}


def test_start_over_keeps_only_the_language() -> None:
    result = run_action("action_start_over", "recommencer", intent="start_over",
                        slots={"language": "fr", "current_noc": "65100"})
    assert result["events"][0]["event"] == "reset_slots"
    assert slot_events(result) == {"language": "fr"}


# --- bad input --------------------------------------------------------------------------------

BAD_TEXTS = ["", "x" * 10_000, "<script>alert('x')</script> cashier",
             "'; DROP TABLE programs; --", "🙂🙂🙂", "\x00\x01\ufffd junk \x7f"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("text", BAD_TEXTS, ids=["empty", "10k", "html", "sql", "emoji", "bin"])
def test_bad_input_never_breaks_an_action(action: str, text: str) -> None:
    result = run_action(action, text, intent="inform_job",
                        entities=[("job_title", text), ("skill", text)],
                        slots={"constraints": "{not json", "last_program_ids": "oops",
                               "current_noc": "<b>1</b>"})
    assert "<script>" not in texts(result)
    # Nor in what the engine fills a response's {placeholders} with.
    assert not any("<script>" in str(value) for r in responses(result) for value in r.values())


def test_a_broken_knowledge_base_gives_a_polite_message(stacks: Stacks, tmp_path: Path) -> None:
    """An actions server of its own, on an empty database: it starts, and says sorry."""
    empty = tmp_path / "empty.sqlite"
    with stacks.own("actions", database_url=f"sqlite:///{empty}") as broken:
        result = post_action(broken.actions_url, "action_resolve_job", "cashier",
                             entities=[("job_title", "cashier")])
    assert [r.get("response") for r in result["responses"]][:1] == ["utter_sorry"]
    assert "utter_sorry" in DOMAIN["responses"]
    assert slot_events(result) == {}  # no half-done turn: nothing changed


# --- what people type (issue 13) ------------------------------------------------------------

def _unsure(text: str, guesses: Sequence[str]) -> dict[str, Any]:
    """The tracker after a message the NLU was not sure of: nlu_fallback, then its guesses."""
    state = tracker(text, "nlu_fallback")
    state["latest_message"]["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45},
        *({"name": name, "confidence": 0.5 - 0.01 * n} for n, name in enumerate(guesses))]
    return state


def test_a_message_the_nlu_is_unsure_of_that_names_a_job_gets_programs() -> None:
    """inform_job and state_goal tie (nlu_fallback): the words name a job and a wish."""
    result = run_state("action_read_unsure", _unsure(
        "Hi im a uber driver want a career in logistics, can afford 2000",
        ["state_goal", "inform_job"]))
    [payload] = payloads(result)
    assert payload["occupation"]["noc"] == resolve_title("uber driver").candidates[0].noc
    assert payload["target_occupation"]["noc"] == resolve_title("logistics").candidates[0].noc
    assert payload["programs"] and all(p["cost"] <= 2000 for p in payload["programs"])
    assert slot_events(result)["constraints"]["max_cost"] == 2000


@pytest.mark.parametrize(("text", "guesses"), [
    ("what's the weather in toronto", ["out_of_scope", "chitchat"]),
    ("asdfgh jkl", ["inform_job", "state_goal"]),  # a learner's guess, but no job in the words
])
def test_a_message_the_nlu_is_unsure_of_without_a_job_is_asked_again(
        text: str, guesses: Sequence[str]) -> None:
    result = run_state("action_read_unsure", _unsure(text, guesses))
    assert [r["response"] for r in responses(result)] == ["utter_default"]
    assert not payloads(result) and not slot_events(result)


def test_of_two_wanted_jobs_the_clear_title_is_the_target() -> None:
    """"move into nursing, RPN": the field asks back, the title does not; which PSW they are
    changes nothing to go on."""
    text = "Good evening! I'm a PSW and would like to move into nursing, RPN"
    state = tracker(text, "inform_job")
    state["latest_message"]["entities"] = [
        {"entity": "job_title", "value": "PSW", "start": 18, "end": 21},
        {"entity": "target_job", "value": "nursing", "start": 49, "end": 56},
        {"entity": "target_job", "value": "RPN", "start": 58, "end": 61}]
    result = run_state("action_resolve_job", state)
    [payload] = payloads(result)
    assert payload["target_occupation"]["noc"] == resolve_title("RPN").candidates[0].noc
    assert payload["programs"]
    assert "evenings" not in (slot_events(result).get("constraints") or {}).get("schedule", [])


def test_skills_for_the_job_held_rank_that_jobs_list() -> None:
    """The NLU took "office clerk" for the wanted job; the words say it is the job held and
    Excel and data analysis what they want; "in person" is their limit, not their job's."""
    text = ("looking to upskill in excel and data analysis for my job as an office clerk, "
            "in person in Ottawa")
    result = run_action("action_search_by_skill", text, intent="search_by_skill",
                        entities=[("skill", "excel"), ("skill", "data analysis"),
                                  ("target_job", "office clerk")])
    slots = slot_events(result)
    assert slots["current_noc"] == resolve_title("office clerk").candidates[0].noc
    assert not slots.get("target_noc")
    assert slots["constraints"]["delivery"] == ["in_person"]
    [payload] = payloads(result)
    shown = payload["programs"] or payload["alternatives"]
    assert shown and all("data" in f"{p['title']} {p['why']}".lower()
                         or "excel" in f"{p['title']} {p['why']}".lower() for p in shown)


def test_a_field_to_learn_in_the_job_held_names_no_other_job() -> None:
    """A PSW looking for palliative care training is no nurse-to-be: no nurse's pay shown."""
    text = ("Bonsoir, je suis préposé aux bénéficiaires et je cherche une formation en soins "
            "palliatifs en français")
    result = run_action("action_search_by_skill", text, intent="search_by_skill",
                        entities=[("job_title", "préposé aux bénéficiaires"),
                                  ("skill", "soins palliatifs"), ("language", "fr")])
    slots = slot_events(result)
    assert slots["current_noc"] == resolve_title("préposé aux bénéficiaires").candidates[0].noc
    assert not slots.get("target_noc")
    [payload] = payloads(result)
    assert payload["target_occupation"] is None
    shown = payload["programs"] or payload["alternatives"]
    assert shown and all("palliati" in f"{p['title']} {p['why']}".lower() for p in shown)


def test_asked_for_a_job_and_answered_without_one_the_fields_are_offered() -> None:
    asked = run_action("action_recommend", "I'm 45, the plant is closing, what can I do",
                       intent="ask_recommendations")
    assert [r["response"] for r in responses(asked)] == ["utter_ask_job_title"]
    bot_event = {"event": "bot", "timestamp": time.time(), "text": "What is your job?",
                 "metadata": {"utter_action": "utter_ask_job_title"}}
    again = run_action("action_recommend", "something with my hands",
                       intent="inform_constraint", events=[bot_event])
    assert [r["response"] for r in responses(again)] == ["utter_ask_target_job"]
    assert buttons(again) and all(b["payload"].startswith("/search_by_skill")
                                  for b in buttons(again))


def test_an_employer_naming_the_workplace_gets_that_sectors_programs(db: Session) -> None:
    result = run_action("action_search_by_skill",
                        "Nous sommes une garderie à Sudbury, quelles formations pour nos "
                        "éducatrices?", intent="search_by_skill", entities=[("language", "fr")],
                        slots={"language": "fr"})
    [payload] = payloads(result)
    assert payload["programs"]
    sectors = {program.sector for p in payload["programs"]
               if (program := db.get(models.Program, p["id"])) is not None}
    assert sectors == {"early_childhood"} and len(sectors) == 1
    assert "target_noc" not in slot_events(result)


def test_a_field_none_of_whose_programs_is_for_the_job_held_shows_not_that_jobs_pay() -> None:
    """"trucker, my back is done, looking at office jobs": the office programs with no
    truck driver's pay presented as theirs."""
    result = run_action("action_resolve_job", "im a truck driver (AZ) and my back is done. "
                        "looking at office jobs, online only",
                        entities=[("job_title", "truck driver"), ("target_job", "office")])
    [payload] = payloads(result)
    assert payload["occupation"]["noc"] == resolve_title("truck driver").candidates[0].noc
    assert payload["programs"] and payload["wage"] is None and payload["outlook"] is None
    assert "truck" not in texts(result).lower()


def test_a_wage_question_is_about_the_job_asked_about_not_the_one_held() -> None:
    result = run_action("action_explain_wage", "Je suis camionneur. Combien gagne un "
                        "répartiteur?", intent="ask_wage",
                        entities=[("job_title", "camionneur"), ("target_job", "répartiteur"),
                                  ("language", "fr")], slots={"language": "fr"})
    said = texts(result)
    dispatcher = occupation_title_fr(resolve_title("répartiteur", lang="fr").candidates[0].noc)
    assert dispatcher.split("/")[0] in said
    assert "camion" not in said.lower()


def occupation_title_fr(noc: str) -> str:
    with context.knowledge_session() as session:
        return str(occupation_title(session, noc, "fr"))


def test_a_credential_of_the_trade_held_is_no_job_wanted() -> None:
    """"I'm a welder and want to get my red seal": the welder's programs, no "could not
    match the job you want"."""
    result = run_action("action_resolve_job", "I'm a welder and want to get my red seal",
                        entities=[("job_title", "welder"), ("target_job", "red seal")])
    assert "utter_target_not_found" not in [r["response"] for r in responses(result)]
    [payload] = payloads(result)
    assert payload["occupation"]["noc"] == resolve_title("welder").candidates[0].noc
    assert payload["target_occupation"] is None and payload["programs"]


def test_the_job_held_is_asked_first_and_the_wanted_field_waits() -> None:
    """One question at a time: which job they hold, then the field they want (they said
    they want out: "I like computers" is that field)."""
    result = run_action("action_resolve_job",
                        "I work in a call center and I hate it. I like computers",
                        entities=[("job_title", "call center")])
    [asked] = responses(result)
    assert asked["response"] == "utter_ask_which_job"
    assert slot_events(result).get("target_job") in (None, "computers")


def test_learning_accounting_is_a_topic_not_a_choice_of_accountants() -> None:
    result = run_action("action_search_by_skill", "bonjour je suis commis d'épicerie et je "
                        "voudrais apprendre la comptabilité, en ligne svp",
                        intent="search_by_skill", entities=[("language", "fr")],
                        slots={"language": "fr"})
    [payload] = payloads(result)
    assert payload["programs"] and all(p["delivery"] == "online" for p in payload["programs"])
    assert all("livres" in f"{p['title']} {p['why']}".lower() or "compta" in
               f"{p['title']} {p['why']}".lower() for p in payload["programs"][:3])


def test_the_outlook_asked_after_a_jobs_pay_is_that_jobs() -> None:
    question = "how much does a welder make in sudbury?"
    history = [{"event": "user", "timestamp": time.time(), "text": question,
                "parse_data": {"intent": {"name": "ask_wage", "confidence": 1.0},
                               "entities": [{"entity": "job_title", "value": "welder"}]}}]
    result = run_action("action_explain_outlook", "and what's the outlook?",
                        intent="ask_outlook", events=history)
    assert "utter_ask_job_title" not in [r["response"] for r in responses(result)]
    welder = resolve_title("welder").candidates[0].noc
    with context.knowledge_session() as session:
        title = str(occupation_title(session, welder, "en"))
    assert title in texts(result)


def test_an_employer_hiring_staff_of_one_job_gets_that_jobs_programs() -> None:
    """"We're hiring 10 PSWs": the programs for PSWs, not "the job you want" nor "what is
    your current or last job?"."""
    result = run_action("action_search_by_skill", "We're hiring 10 PSWs in Thunder Bay. What "
                        "programs could get them ready?", intent="search_by_skill",
                        entities=[("target_job", "PSWs")])
    said = [r["response"] for r in responses(result)]
    assert "utter_ask_job_title" not in said and "utter_target_not_found" not in said
    [payload] = payloads(result)
    shown = payload["programs"] or payload["alternatives"]
    psw = resolve_title("PSW").candidates[0].noc
    with context.knowledge_session() as session:
        tagged = {pid for pid, in session.execute(
            select(models.ProgramOccupation.program_id).where(
                models.ProgramOccupation.noc == psw))}
    assert shown and all(p["id"] in tagged for p in shown)
    assert slot_events(result)["current_noc"] == psw


def test_a_layoff_story_the_nlu_is_unsure_of_is_read_for_the_job() -> None:
    result = run_state("action_read_unsure", _unsure(
        "I was laid off from my job as an office admin after 15 years. I'm 52. I'm scared "
        "nobody will hire me", ["inform_job", "state_goal"]))
    assert "utter_default" not in [r["response"] for r in responses(result)]
    assert buttons(result) or payloads(result)  # which office admin, or their programs


def test_the_job_a_layoff_story_names_is_the_one_held_not_one_wanted() -> None:
    """The NLU may tag "office admin" of "laid off from my job as an office admin" as the
    wanted job; the words say it is the job held."""
    result = run_action("action_resolve_job", "I was laid off from my job as an office admin "
                        "after 15 years. I'm 52.", entities=[("target_job", "office admin")])
    assert not slot_events(result).get("target_noc")
    assert all(p["target_occupation"] is None for p in payloads(result))


def test_a_wage_question_naming_a_place_is_answered_for_its_region(db: Session) -> None:
    result = run_action("action_explain_wage", "how much does a welder make in sudbury?",
                        intent="ask_wage", entities=[("job_title", "welder")])
    welder = resolve_title("welder").candidates[0].noc
    northeast = wage_for(db, welder, "ER3590")
    assert northeast is not None and northeast.region_code == "ER3590"
    assert "Northeast" in texts(result)


def test_a_skill_search_the_nlu_is_unsure_of_is_that_search() -> None:
    state = _unsure("Je suis mécanicien de machinerie lourde, y a-t-il des formations en "
                    "hydraulique?", ["search_by_skill", "inform_job"])
    state["latest_message"]["entities"] = [
        {"entity": "job_title", "value": "mécanicien de machinerie", "start": 8, "end": 32},
        {"entity": "skill", "value": "hydraulique", "start": 73, "end": 84},
        {"entity": "language", "value": "fr", "start": 0, "end": 0}]
    state["slots"]["language"] = "fr"
    result = run_state("action_read_unsure", state)
    assert "utter_default" not in [r["response"] for r in responses(result)]
    [payload] = payloads(result)
    shown = payload["programs"] or payload["alternatives"]
    assert shown and all("hydraul" in f"{p['title']} {p['why']}".lower() for p in shown[:3])


def test_becoming_a_mechanic_asks_among_mechanics() -> None:
    """Not among mechanical engineers and elevator mechanics (the field's words)."""
    result = run_action("action_resolve_job", "I'm a bus driver with OC Transpo and want to "
                        "become a mechanic", entities=[("job_title", "bus driver"),
                                                       ("target_job", "mechanic")])
    offered = {b["payload"].split('"')[3] for b in buttons(result)}
    assert resolve_title("mechanic").candidates[0].noc in offered
    assert "21301" not in offered  # mechanical engineers


def test_becoming_a_psw_shows_the_psw_programs_and_pay() -> None:
    result = run_action("action_resolve_job", "hello I want to become a PSW",
                        intent="state_goal", entities=[("target_job", "PSW")])
    [payload] = payloads(result)
    assert payload["programs"]
    assert payload["target_occupation"]["noc"] == resolve_title("PSW").candidates[0].noc
    assert payload["wage"] is not None


def test_a_wage_question_after_a_wish_is_about_the_job_it_asks_about() -> None:
    result = run_action("action_explain_wage", "I'm a PSW and I want to become an RPN. How "
                        "much do PSWs make?", intent="ask_wage",
                        entities=[("job_title", "PSW"), ("target_job", "RPN")])
    psw = resolve_title("PSWs").candidates[0].noc
    with context.knowledge_session() as session:
        title = str(occupation_title(session, psw, "en"))
    assert title in texts(result)
    assert "practical nurse" not in texts(result).lower()


def test_an_employer_naming_a_job_at_a_workplace_gets_that_jobs_programs() -> None:
    """The job named beats the kind of workplace: welders' programs, not the factory's."""
    result = run_action("action_search_by_skill", "We run a factory and are hiring 5 welders, "
                        "what training is there for them?", intent="search_by_skill",
                        entities=[("target_job", "welders")])
    assert slot_events(result)["current_noc"] == resolve_title("welder").candidates[0].noc


def test_an_employer_hiring_psws_gets_their_programs_from_the_words_alone() -> None:
    result = run_action("action_search_by_skill", "We're hiring 10 PSWs in Thunder Bay. What "
                        "programs could get them ready?", intent="search_by_skill")
    assert slot_events(result).get("current_noc") == resolve_title("PSW").candidates[0].noc
    assert payloads(result)


def test_programs_for_an_occupation_named_after_for_are_that_jobs() -> None:
    result = run_action("action_search_by_skill", "do you have any programs in Thunder Bay "
                        "for heavy equipment operators?", intent="search_by_skill")
    assert "utter_no_skill_programs_unnamed" not in [r["response"] for r in responses(result)]
    operators = resolve_title("heavy equipment operator").candidates[0].noc
    [payload] = payloads(result)
    assert (payload["target_occupation"] or {}).get("noc") == operators


def test_learning_to_read_blueprints_ranks_blueprint_programs_first() -> None:
    result = run_action("action_resolve_job", "I'm a construction labourer, want to learn to "
                        "read blueprints", entities=[("job_title", "construction labourer")])
    [payload] = payloads(result)
    shown = payload["programs"] or payload["alternatives"]
    assert shown and "blueprint" in f"{shown[0]['title']} {shown[0]['why']}".lower()


def test_a_limit_given_when_asked_for_the_job_is_noted_and_the_job_asked_again() -> None:
    bot_event = {"event": "bot", "timestamp": time.time(), "text": "What is your job?",
                 "metadata": {"utter_action": "utter_ask_job_title"}}
    again = run_action("action_recommend", "I need something online, in the evenings",
                       intent="inform_constraint", events=[bot_event])
    assert [r["response"] for r in responses(again)] == ["utter_ask_job_title"]
    assert slot_events(again)["constraints"]["delivery"] == ["online"]


def test_a_message_with_many_wanted_jobs_costs_a_bounded_number_of_resolutions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of target_job entities (a pasted list) must not block the actions server:
    at most a few are resolved to find the clear one."""
    from actions import occupation
    words = [f"zq{n}x" for n in range(300)]
    state = tracker(", ".join(words), "state_goal")
    state["latest_message"]["entities"] = [
        {"entity": "target_job", "value": w, "start": 7 * n, "end": 7 * n + len(w)}
        for n, w in enumerate(words)]
    calls: list[str] = []
    real = occupation.resolve_title

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(occupation, "resolve_title", counting)
    assert occupation.clearest_target(Tracker.from_dict(state)) == words[0]
    assert len(calls) <= occupation.MAX_TARGETS_READ
