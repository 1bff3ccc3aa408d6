"""Rasa's SQL tracker store, with personal identifiers redacted before events are written.

Rasa keeps messages as typed (RASA_NOTES: only Rasa Pro anonymises). This store writes the
same ``events`` table as ``type: SQL`` (same columns, same JSON), but each user message's text,
parse data text and entity values, and each bot message's text, go through
:func:`bot.engine.redaction.redact_event` first. The turn being processed has already used
the original text; from the next turn on, Rasa reads the redacted events back.

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

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.engine.redaction import redact_event

logger = logging.getLogger(__name__)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose stored events carry no email, phone, SIN, postal code or
    card number."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As ``SQLTrackerStore.save`` (Rasa 3.6.21), with each event redacted."""
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

        logger.debug("Tracker with sender_id '%s' stored (redacted)", tracker.sender_id)
