"""Scripted conversations with the whole stack (Rasa engine + actions server), in English and
French, learner and employer. Each test is one conversation with its own sender id.

Besides what each test asserts, `Chat.send` (conftest.py) checks every answer: payload schema,
programs read back from the catalog and fitting the constraints the learner stated
(`chat.expected`), wage figures equal to the Wage table's.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.stack import Stack
from knowledge import models
from knowledge.constraints import Constraints
from knowledge.occupations import outlook_for, wage_for
from knowledge.recommender import recommend
from knowledge.resolver import resolve_title
from knowledge.skill_search import resolve_skills
from tests.e2e.checks import program_violations
from tests.e2e.conftest import Chat, Reply, is_french

NewChat = Callable[..., Chat]


def noc_of(title: str) -> str:
    """The NOC the resolver gives a title: the tests follow the knowledge base."""
    resolution = resolve_title(title)
    assert resolution.candidates, title
    return resolution.candidates[0].noc


def recommendations(reply: Reply) -> dict[str, Any]:
    found = [p for p in reply.payloads if p.get("type") == "recommendations"]
    assert found, f"no recommendations in {reply.texts}"
    return found[-1]


def costs(db: Session, payload: dict[str, Any]) -> list[Decimal]:
    rows = [db.get(models.Program, p["id"]) for p in payload["programs"]]
    return [row.cost for row in rows if row is not None]


def fitting_tagged(db: Session, noc: str, constraints: Constraints) -> set[str]:
    """The programs the catalog tags for the occupation that fit every constraint, read from
    its rows: a program tagged for the occupation is always worth showing."""
    tagged = db.scalars(select(models.ProgramOccupation.program_id)
                        .where(models.ProgramOccupation.noc == noc))
    return {pid for pid in tagged if not program_violations(db, pid, constraints)}


def listed(chat: Chat, reply: Reply) -> dict[str, Any]:
    """The recommendations of a reply to a learner whose job the catalog covers: it tags
    programs for the occupation (the one they want, else theirs) that fit what they asked for
    (`chat.expected`), so the list has programs, as many as there are up to five."""
    payload = recommendations(reply)
    main = payload["target_occupation"] or payload["occupation"]
    assert main is not None, payload
    fitting = fitting_tagged(chat.db, main["noc"], chat.expected)
    assert fitting, f"premise: the catalog tags programs for {main} that fit {chat.expected}"
    assert len(payload["programs"]) >= min(5, len(fitting)), (payload["programs"], fitting)
    assert all(p["url"] in reply.text for p in payload["programs"]), reply.texts
    return payload


NOTHING_CHEAPER = ("I did not find anything cheaper", "Je n'ai rien trouvé de moins cher")
CHEAPER_INTRO = ("cheaper program", "moins chère")


def cheaper_than(chat: Chat, before: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The programs not in the list `before` that cost less than its cheapest and fit what
    the learner asked for: those the catalog tags for the occupation, and all those the
    recommender finds for the same learner (not only five)."""
    shown = {p["id"] for p in before["programs"]}
    assert shown, "no list to be cheaper than"
    floor = min(costs(chat.db, before))
    current = (before["occupation"] or {}).get("noc")
    target = (before["target_occupation"] or {}).get("noc")
    main = target or current
    assert main is not None, before
    found = {m.id for m in recommend(chat.db, target_noc=target, current_noc=current, goal=None,
                                     constraints=chat.expected, lang="en",
                                     limit=10_000).programs}
    tagged = fitting_tagged(chat.db, main, chat.expected)
    below = set()
    for pid in tagged | found:
        row = chat.db.get(models.Program, pid)
        if row is not None and row.cost < floor and pid not in shown:
            below.add(pid)
    return below & tagged, below & found


def check_cheaper(chat: Chat, before: dict[str, Any], reply: Reply) -> dict[str, Any] | None:
    """The answer to "cheaper" after the list `before`: new programs, each cheaper than the
    cheapest of `before` and fitting what was asked for, as many as the catalog has up to five,
    introduced as cheaper; or, only when no such program exists, "nothing cheaper" (the
    programs shown are the lowest-cost ones) without a list. Returns the new list, if any."""
    tagged_below, found_below = cheaper_than(chat, before)
    assert tagged_below <= found_below, "the recommender misses programs tagged for the job"
    said_nothing = any(marker in reply.text for marker in NOTHING_CHEAPER)
    if not found_below:
        assert said_nothing and not reply.programs, reply.texts
        return None
    assert not said_nothing, (reply.texts, sorted(found_below))
    payload = recommendations(reply)
    ids = [p["id"] for p in payload["programs"]]
    floor = min(costs(chat.db, before))
    found = costs(chat.db, payload)
    assert len(found) == len(ids) == min(5, len(found_below)), (ids, sorted(found_below))
    assert all(cost < floor for cost in found), (floor, found)
    assert set(ids) <= found_below
    assert any(marker in reply.text for marker in CHEAPER_INTRO), reply.texts
    return payload


def asks_for_the_job(reply: Reply) -> bool:
    return any(marker in reply.text for marker in ("What is your current or last job",
                                                   "Quel est votre emploi actuel"))


def offers_next_steps(reply: Reply) -> bool:
    return any(b["payload"] == "/ask_cheaper" for b in reply.buttons)


def program_skills(db: Session, program_id: str) -> set[str]:
    return set(db.scalars(select(models.ProgramSkill.skill_code)
                          .where(models.ProgramSkill.program_id == program_id)))


# --- learners, English -------------------------------------------------------------------------

def test_psw_wants_health_care_admin_online_under_800(chat: Chat) -> None:
    chat.expected = Constraints(max_cost=800, delivery=("online",))
    reply = chat.send("I'm a PSW and I want to move into health care admin, online, "
                      "under $800")
    # "PSW" is two NOC groups in Ontario usage (hospital or home care): asked back.
    nurse_aides = noc_of("nurse aide")
    button = next(b for b in reply.buttons if f'"{nurse_aides}"' in b["payload"])
    reply = chat.click(button)
    if reply.buttons and not reply.payloads:
        # "health care admin" can mean several jobs: the learner picks the admin one.
        assert all('"target_job"' in b["payload"] for b in reply.buttons)
        reply = chat.click(reply.button("administrative"))
    payload = recommendations(reply)
    assert payload["occupation"]["noc"] == nurse_aides
    assert payload["target_occupation"] is not None, "target_job not understood"
    assert "administrative" in payload["target_occupation"]["title"].lower()
    assert 1 <= len(payload["programs"]) <= 5
    assert offers_next_steps(reply)


def test_clients_that_show_cards_get_each_program_once(new_chat: NewChat) -> None:
    """The widget and Telegram show the payload as cards and say so ({"cards": true}): the
    text introduces the programs without writing them out, and the cards come right after
    it. Plain REST clients still get the list, links included, in the text."""
    message = "I'm a cashier and want to become a bookkeeper, online please"
    listed = new_chat().send(message)
    assert listed.programs and all(p["url"] in listed.text for p in listed.programs)
    shown = new_chat().send(message, metadata={"cards": True})
    programs = shown.programs
    assert [p["id"] for p in programs] == [p["id"] for p in listed.programs]
    assert not any(p["url"] in shown.text for p in programs)
    at = next(i for i, m in enumerate(shown.messages) if m.get("custom"))
    intro = shown.messages[at - 1].get("text") or ""
    assert f"{len(programs)} short programs" in intro and "\n" not in intro


def test_clear_title_gets_programs_wage_and_outlook(chat: Chat, db: Session) -> None:
    reply = chat.send("I work as a cashier")
    payload = recommendations(reply)
    noc = noc_of("cashier")
    assert payload["occupation"]["noc"] == noc
    assert 1 <= len(payload["programs"]) <= 5
    wage = wage_for(db, noc)
    assert wage is not None and f"{wage.median:,.2f}" in reply.text
    outlook = outlook_for(db, noc)
    assert outlook is not None and outlook.label_en in reply.text


def test_ambiguous_title_then_a_button(chat: Chat) -> None:
    reply = chat.send("I used to be a driver")
    assert len(reply.buttons) >= 2 and "payload" in reply.buttons[0]
    chosen = reply.buttons[0]
    reply = chat.click(chosen)
    payload = listed(chat, reply)
    assert f'"{payload["occupation"]["noc"]}"' in chosen["payload"]


def test_ambiguous_title_then_a_typed_ordinal(chat: Chat) -> None:
    reply = chat.send("I'm a driver")
    offered = reply.buttons
    assert len(offered) >= 2
    reply = chat.send("the second one")
    payload = listed(chat, reply)
    assert f'"{payload["occupation"]["noc"]}"' in offered[1]["payload"]


def test_unknown_title_offers_sectors_then_programs_of_a_sector(chat: Chat) -> None:
    reply = chat.send("I am a YouTuber")
    assert "youtuber" in reply.text.lower()
    sectors = [b for b in reply.buttons if b["payload"].startswith("/search_by_skill")]
    assert sectors, reply.texts
    reply = chat.click(sectors[0])
    assert 1 <= len(recommendations(reply)["programs"]) <= 5
    assert all(p["url"] in reply.text for p in reply.programs)


def test_constraint_changed_mid_conversation(chat: Chat) -> None:
    listed(chat, chat.send("I'm a cook"))
    chat.expected = Constraints(delivery=("online",))
    listed(chat, chat.send("only online programs please"))
    chat.expected = Constraints(delivery=("online",), max_cost=500)
    reply = chat.send("actually my budget is under $500")
    assert "Okay:" in reply.text and "$500" in reply.text
    listed(chat, reply)


def test_any_budget_clears_the_budget(chat: Chat) -> None:
    chat.expected = Constraints(max_cost=300)
    listed(chat, chat.send("I'm a medical administrative assistant, under $300"))
    chat.expected = Constraints()
    reply = chat.send("actually any budget is fine")
    listed(chat, reply)
    assert "$300" not in reply.text


def test_show_me_cheaper_ones(chat: Chat) -> None:
    first = listed(chat, chat.send("I'm an RPN"))
    # Premise: the catalog tags programs for this job that cost less than the first list's.
    assert cheaper_than(chat, first)[0], "the catalog has nothing cheaper for this job"
    assert check_cheaper(chat, first, chat.send("show me cheaper ones")) is not None


def test_nothing_cheaper_than_the_lowest_cost_list(chat: Chat) -> None:
    first = listed(chat, chat.send("I'm a registered nurse"))
    # Whichever the catalog says: cheaper programs, or the truth that there are none.
    check_cheaper(chat, first, chat.send("show me cheaper ones"))


def test_cheaper_twice_keeps_going_down(chat: Chat) -> None:
    """Asking again keeps going down, each list cheaper than the last, until nothing cheaper
    is left, which is then said (check_cheaper holds each answer to the catalog)."""
    shown = listed(chat, chat.send("I'm a registered practical nurse"))
    steps = 0
    for _ in range(6):
        found = check_cheaper(chat, shown, chat.click({"payload": "/ask_cheaper"}))
        if found is None:
            break  # nothing cheaper left: said so, as check_cheaper verified
        shown, steps = found, steps + 1
    else:
        raise AssertionError("still cheaper after 6 lists")
    # Premise: the catalog has a cheaper list below the first one for this job, and the
    # loop ended on "nothing cheaper" (the ranking shows only programs tagged for the job).
    assert steps >= 1, steps


def test_wage_question_after_recommendations(chat: Chat, db: Session) -> None:
    chat.send("I'm a cook")
    reply = chat.send("how much do cooks earn?")
    wage = wage_for(db, noc_of("cook"))
    assert wage is not None
    assert f"${wage.median:,.2f}" in reply.text  # also checked against the table by Chat


def test_wage_of_a_job_named_in_the_question(chat: Chat, db: Session) -> None:
    reply = chat.send("how much do welders make?")
    wage = wage_for(db, noc_of("welder"))
    assert wage is not None and f"${wage.median:,.2f}" in reply.text


def test_french_wage_of_a_named_job(new_chat: NewChat, db: Session) -> None:
    chat = new_chat("fr")
    reply = chat.send("combien gagne un soudeur ?")
    wage = wage_for(db, noc_of("soudeur"))
    assert wage is not None and is_french(reply.text)
    assert f"{wage.median:.2f}".replace(".", ",") in reply.text


def test_wage_button(chat: Chat, db: Session) -> None:
    chat.send("I'm a cashier")
    reply = chat.click({"payload": "/ask_wage"})
    wage = wage_for(db, noc_of("cashier"))
    assert wage is not None and str(wage.year) in reply.text


def test_outlook_question(chat: Chat, db: Session) -> None:
    chat.send("I am an RPN")
    reply = chat.send("what is the job outlook?")
    outlook = outlook_for(db, noc_of("RPN"))
    assert outlook is not None and outlook.label_en in reply.text
    assert outlook.period[:4] in reply.text


def test_wage_and_outlook_of_current_and_target(chat: Chat, db: Session) -> None:
    reply = chat.send("I'm a cashier and I want to become a baker")
    payload = listed(chat, reply)
    assert payload["occupation"]["noc"] == noc_of("cashier")
    assert payload["target_occupation"] is not None, "target_job 'baker' not understood"
    assert payload["target_occupation"]["noc"] == noc_of("baker")
    reply = chat.send("what would I earn?")
    for title in ("cashier", "baker"):
        wage = wage_for(db, noc_of(title))
        assert wage is not None and f"${wage.median:,.2f}" in reply.text


def test_target_job_first_then_current_job(chat: Chat, db: Session) -> None:
    reply = chat.send("I want to become an electrician")
    # Either answer is right: programs toward the target at once, or first the job question.
    if not asks_for_the_job(reply):
        assert listed(chat, reply)["target_occupation"]["noc"] == noc_of("electrician")
    reply = chat.send("I'm a cashier")
    payload = listed(chat, reply)
    assert payload["target_occupation"]["noc"] == noc_of("electrician")
    assert payload["occupation"]["noc"] == noc_of("cashier")
    reply = chat.send("what's the outlook?")
    for title in ("electrician", "cashier"):
        outlook = outlook_for(db, noc_of(title))
        assert outlook is not None and outlook.label_en in reply.text


def test_in_french_please_mid_conversation(chat: Chat) -> None:
    first = listed(chat, chat.send("I'm a cook"))
    reply = chat.send("in French please")
    chat.lang = "fr"
    assert "je continue en français" in reply.text
    reply = chat.send("Quel est le salaire pour ce métier ?")
    assert is_french(reply.text), reply.texts
    reply = chat.send("Je voudrais des formations moins chères")
    assert is_french(reply.text), reply.texts
    check_cheaper(chat, first, reply)


def test_english_please_from_french(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    assert is_french(chat.send("Bonjour").text)
    reply = chat.send("English please")
    chat.lang = "en"
    assert "I'll continue in English" in reply.text
    assert not is_french(chat.send("I'm a cashier").text)


def test_start_over_forgets_the_job(chat: Chat) -> None:
    chat.expected = Constraints(max_cost=1000)
    chat.send("I'm a cashier, under $1000")
    reply = chat.send("start over")
    chat.expected = Constraints()
    assert "I'm Pathfinder" in reply.text
    reply = chat.send("show me some programs")
    assert asks_for_the_job(reply), reply.texts


def test_thanks_and_goodbye(chat: Chat) -> None:
    chat.send("I'm a cashier")
    assert "You're welcome" in chat.send("thanks a lot!").text
    assert "Goodbye" in chat.send("bye").text


def test_chitchat(chat: Chat) -> None:
    reply = chat.send("how are you doing today?")
    assert "I'm best at one thing" in reply.text


def test_out_of_scope(chat: Chat) -> None:
    reply = chat.send("can you order me a pizza?")
    assert "Sorry, I can't help with that" in reply.text


def test_bot_challenge(chat: Chat) -> None:
    assert "chatbot" in chat.send("am I talking to a real person?").text


def test_what_is_a_micro_credential(chat: Chat) -> None:
    assert "short, focused program" in chat.send("what is a micro-credential?").text


def test_can_osap_pay(chat: Chat) -> None:
    assert "OSAP" in chat.send("can I get OSAP to pay for a micro-credential?").text


def test_help(chat: Chat) -> None:
    assert "Here is what I can do" in chat.send("what can you do?").text


def test_greeting_buttons_lead_to_the_job_question(chat: Chat) -> None:
    reply = chat.send("hello")
    learn = reply.button("learn")
    assert asks_for_the_job(chat.click(learn))


def test_goal_first_then_job(chat: Chat) -> None:
    """A career changer names the job they leave: the one they want is asked (a list of
    cashier programs is not what they came for), then its programs come."""
    reply = chat.send("I want to change careers")
    assert asks_for_the_job(reply), reply.texts
    reply = chat.send("I'm a cashier")
    assert not reply.payloads and "move into" in reply.text, reply.texts
    assert reply.buttons and all(b["payload"].startswith("/search_by_skill")
                                 for b in reply.buttons)
    payload = listed(chat, chat.send("I'd like to become a bookkeeper"))
    assert payload["occupation"]["noc"] == noc_of("cashier")
    assert payload["target_occupation"]["noc"] == noc_of("bookkeeper")


def test_constraints_first_then_job(chat: Chat) -> None:
    chat.click({"payload": "/ask_recommendations"})
    chat.expected = Constraints(delivery=("online",), schedule=("evenings",))
    reply = chat.send("I need something online, in the evenings")
    assert asks_for_the_job(reply), reply.texts
    reply = chat.send("I'm an RPN")
    listed(chat, reply)


def test_typo_in_the_title(chat: Chat) -> None:
    reply = chat.send("I'm a cashir")
    assert listed(chat, reply)["occupation"]["noc"] == noc_of("cashier")


def test_osap_eligible_programs_only(chat: Chat) -> None:
    chat.expected = Constraints(financial_aid=True)
    reply = chat.send("I'm a PSW... I mean a personal support worker in a hospital, and I "
                      "need programs OSAP covers")
    if reply.buttons and not reply.payloads:
        reply = chat.click(reply.buttons[0])
    listed(chat, reply)


def test_region_constraint(chat: Chat) -> None:
    chat.expected = Constraints(region="ER3510")
    reply = chat.send("I'm a cook in Ottawa")
    payload = listed(chat, reply)
    assert payload["wage"] is not None


def test_short_programs_only(chat: Chat) -> None:
    chat.expected = Constraints(max_weeks=6)
    reply = chat.send("I'm an administrative assistant, I want something less than 6 weeks")
    listed(chat, reply)


def test_a_constraint_that_filters_out_everything(chat: Chat) -> None:
    chat.send("I'm a cashier")
    chat.expected = Constraints(max_cost=0, max_hours=1)
    reply = chat.send("it has to be free and less than 1 hour long")
    payload = recommendations(reply)
    assert payload["programs"] == []
    assert "No program fits" in reply.text
    assert "the budget" in reply.text or "the hours limit" in reply.text
    # The closest programs come as cards too (their links then go through /go, so clicks
    # count); a client that shows cards gets the explanation without the list.
    assert payload["alternatives"]
    assert all(p["url"] in reply.text for p in payload["alternatives"])


def test_closest_programs_as_cards(new_chat: NewChat) -> None:
    chat = new_chat()
    chat.send("I'm a cashier", metadata={"cards": True})
    chat.expected = Constraints(max_cost=0, max_hours=1)
    reply = chat.send("it has to be free and less than 1 hour long", metadata={"cards": True})
    closest = recommendations(reply)["alternatives"]
    assert closest and not any(p["url"] in reply.text for p in closest)
    assert "No program fits" in reply.text


def test_yes_after_recommendations_offers_next_steps(chat: Chat) -> None:
    chat.send("I'm a welder")
    reply = chat.send("yes")
    assert reply.buttons


def test_was_this_helpful_is_asked_once_and_answered(chat: Chat) -> None:
    first = chat.send("I'm a cashier")
    assert first.programs
    helpful = first.button("Not really")
    assert helpful["payload"] == '/rate_recommendations{"helpful":"no"}'
    thanks = chat.click(helpful)
    assert "change what you asked for" in thanks.text
    second = chat.send("show me the programs again")
    assert second.programs
    assert not any(b["payload"].startswith("/rate_recommendations") for b in second.buttons)


# --- learners, French --------------------------------------------------------------------------

def test_french_learner_with_a_budget(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    assert is_french(chat.send("Bonjour!").text)
    reply = chat.send("Je suis caissière")
    payload = listed(chat, reply)
    assert payload["occupation"]["noc"] == noc_of("caissière")
    assert reply.text.startswith("Voici")
    chat.expected = Constraints(max_cost=500)
    reply = chat.send("Je ne veux pas payer plus de 500 $")
    assert "D'accord" in reply.text
    listed(chat, reply)


def test_french_ambiguous_title_and_ordinal(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    reply = chat.send("Je suis chauffeur")
    offered = reply.buttons
    assert offered and is_french(reply.text)
    reply = chat.send("le premier")
    # The occupation picked may be one the catalog has no program for: the ordinal is what
    # this test checks (the English one checks the list).
    payload = recommendations(reply)
    assert f'"{payload["occupation"]["noc"]}"' in offered[0]["payload"]


def test_french_unknown_title(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    reply = chat.send("Je suis youtubeuse")
    assert "Je ne trouve pas" in reply.text and reply.buttons


def test_french_cheaper_and_outlook(new_chat: NewChat, db: Session) -> None:
    chat = new_chat("fr")
    first = listed(chat, chat.send("Je suis infirmière auxiliaire"))
    # Premise: the catalog tags programs for this job that cost less than the first list's.
    assert cheaper_than(chat, first)[0], "the catalog has nothing cheaper for this job"
    reply = chat.send("Avez-vous des formations moins chères ?")
    assert is_french(reply.text), reply.texts
    assert check_cheaper(chat, first, reply) is not None
    reply = chat.send("Quelles sont les perspectives d'emploi pour ce métier ?")
    outlook = outlook_for(db, noc_of("infirmière auxiliaire"))
    assert outlook is not None and outlook.label_fr in reply.text


def test_french_micro_credential_and_rafeo(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    assert "formation courte" in chat.send("C'est quoi une microcertification ?").text
    assert "RAFEO" in chat.send("Est-ce que le RAFEO peut payer ma formation ?").text


def test_french_online_programs_in_french(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    chat.expected = Constraints(delivery=("online",), language="fr")
    reply = chat.send("Je suis préposée aux bénéficiaires et je cherche une formation en "
                      "ligne, en français")
    listed(chat, reply)


def test_french_greeting_button_switches_language(chat: Chat) -> None:
    reply = chat.send("hi")
    reply = chat.click(reply.button("Français"))
    chat.lang = "fr"
    assert "je continue en français" in reply.text


def test_french_start_over(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    chat.send("Je suis soudeur")
    reply = chat.send("recommencer")
    assert "Je suis Pathfinder" in reply.text


# --- employers ---------------------------------------------------------------------------------

def test_which_programs_teach_cnc(chat: Chat, db: Session) -> None:
    reply = chat.send("Which programs teach CNC?")
    payload = recommendations(reply)
    assert payload["programs"]
    skills = {s.id for s in resolve_skills(db, "CNC", "en")}
    for program in payload["programs"]:
        row = db.get(models.Program, program["id"])
        assert row is not None
        assert row.url in reply.text and row.institution.name_en in reply.text
        assert program_skills(db, row.id) & skills


def test_quels_programmes_enseignent_la_soudure(new_chat: NewChat, db: Session) -> None:
    chat = new_chat("fr")
    reply = chat.send("Quels programmes enseignent la soudure ?")
    payload = recommendations(reply)
    assert payload["programs"] and is_french(reply.text)
    skills = {s.id for s in resolve_skills(db, "soudure", "fr")}
    for program in payload["programs"]:
        row = db.get(models.Program, program["id"])
        assert row is not None
        assert row.url in reply.text and row.institution.name_fr in reply.text
        assert program_skills(db, row.id) & skills


def test_employer_button_then_skill(chat: Chat, db: Session) -> None:
    reply = chat.send("hello")
    reply = chat.click(reply.button("employer"))
    assert "Which skill" in reply.text
    reply = chat.send("PLC programming")
    payload = recommendations(reply)
    skills = {s.id for s in resolve_skills(db, "PLC programming", "en")}
    assert payload["programs"]
    assert all(program_skills(db, p["id"]) & skills for p in payload["programs"])


def test_employer_excel_training(chat: Chat) -> None:
    reply = chat.send("I need Excel training for my office staff")
    assert recommendations(reply)["programs"]


def test_employer_constraints_apply_to_skill_search(chat: Chat, db: Session) -> None:
    chat.expected = Constraints(delivery=("online",), max_cost=1000)
    reply = chat.send("We need welding courses online for our staff, under $1000")
    payload = recommendations(reply)
    skills = {s.id for s in resolve_skills(db, "welding", "en")}
    teaching = set(db.scalars(select(models.ProgramSkill.program_id)
                              .where(models.ProgramSkill.skill_code.in_(skills))))
    assert skills and teaching
    fitting = {pid for pid in teaching if not program_violations(db, pid, chat.expected)}
    # Every listed program fits (checked by Chat) and teaches welding; the answer says none
    # fits, with the closest welding programs, only when the catalog has none that fits.
    if fitting:
        assert payload["programs"], reply.texts
        assert {p["id"] for p in payload["programs"]} <= fitting
        assert "None of these programs fits" not in reply.text
    else:
        assert payload["programs"] == [] and "None of these programs fits" in reply.text
        assert payload["alternatives"]
        assert {p["id"] for p in payload["alternatives"]} <= teaching


def test_french_employer_online_excel(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    chat.expected = Constraints(delivery=("online",))
    reply = chat.send("Quelles formations en ligne enseignent Excel ?")
    assert recommendations(reply)["programs"] and is_french(reply.text)


def test_employer_skill_nobody_teaches(chat: Chat) -> None:
    reply = chat.send("Which programs teach underwater basket weaving?")
    assert not reply.programs
    assert reply.buttons


# --- bad input ---------------------------------------------------------------------------------

BAD_INPUT = {
    "empty": "",
    "10k": "cashier " * 1250,
    "html": "<script>alert('pwned')</script><b>cashier</b>",
    "sql": "'; DROP TABLE programs; --",
    "emoji": "🙂🚀🔥",
    "binary": "\x00\x01\x02\ufffd\x7f\x1b[31m",
}


@pytest.mark.parametrize("message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_polite_answer(chat: Chat, message: str) -> None:
    reply = chat.send(message, check=False)
    assert reply.texts, "no answer at all"
    for text in reply.texts:
        assert "<" not in text and ">" not in text, text
    # The conversation still works afterwards.
    assert recommendations(chat.send("I'm a cashier"))["programs"]


# --- the action server goes away (last: it restarts a service) ----------------------------------

def test_actions_server_down_gets_a_polite_answer_then_recovers(stack: Stack | None,
                                                                 chat: Chat) -> None:
    if stack is None:
        pytest.skip("needs the stack this session started (PATHFINDER_E2E_RASA_URL is set)")
    recommendations(chat.send("I'm a cashier"))
    stack.stop_service("actions")
    try:
        reply = chat.send("show me cheaper ones", check=False)
        assert reply.text == "Sorry, something went wrong on my side. Please try again in a moment."
    finally:
        stack.start_service("actions")
    reply = chat.send("in French please")
    chat.lang = "fr"
    assert "je continue en français" in reply.text
