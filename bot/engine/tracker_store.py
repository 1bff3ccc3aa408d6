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

This file runs in the engine's environment (.venv-engine, Python 3.10).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

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


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose stored events carry no email, phone, SIN, postal code or
    card number."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As ``SQLTrackerStore.save`` (Rasa 3.6.21), with each event redacted."""
        # Forgotten until the events are committed: if writing fails (Rasa then answers from
        # its in-memory fallback), the channel reads the language back instead of trusting
        # the one of an earlier turn.
        _SAVED_LANGUAGES.pop(tracker.sender_id, None)
        await self.stream_events(tracker)

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

        logger.debug("Tracker with sender_id '%s' stored (redacted)", tracker.sender_id)

    async def _stream_new_events(self, event_broker: Any, new_events: list[Any],
                                 sender_id: str) -> None:
        """As Rasa 3.6.21's, each event redacted: what reaches the broker (and its disk, a
        durable queue) carries no more personal data than the tracker store."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **redact_event(event.as_dict())})
