"""Conversation ids kept out of the web app's access log.

A conversation id (Rasa sender id) is the only key to a transcript: whoever has it can read
the conversation and go on with it through the widget's API. uvicorn logs every request's
path and query (``uvicorn.access``), and the widget's path holds the id
(``/api/conversations/web-<32 hex>/messages``), so logs would hand the keys to anyone who
reads them. :func:`install` (called by ``create_app``) adds a filter to that logger that
replaces conversation ids, and the values of ``ref=`` and ``conversation=`` query parameters,
with a placeholder before a line is written (connectors.senders.scrub_conversation_ids, which
the Rasa client's messages use too). The status, method and the rest of the path stay, so the
log still says what happened.
"""

from __future__ import annotations

import logging

from connectors.senders import scrub_conversation_ids

ACCESS_LOGGER = "uvicorn.access"


def _scrubbed(value: object) -> object:
    return scrub_conversation_ids(value) if isinstance(value, str) else value


class ConversationIdFilter(logging.Filter):
    """Rewrites a record's message and string arguments (uvicorn passes the path as one);
    never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub_conversation_ids(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _scrubbed(value) for key, value in record.args.items()}
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger, once per process (a logger's filters apply
    only to records logged on it, which is how uvicorn logs requests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, ConversationIdFilter) for f in logger.filters):
        logger.addFilter(ConversationIdFilter())
