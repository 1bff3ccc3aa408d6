"""From what the learner typed (or clicked) to NOC unit groups: the job they have and the one
they want. action_resolve_job (actions/recommendations.py) runs these steps."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from actions.context import (
    Lang,
    Turn,
    asked_last,
    is_button_payload,
    known_noc,
    latest_entity,
    latest_intent,
    latest_text,
    payload_entities,
    shown_back,
    slot_text,
)
from knowledge.constraints import parse_goal, read_limits
from knowledge.fields import read_target
from knowledge.language import as_lang
from knowledge.occupations import occupation_title
from knowledge.reading import JobMention, find_jobs, names_credential, wants_job_named_before
from knowledge.resolver import Resolution, described_among, resolve_title
from knowledge.skill_search import sectors

CHOOSE_OCCUPATION = "/choose_occupation"
MAX_BUTTONS = 5
MAX_BARE_TITLE_WORDS = 6  # a message this short may be the title itself ("jr dev, react")
MAX_TARGETS_READ = 4  # target_job entities of one message resolved to find the clear one

# Ordinals typed after the buttons, EN and FR ("the second one", "le premier", "2", "#3").
_ORDINAL_WORDS = {
    1: ("first", "1st", "premier", "premiere", "première", "1er", "1re"),
    2: ("second", "2nd", "seconde", "deuxieme", "deuxième", "2e", "two", "deux"),
    3: ("third", "3rd", "troisieme", "troisième", "3e", "three", "trois"),
    4: ("fourth", "4th", "quatrieme", "quatrième", "4e", "four", "quatre"),
    5: ("fifth", "5th", "cinquieme", "cinquième", "5e", "five", "cinq"),
}
_LAST_WORDS = ("last", "dernier", "derniere", "dernière")
_WORD_TO_INDEX = {word: index for index, words in _ORDINAL_WORDS.items() for word in words}
# The only other words a choice may hold: "I'll take the second one please", "le 2 svp".
_CHOICE_FILLER = frozenset((
    "the", "one", "i", "ll", "take", "pick", "choose", "want", "it", "s", "is", "that",
    "number", "no", "option", "choice", "job", "please", "ok", "okay", "yes", "a", "an",
    "le", "la", "l", "un", "une", "celui", "celle", "ci", "là", "c", "est", "je", "prends",
    "choisis", "veux", "numéro", "numero", "choix", "emploi", "métier", "svp", "il", "vous",
    "plaît", "plait", "oui", "d", "accord",
))


def ordinal_choice(text: str, count: int) -> int | None:
    """The 0-based button a message picks ("the second one" -> 1), or None. Only a message
    that is just a choice counts: "two years as a welder" is not one."""
    words = re.findall(r"[\w#]+", text.lower())
    index: int | None = None
    for word in words:
        word = word.lstrip("#")
        if word.isdigit():
            found: int | None = int(word)
        elif word in _LAST_WORDS:
            found = count
        else:
            found = _WORD_TO_INDEX.get(word)
        if found is None:
            if word not in _CHOICE_FILLER:
                return None
        elif index is None:
            index = found
        elif found != index:
            return None
    return index - 1 if index is not None and 1 <= index <= count else None


@dataclass(frozen=True)
class Choice:
    """An occupation button: for the job the learner has, or (`is_target`) the one they want."""

    noc: str
    title: str
    is_target: bool = False

    def button(self) -> dict[str, Any]:
        # A target button also carries the title as `target_job` (a domain entity, so the
        # engine keeps it and fills the slot): that is how the answer tells the two apart.
        data = {"noc": self.noc, **({"target_job": self.title} if self.is_target else {})}
        payload = CHOOSE_OCCUPATION + json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return {"title": self.title, "payload": payload}


def offered_occupations(tracker: Tracker) -> list[Choice]:
    """The occupation buttons the bot showed since the user's previous message (the ones the
    latest message can be an answer to)."""
    user_messages = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_messages += 1
            if user_messages > 1:
                break
            continue
        if event.get("event") != "bot":
            continue
        offered = []
        for button in (event.get("data") or {}).get("buttons") or []:
            payload = str(button.get("payload") or "")
            if not payload.startswith(CHOOSE_OCCUPATION):
                continue
            data = payload_entities(payload)
            noc = data.get("noc")
            if isinstance(noc, str) and re.fullmatch(r"\d{5}", noc):
                offered.append(Choice(noc, str(button.get("title") or ""),
                                      is_target="target_job" in data))
        if offered:
            return offered
    return []


def sector_buttons(session: Session, lang: Lang) -> list[dict[str, Any]]:
    """'Browse by sector' buttons: each asks for the programs of one sector."""
    return [{"title": sector, "payload": f'/search_by_skill{{"skill":"{_json_safe(sector)}"}}'}
            for sector in sectors(session, lang)]


def _json_safe(text: str) -> str:
    return text.replace("\\", " ").replace('"', " ")


def pick_typed(text: str, offered: Sequence[Choice]) -> Choice | None:
    """The offered button the message names: an ordinal ("the second one") or its title."""
    index = ordinal_choice(text, len(offered))
    if index is not None:
        return offered[index]
    folded = text.strip().lower()
    for choice in offered:
        if folded and folded in (choice.title.lower(), choice.noc):
            return choice
    return None


def choices(session: Session, resolution: Resolution, lang: Lang, exclude: str | None = None,
            is_target: bool = False) -> list[Choice]:
    """The resolver's candidates as buttons, titles in the conversation's language."""
    found = []
    for candidate in resolution.candidates:
        if candidate.noc == exclude or not known_noc(session, candidate.noc):
            continue
        title = occupation_title(session, candidate.noc, lang) or candidate.title
        found.append(Choice(candidate.noc, title, is_target))
    return found[:MAX_BUTTONS]


@dataclass
class TargetStep:
    """What became of the job (or field) the learner wants: slot events, the NOC when known,
    the topic to rank programs by when they want a field or skill ("machine learning"), and,
    when the words could mean several jobs, the question: the words as typed (safe to show)
    and the buttons to ask with. ``named``: the target was named in this message."""

    events: list[EventType] = field(default_factory=list)
    noc: str | None = None
    question: tuple[str, list[dict[str, Any]]] | None = None
    topic: str | None = None
    named: bool = False

    def ask(self, turn: Turn) -> None:
        if self.question is not None:
            quoted, buttons = self.question
            turn.respond("utter_ask_which_target", buttons=buttons, quoted=quoted)


def target_choices(session: Session, pairs: Sequence[tuple[str, str]], lang: Lang,
                   exclude: str | None = None) -> list[Choice]:
    """(NOC, title) pairs as target buttons, titles in the conversation's language."""
    found = [Choice(noc, occupation_title(session, noc, lang) or title, True)
             for noc, title in pairs if noc != exclude and known_noc(session, noc)]
    return found[:MAX_BUTTONS]


def resolve_target(turn: Turn, session: Session, exclude: str | None) -> TargetStep:
    """target_job (the job or field they want) -> target_noc, or the topic to rank programs
    by: from this message's entity or words, or from the slot while target_noc is unknown (a
    goal turn, "I want to become an electrician", is answered before the job is known, and a
    target waits while the current job is asked back). knowledge.fields decides what the
    words mean. ``exclude``: the learner's own job, not the one they want unless they name
    it as such without wanting out of it (a newcomer's "I want to work as an accountant
    here")."""
    tracker = turn.tracker
    slot_noc = known_noc(session, slot_text(tracker, "target_noc"))
    text = latest_text(tracker)
    target = None if is_button_payload(text) else clearest_target(tracker)
    wanted = None
    if not is_button_payload(text) and text.strip():
        current, wanted = jobs_named(text, turn.lang)
        if target is not None and current is not None and current.nocs and \
                target.casefold() in current.text.casefold() and (
                    wanted is None or target.casefold() not in wanted.text.casefold()):
            # The NLU's target is the job the words say they hold ("excel for my job as an
            # office clerk", "laid off from my job as an office admin"): what they want is
            # what the words say they want, if anything.
            target = wanted.text if wanted is not None else None
        if target is None and wanted is not None and (wanted.nocs or wanted.skill):
            target = wanted.text  # a job or field named after "want to become", "get into"
        elif target is not None and wanted is not None and wanted.clear and \
                target.casefold() in wanted.text.casefold():
            # The extractor's span cut short ("special" of "special needs educational
            # assistant"): the words the resolver reads as one clear title are the job.
            target = wanted.text
    # Said as a field ("get into", "learn ..."), or as a job no occupation is sure of.
    is_field = wanted is not None and wanted.skill is not None and target is not None and (
        target in wanted.text or wanted.text in target)
    if target is not None and names_credential(target):
        target = None  # "I'm a welder and want to get my red seal": no other job wanted
    if target is None and slot_noc is None and wants_job_named_before(text):
        target = job_asked_about(tracker)  # "how much do welders make?" ... "become one?"
    from_this_message = target is not None
    if target is None and slot_noc is None:
        target = slot_text(tracker, "target_job")
    if target is None:
        return TargetStep(noc=slot_noc, topic=slot_text(tracker, "target_topic"))
    resolution = resolve_title(target, lang=_sure_language(tracker))
    reading = read_target(session, target, turn.lang, resolution=resolution,
                          is_field=is_field, exclude=exclude,
                          own_job_wanted=parse_goal(text) != "change_career")
    forget = [SlotSet("target_noc", None)] if slot_noc else []
    # A topic named now replaces the one remembered; an occupation named now ends it.
    topic_events: list[EventType] = (
        [SlotSet("target_topic", reading.topic)] if from_this_message and reading.topic else
        [SlotSet("target_topic", None)] if from_this_message and
        slot_text(tracker, "target_topic") else [])
    if reading.status == "topic":
        noc = known_noc(session, reading.noc)
        events = [*topic_events, *([] if noc == slot_noc else [SlotSet("target_noc", noc)])]
        return TargetStep(events, noc, None, reading.topic, from_this_message)
    found = target_choices(session, reading.choices, turn.lang, exclude) if \
        reading.status == "ask" else []
    noc = known_noc(session, reading.noc) if reading.status == "occupation" else (
        found[0].noc if len(found) == 1 else None)
    if noc is not None:
        events = [*topic_events, *([] if noc == slot_noc else [SlotSet("target_noc", noc)])]
        return TargetStep(events, noc, named=from_this_message)
    if found:
        return TargetStep([*forget, *topic_events], None,
                          (shown_back(target), [c.button() for c in found]),
                          named=from_this_message)
    if not from_this_message:
        return TargetStep()
    turn.respond("utter_target_not_found", quoted=shown_back(target))
    return TargetStep([*forget, *topic_events], named=True)


def clearest_target(tracker: Tracker) -> str | None:
    """The message's target_job entity; of several ("move into nursing, RPN"), the first the
    title resolver is sure of: the field may mean many jobs, the title one."""
    first = latest_entity(tracker, "target_job")
    values = [v.strip() for v in tracker.get_latest_entity_values("target_job")
              if isinstance(v, str) and v.strip()]
    if first is None or len(values) < 2 or first not in values:  # one, or pieces joined
        return first
    lang = _sure_language(tracker)
    # A few at most: each is a resolution, and a long message may hold hundreds of entities.
    return next((v for v in values[:MAX_TARGETS_READ]
                 if resolve_title(v, lang=lang).status == "clear"), first)


LABOUR_MARKET_INTENTS = ("ask_wage", "ask_outlook")


def job_asked_about(tracker: Tracker) -> str | None:
    """The job of the learner's latest wage or outlook question that named one, as typed."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parsed = event.get("parse_data") or {}
        if (parsed.get("intent") or {}).get("name") not in LABOUR_MARKET_INTENTS:
            continue
        for entity in parsed.get("entities") or []:
            if entity.get("entity") in ("job_title", "target_job") and entity.get("value"):
                return str(entity["value"])
    return None


@dataclass
class JobStep:
    """What became of the learner's job in this turn: slot events, and whether there is now
    an occupation to recommend for (else the step has already said why, or asked back)."""

    events: list[EventType]
    resolved: bool
    # The wanted job as this step read it (its events are in ``events``): the list that
    # follows uses it instead of reading the message for it again.
    target: TargetStep | None = None


def resolve_job(turn: Turn, session: Session) -> JobStep:
    """Resolves `job_title` (or `noc` from a button /choose_occupation{"noc":"33102"}, or an
    ordinal typed after the occupation buttons: "the second one", "le premier") into
    `current_noc`, and `target_job` into `target_noc`."""
    tracker = turn.tracker
    text = latest_text(tracker)
    chosen = _chosen(turn, session, text)
    if chosen is not None and chosen.is_target:
        return JobStep([SlotSet("target_noc", chosen.noc), SlotSet("noc", None)], True)

    query = None if chosen else _query(tracker, text, turn.lang)
    resolution = resolve_title(query, lang=_sure_language(tracker)) if query else None
    current_guess = chosen.noc if chosen else slot_text(tracker, "current_noc")
    if resolution is not None and resolution.candidates:
        current_guess = resolution.candidates[0].noc
    target = resolve_target(turn, session, exclude=current_guess)
    events = target.events

    if chosen is not None:
        events += [SlotSet("current_noc", chosen.noc), SlotSet("noc", None)]
        return _then_target(turn, target, events)

    offered = offered_occupations(tracker)
    if latest_intent(tracker) == "choose_occupation" and offered:
        # A choice we could not read: show the same buttons again.
        turn.respond("utter_pick_offered_job", buttons=[c.button() for c in offered])
        return JobStep([*events, SlotSet("noc", None)], False)

    if query is None or resolution is None:
        if target.question is None and (target.noc or target.topic
                                        or slot_text(tracker, "current_noc")):
            # "I want to become a welder", "I want to learn machine learning": the job or
            # the field they want is enough to go on.
            return JobStep(events, True, target)
        if target.question is not None:
            target.ask(turn)
        else:
            ask_for_job(turn, session)
        return JobStep(events, False)
    return _answer(turn, session, resolution, query, target, events)


def ask_for_job(turn: Turn, session: Session) -> None:
    """Asks for the learner's job; asked already (or which job, with buttons) and answered
    with neither a job nor a limit ("something with my hands"), asks what they want to do
    instead, with the sectors to pick from (a limit is noted, and the job asked again)."""
    stated = read_limits(latest_text(turn.tracker))
    if stated.constraints.is_empty() and stated.preferences.is_empty() and (
            asked_last(turn.tracker, "utter_ask_job_title") or
            asked_last(turn.tracker, "utter_ask_which_job")):
        turn.respond("utter_ask_target_job", buttons=sector_buttons(session, turn.lang))
    else:
        turn.respond("utter_ask_job_title")


def _then_target(turn: Turn, target: TargetStep, events: list[EventType]) -> JobStep:
    """The current job is known: recommend, unless the target must be asked first."""
    target.ask(turn)
    return JobStep(events, target.question is None, target)


def _chosen(turn: Turn, session: Session, text: str) -> Choice | None:
    """The occupation the learner picked: a button's, or one typed after the buttons."""
    noc = known_noc(session, latest_entity(turn.tracker, "noc"))
    if noc is not None:
        is_target = "target_job" in payload_entities(text)
        return Choice(noc, "", is_target)
    if is_button_payload(text):
        return None
    offered = offered_occupations(turn.tracker)
    picked = (pick_typed(text, offered) or pick_described(text, offered, turn.lang)
              if offered else None)
    return picked if picked is not None and known_noc(session, picked.noc) else None


def pick_described(text: str, offered: Sequence[Choice], lang: Lang) -> Choice | None:
    """The offered button the answer in words describes (knowledge.resolver.described_among)."""
    noc = described_among(text, [c.noc for c in offered], lang)
    return next((c for c in offered if c.noc == noc), None) if noc else None


@lru_cache(maxsize=256)
def jobs_named(text: str, lang: Lang) -> tuple[JobMention | None, JobMention | None]:
    """``find_jobs`` once per message: the current job and the target both ask for it."""
    return find_jobs(text, lang)


def _query(tracker: Tracker, text: str, lang: Lang) -> str | None:
    """What to resolve: the job title the NLU found in this message, else the one the words
    of the message name ("laid off from my job as a machinist last month"), else a short
    message about a job itself ("soudeuse"); a long one is not echoed back as a title."""
    entity = latest_entity(tracker, "job_title")
    if entity and (not text.strip() or is_button_payload(text)):
        return entity
    if not text.strip() or is_button_payload(text):
        return None
    current, _target = jobs_named(text, lang)
    if entity:
        # The extractor's span may be cut short ("pharmacy" of "pharmacy tech"): the words
        # around it that the resolver reads as one clear title are the job.
        if current is not None and current.clear and \
                entity.casefold() in current.text.casefold():
            return current.text
        return entity
    if current is not None:
        return current.text
    if latest_intent(tracker) == "inform_job" and \
            latest_entity(tracker, "target_job") is None and \
            len(text.split()) <= MAX_BARE_TITLE_WORDS:
        return text
    return None


def _answer(turn: Turn, session: Session, resolution: Resolution, query: str,
            target: TargetStep, events: list[EventType]) -> JobStep:
    lang = turn.lang
    found = choices(session, resolution, lang)
    if resolution.status == "clear" and found:
        events += [SlotSet("current_noc", found[0].noc), SlotSet("noc", None)]
        return _then_target(turn, target, events)
    events += [SlotSet("current_noc", None), SlotSet("noc", None)]
    if resolution.status == "ambiguous" and found:
        if target.question is None and (target.noc or target.topic):
            # "PSW for 3 years, I want to become an RPN": the programs lead to the job they
            # want, which is clear; which kind of PSW they are changes nothing to go on.
            return JobStep(events, True, target)
        # One question at a time: a target that needs asking waits in its slot.
        turn.respond("utter_ask_which_job", buttons=[c.button() for c in found],
                     quoted=shown_back(query))
        return JobStep(events, False)
    quoted = shown_back(_without_lead_in(query))
    if quoted:
        turn.respond("utter_no_occupation", quoted=quoted)
    else:
        turn.respond("utter_no_occupation_unnamed")
    buttons = sector_buttons(session, lang)
    if buttons:
        turn.respond("utter_browse_sectors", buttons=buttons)
    return JobStep(events, False)


# "I work as a", "je suis" ...: said back, "a job called 'I'm a youtuber'" reads oddly.
_LEAD_IN = re.compile(
    r"^\s*(?:i'?m|i am|i was|i work as|i worked as|i used to be|my job is|je suis|j'étais|"
    r"j'etais|je travaille comme|je travaillais comme|mon emploi est)\s+"
    r"(?:an?\s+|une?\s+|the\s+)?", re.IGNORECASE)


def _without_lead_in(text: str) -> str:
    return _LEAD_IN.sub("", text, count=1) or text


def _sure_language(tracker: Tracker) -> Lang | None:
    """The message's language when the detector was sure; else the resolver searches both."""
    for value in tracker.get_latest_entity_values("language"):
        sure = as_lang(value, None)
        if sure is not None:
            return sure
    return None
