"""Conversation ids (Rasa sender ids) tell their channel: each connector puts its prefix in
front (the widget ``web-<32 hex>``, see connectors/widget; Telegram ``telegram-<chat id>``);
any other id came straight to Rasa's REST channel. The staff console filters by channel with
these prefixes.

Only our relays may speak for a conversation with one of these prefixes: Rasa's REST
channel is public, and a Telegram chat id is no secret (it is the user's numeric id), so
anyone could otherwise continue a Telegram learner's conversation and read the answers. A
relay shows it is one by sending the engine's token (PATHFINDER_RASA_TOKEN) in
``RELAY_TOKEN_HEADER``. Standard library only: the engine's channel (Python 3.10) reads it."""

from __future__ import annotations

import re

CHANNEL_PREFIXES = {"web": "web-", "telegram": "telegram-"}
REST = "rest"
RELAY_TOKEN_HEADER = "X-Pathfinder-Relay-Token"
CHANNELS = (*CHANNEL_PREFIXES, REST)
# The widget makes its ids from 128 random bits: the id is the only key to a transcript.
WEB_SENDER_PATTERN = rf"^{CHANNEL_PREFIXES['web']}[0-9a-f]{{32}}$"


def channel_of(sender_id: str) -> str:
    """``web``, ``telegram`` or ``rest``."""
    return next((channel for channel, prefix in CHANNEL_PREFIXES.items()
                 if sender_id.startswith(prefix)), REST)


def is_reserved(sender_id: str) -> bool:
    """Whether the id belongs to one of our channels (only their relays may use it)."""
    return channel_of(sender_id) != REST


# What logs and errors show instead of a conversation id: whoever has the id can read the
# transcript and go on with the conversation.
CONVERSATION_PLACEHOLDER = "<conversation>"
_CONVERSATION_IDS = re.compile(
    # the widget's ids (any case: refused with a 422, but logged all the same), Telegram's
    # (a group's chat id is negative)...
    rf"(?P<id>{CHANNEL_PREFIXES['web']}[0-9a-f]{{32}}|{CHANNEL_PREFIXES['telegram']}[0-9-]+"
    # whatever follows /conversations/ (the widget's API, Rasa's, the console's transcripts):
    # an id the API refuses may still be someone's...
    r"|(?<=/conversations/)[^/?#\s\"]+)"
    # ... and what the query's ref= or conversation= says (older links had the id there)
    r"|(?<=[?&;])(?P<name>ref|conversation)=[^&;#\s\"]*", re.IGNORECASE)


def _placeholder(match: re.Match[str]) -> str:
    name = match["name"]
    return f"{name}={CONVERSATION_PLACEHOLDER}" if name else CONVERSATION_PLACEHOLDER


def scrub_conversation_ids(text: str) -> str:
    """``text`` (a log line, a request path) with every conversation id and program link
    reference replaced by CONVERSATION_PLACEHOLDER."""
    return _CONVERSATION_IDS.sub(_placeholder, text)
