"""Conversation ids kept out of the web app's access log.

A conversation id (Rasa sender id) is the only key to a transcript: whoever has it can read
the conversation and go on with it through the widget's API. uvicorn logs every request's
path and query (``uvicorn.access``), and the widget's path holds the id
(``/api/conversations/web-<32 hex>/messages``), so logs would hand the keys to anyone who
reads them. :func:`install` (called by ``create_app``) adds a filter to that logger that
replaces conversation ids, and the values of ``ref=`` and ``conversation=`` query parameters,
with a placeholder before a line is written. The status, method and the rest of the path
stay, so the log still says what happened.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
PLACEHOLDER = "<conversation>"
_IDS = re.compile(
    # the widget's ids (any case: refused with a 422, but logged all the same), Telegram's
    # telegram-<chat id> (a group's id is negative)...
    r"(?P<id>web-[0-9a-f]{32}|telegram-[0-9-]+"
    # (whatever stands in the widget's path: an id the API refuses may still be someone's)
    r"|(?<=/api/conversations/)[^/?#\s\"]+)"
    # ... and what the query's ref= or conversation= says (older links had the id there)
    r"|(?<=[?&;])(?P<name>ref|conversation)=[^&;#\s\"]*", re.IGNORECASE)


def _placeholder(match: re.Match[str]) -> str:
    return f"{match['name']}={PLACEHOLDER}" if match["name"] else PLACEHOLDER


def scrub(text: str) -> str:
    """``text`` with every conversation id and link reference replaced by the placeholder."""
    return _IDS.sub(_placeholder, text)


class ConversationIdFilter(logging.Filter):
    """Rewrites a record's message and string arguments (uvicorn passes the path as one);
    never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: scrub(value) if isinstance(value, str) else value
                           for key, value in record.args.items()}
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger, once per process (a logger's filters apply
    only to records logged on it, which is how uvicorn logs requests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, ConversationIdFilter) for f in logger.filters):
        logger.addFilter(ConversationIdFilter())
