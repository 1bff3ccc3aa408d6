"""What every action needs from its surroundings: a knowledge-base session, the occupation
resolver's index, the language of the turn and the user's constraints, and a base class that
turns any exception into a polite message instead of a crashed action."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session, sessionmaker

from knowledge.constraints import Constraints, parse_goal, read_limits
from knowledge.db import make_engine, session_factory
from knowledge.explainer import explain_understood
from knowledge.language import Lang, as_lang
from knowledge.occupations import occupation_titles
from knowledge.resolver import default_index, default_index_ready
from knowledge.settings import actions_settings

logger = logging.getLogger(__name__)


# Said when an action fails (domain.yml; rendered in the conversation's language).
SORRY_RESPONSE = "utter_sorry"

_sessions: sessionmaker[Session] | None = None


def warm_up() -> None:
    """Build the resolver index (about 5 s, more on a busy machine) as the server starts, so
    the first user does not wait for it.

    rasa_sdk loads this package in Sanic's main process, which only supervises, and again in
    each worker process, which serves. Only workers build, in a background thread: Sanic
    stops a worker that has not reported ready within 30 s. A request that comes earlier
    waits for the same build (``default_index`` holds a lock), in a thread of its own
    (``PathfinderAction.run``)."""
    if not os.environ.get("SANIC_WORKER_NAME"):
        return
    threading.Thread(target=_build_index, name="occupation-index", daemon=True).start()


def _build_index() -> None:
    started = time.monotonic()
    try:
        default_index()
    except Exception:  # an empty or missing database: the actions will say sorry
        logger.exception("Could not build the occupation index from %s",
                         actions_settings().database_url)
        return
    logger.info("Occupation index ready in %.1f s", time.monotonic() - started)


@contextmanager
def knowledge_session() -> Iterator[Session]:
    """A read-only session on the knowledge base (PATHFINDER_DATABASE_URL, as it was at the
    first call since the process started or since :func:`reset_sessions`)."""
    global _sessions
    if _sessions is None:
        _sessions = session_factory(make_engine(actions_settings().database_url))
    with _sessions() as session:
        yield session


def reset_sessions() -> None:
    """Forget the session factory: the next :func:`knowledge_session` opens the knowledge
    base PATHFINDER_DATABASE_URL names then (for a test that changes it)."""
    global _sessions
    _sessions = None


def turn_language(tracker: Tracker) -> Lang:
    """The `language` entity of the latest message when the detector was sure, else the slot."""
    for value in tracker.get_latest_entity_values("language"):
        sure = as_lang(value, None)
        if sure is not None:
            return sure
    return as_lang(tracker.get_slot("language"))


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") if tracker.latest_message else None
    return text if isinstance(text, str) else ""


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


FALLBACK_INTENT = "nlu_fallback"


def best_guess_intent(tracker: Tracker) -> str | None:
    """The NLU's most likely intent for the latest message, behind ``nlu_fallback``."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    for intent in ranking:
        name = intent.get("name") if isinstance(intent, dict) else None
        if isinstance(name, str) and name != FALLBACK_INTENT:
            return name
    return None


def is_button_payload(text: str) -> bool:
    """`/intent{...}` messages come from buttons: they carry no words to parse."""
    return text.strip().startswith("/")


_PAYLOAD = re.compile(r"^\s*/\w+(\{.*\})?\s*$", re.DOTALL)


def payload_entities(text: str) -> dict[str, Any]:
    """The entities of a `/intent{"key": "value"}` payload ({} for anything else)."""
    match = _PAYLOAD.match(text)
    if not match or not match.group(1):
        return {}
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """The entity of the latest message (the NLU's, else a button payload's), stripped.
    Pieces of one entity that the extractor split ("medical" + "administrative assistant")
    are joined back when only spaces or a hyphen separate them in the message."""
    spans = _entity_spans(tracker, name)
    if len(spans) > 1:
        text = latest_text(tracker)
        start, end = spans[0]
        pieces = 1
        for next_start, next_end in spans[1:]:
            if next_start < end or text[end:next_start].strip(" -") != "":
                break
            end, pieces = next_end, pieces + 1
        if pieces > 1:  # else the NLU's value, which the synonym mapper may have normalised
            return text[start:end].strip()
    for value in tracker.get_latest_entity_values(name):
        if isinstance(value, str) and value.strip():
            return value.strip()
    value = payload_entities(latest_text(tracker)).get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _entity_spans(tracker: Tracker, name: str) -> list[tuple[int, int]]:
    """(start, end) of the latest message's `name` entities, in text order, when the NLU gave
    positions that fit the text."""
    text = latest_text(tracker)
    spans = []
    for entity in (tracker.latest_message or {}).get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        if entity.get("entity") == name and isinstance(start, int) and isinstance(end, int) \
                and 0 <= start < end <= len(text):
            spans.append((start, end))
    return sorted(spans)


def user_constraints(tracker: Tracker) -> Constraints:
    return Constraints.from_dict(_as_mapping(tracker.get_slot("constraints")))


def user_wishes(tracker: Tracker) -> Constraints:
    """What the learner would like but did not require ("online if possible"): it ranks the
    programs, it filters none out (knowledge.recommender.recommend's ``wishes``)."""
    return Constraints.from_dict(_as_mapping(tracker.get_slot("preferences")))


def _as_mapping(value: Any) -> dict[str, Any] | None:
    # The slot is JSON; a hand-written tracker might hold a string of JSON.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def slot_text(tracker: Tracker, name: str) -> str | None:
    value = tracker.get_slot(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def slot_list(tracker: Tracker, name: str) -> list[str]:
    value = tracker.get_slot(name)
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if isinstance(item, str | int)]


def shown_back(text: str, limit: int = 60) -> str:
    """User text as it can be quoted back: one line, cut, without markup characters (an
    answer must never echo HTML or script)."""
    cleaned = " ".join(re.sub(r"[<>&\"`\\{}]", " ", text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _placeholder_value(value: str) -> str:
    """A value for a response's placeholder. Rasa 3.6 gives up filling a response whose
    filled text contains "0[" (its own marker) and sends the placeholders unfilled."""
    return value.replace("0[", "0 [")


def known_noc(session: Session, noc: str | None) -> str | None:
    """`noc` when it names a NOC unit group of the knowledge base (buttons can be forged)."""
    if not noc or not re.fullmatch(r"\d{5}", noc):
        return None
    return noc if noc in occupation_titles(session) else None


@dataclass
class Turn:
    """What an action works with: the tracker, the language to answer in, and the messages
    it has decided to send (sent only when it finishes without an error)."""

    tracker: Tracker
    lang: Lang
    out: CollectingDispatcher = field(default_factory=CollectingDispatcher)

    def say(self, text: str, **kwargs: Any) -> None:
        """A sentence built from data, as knowledge.explainer worded it in ``lang``."""
        self.out.utter_message(text=text, **kwargs)

    def respond(self, response: str, buttons: list[dict[str, Any]] | None = None,
                **values: str) -> None:
        """A fixed reply: a response of domain.yml, which the engine renders in the
        conversation's language (its `language` slot, as it was before this action's own
        events), filling its ``{placeholders}`` from ``values``; ``buttons`` follow the
        response's own."""
        self.out.utter_message(response=response, buttons=buttons,
                               **{name: _placeholder_value(value)
                                  for name, value in values.items()})

    def send_json(self, payload: dict[str, Any]) -> None:
        self.out.utter_message(json_message=payload)

    @property
    def shows_cards(self) -> bool:
        """The client renders the recommendations payload as program cards: it says so in
        the message's metadata, ``{"cards": true}`` (the widget's relay, Telegram). Then a
        list is introduced in the text but not written out a second time."""
        metadata = (self.tracker.latest_message or {}).get("metadata")
        return isinstance(metadata, dict) and metadata.get("cards") is True

    def list_programs(self, intro: str, lines: list[str], payload: dict[str, Any]) -> None:
        """A program list: the text (the intro alone for clients that show cards), then the
        payload right after it, so that cards follow their introduction."""
        self.say("\n".join([intro] if self.shows_cards else [intro, *lines]))
        self.send_json(payload)


def read_constraints(turn: Turn) -> list[EventType]:
    """Budget, length, delivery, schedule, program language, region, financial aid and goal
    from the latest message, limits and wishes ("if possible") apart, merged over the slots
    (later statements override earlier ones);
    the SlotSet events are also applied to ``turn.tracker`` so that the rest of the action
    sees them. When the learner refines a list they saw, says back what was understood."""
    text = latest_text(turn.tracker)
    if not text.strip() or is_button_payload(text):
        return []
    previous, wished = user_constraints(turn.tracker), user_wishes(turn.tracker)
    stated = read_limits(text, previous, wished)
    updated, wishes = stated.constraints, stated.preferences
    goal = parse_goal(text)
    values: dict[str, object] = {"constraints": updated.to_dict(),
                                 "preferences": wishes.to_dict()}
    if goal is not None:
        values["goal"] = goal
    events = slot_changes(turn.tracker, values)
    if (updated, wishes) != (previous, wished) and slot_list(turn.tracker, "last_program_ids"):
        understood = explain_understood(updated, turn.lang, wishes)
        if understood:
            turn.say(understood)
        else:
            turn.respond("utter_no_limits")
    turn.tracker.add_slots(events)
    return events


class PathfinderAction(Action, ABC):
    """An action that never crashes the server: an exception is logged, the user gets a
    polite message in the turn's language, and `failure_events` keep the dialogue sane."""

    # The actions that open a learner's turn read the constraints in the message first,
    # themselves: one custom action per turn, since each call costs Rasa a policy
    # prediction, a tracker post and a check of the reply.
    reads_constraints: ClassVar[bool] = False

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def act(self, turn: Turn) -> list[EventType]: ...

    def failure_events(self, tracker: Tracker) -> list[EventType]:
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        try:
            # A server that just started may still be building the occupation index: wait
            # for it off the event loop, which keeps answering health checks meanwhile (a
            # supervisor would otherwise take the server for frozen and restart it).
            if not default_index_ready():
                await asyncio.to_thread(default_index)
            turn = Turn(tracker, turn_language(tracker))
            events = read_constraints(turn) if self.reads_constraints else []
            events += self.act(turn)
        except Exception:
            logger.exception("%s failed for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response=SORRY_RESPONSE)
            return self.failure_events(tracker)
        dispatcher.messages.extend(turn.out.messages)
        return events


def since_start_over(tracker: Tracker) -> list[dict[str, Any]]:
    """The conversation's events since the learner last started over (all slots reset, or
    a restart): what they said before belongs to another search."""
    events = list(tracker.events)
    for at in range(len(events) - 1, -1, -1):
        if events[at].get("event") in ("reset_slots", "restart"):
            return events[at + 1:]
    return events


def said_response(event: dict[str, Any], response: str) -> bool:
    """Whether ``event`` is the bot sending the domain response ``response`` (the engine
    records its name in the bot event's metadata)."""
    return event.get("event") == "bot" and \
        (event.get("metadata") or {}).get("utter_action") == response


def asked_last(tracker: Tracker, response: str) -> bool:
    """Whether the bot's last message before the latest user message was ``response``."""
    events = list(tracker.events)
    latest_user = next((at for at in range(len(events) - 1, -1, -1)
                        if events[at].get("event") == "user"), len(events))
    for event in reversed(events[:latest_user]):
        if event.get("event") == "bot":
            return said_response(event, response)
    return False


def slot_changes(tracker: Tracker, values: dict[str, Any]) -> list[EventType]:
    """SlotSet events for the slots whose value differs from the tracker's."""
    return [SlotSet(name, value) for name, value in values.items()
            if tracker.get_slot(name) != value]
