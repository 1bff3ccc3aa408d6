"""Rasa's SQL tracker store, with personal identifiers redacted before events are written.

Rasa keeps messages as typed (RASA_NOTES: only Rasa Pro anonymises). This store writes the
same ``events`` table as ``type: SQL`` (same columns, same JSON), but each user message's text,
parse data text, entity values and channel metadata, each bot message's text, each slot
value (job titles typed by the learner; ``session_started_metadata``, where Rasa 3.6 keeps the
channel's session-start metadata) and any event's metadata go through
:func:`bot.engine.redaction.redact_event` first. The turn being processed has already used
the original values; from the next turn on, Rasa reads the redacted events back.

Configured in endpoints.yml (and by bot/stack.py) as
``type: bot.engine.tracker_store.RedactingSQLTrackerStore`` with the ``SQL`` store's keys
(dialect, db, host, port, username, password, query, login_db). Rasa 3.6 builds a custom
store with ``cls(host=url, domain=..., event_broker=..., **kwargs)``, which is
``SQLTrackerStore``'s own signature.

When the database fails (PostgreSQL restarted, or down for a while):

- each pooled connection is checked before use (``pool_pre_ping``): after a restart, the
  connections the pool kept are dead, and Rasa's engine would fail one turn on them first;
- a failed read or write is an error of the turn, not "a new conversation"
  (:func:`fail_loudly`): the REST channel then apologises and nothing is stored wrongly.

This file runs in the engine's environment (.venv-engine, Python 3.10).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any, NoReturn

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker, TrackerEventDiffEngine
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.engine.redaction import redact_event
from knowledge.language import Lang, as_lang

logger = logging.getLogger(__name__)

# The `language` slot of the trackers this process saved last, by sender: the REST channel
# answers with it (Content-Language) right after a turn without reading the whole tracker
# back (that read was ~10 ms of CPU per turn on a 6-turn conversation). Bounded; a sender
# missing here is read from the database.
_SAVED_LANGUAGES: OrderedDict[str, Lang] = OrderedDict()
_MAX_SAVED_LANGUAGES = 10_000


def saved_language(sender_id: str) -> Lang | None:
    """The language slot of ``sender_id``'s tracker as this process last saved it."""
    return _SAVED_LANGUAGES.get(sender_id)


def _remember_language(tracker: DialogueStateTracker) -> None:
    lang = as_lang(tracker.get_slot("language"), None)
    if lang is None:
        _SAVED_LANGUAGES.pop(tracker.sender_id, None)
        return
    _SAVED_LANGUAGES[tracker.sender_id] = lang
    _SAVED_LANGUAGES.move_to_end(tracker.sender_id)
    while len(_SAVED_LANGUAGES) > _MAX_SAVED_LANGUAGES:
        _SAVED_LANGUAGES.popitem(last=False)


def _raise(error: Exception) -> NoReturn:
    raise error


def fail_loudly(store: Any) -> None:
    """Make the ``FailSafeTrackerStore`` Rasa 3.6 wraps around every tracker store
    (``Agent._create_tracker_store``) pass the store's errors on. By itself, it answers a
    read that failed with None, which the processor takes for a new conversation (the turn
    runs on an empty tracker, and saving it, once the database answers again, appends none
    or the wrong events), and it keeps a tracker it failed to save in memory, where nothing
    reads it (the turn is lost though the learner was answered). Raised, the turn fails and
    the REST channel apologises: the learner tries again and loses nothing. Idempotent."""
    if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is None:
        store._on_tracker_store_error = _raise


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose stored events carry no email, phone, SIN, postal code or
    card number."""

    engine: Engine  # SQLTrackerStore's

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's engine has no pre-ping: after a database restart, each pooled connection
        # would fail a turn before the pool noticed. The same URL and options, checked.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As ``SQLTrackerStore.save`` (Rasa 3.6.21), with each event redacted."""
        # Forgotten until the events are committed: if writing fails (the turn then fails,
        # fail_loudly), the channel reads the language back instead of trusting the one of
        # an earlier turn.
        _SAVED_LANGUAGES.pop(tracker.sender_id, None)
        # The new events as Rasa's stream_events finds them, published once committed (Rasa
        # publishes first): the console never counts a turn the conversation does not hold.
        new_events: list[Event] = []
        if self.event_broker is not None:
            stored = await self.retrieve(tracker.sender_id)
            new_events = TrackerEventDiffEngine.event_difference(stored, tracker)

        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = redact_event(event.as_dict())
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=intent,
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()
        _remember_language(tracker)
        if new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

        logger.debug("Tracker with sender_id '%s' stored (redacted)", tracker.sender_id)

    async def _stream_new_events(self, event_broker: Any, new_events: list[Any],
                                 sender_id: str) -> None:
        """As Rasa 3.6.21's, each event redacted: what reaches the broker (and its disk, a
        durable queue) carries no more personal data than the tracker store."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **redact_event(event.as_dict())})
