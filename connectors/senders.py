"""Conversation ids (Rasa sender ids) tell their channel: each connector puts its prefix in
front (the widget ``web-<32 hex>``, see connectors/widget; Telegram ``telegram-<chat id>``);
any other id came straight to Rasa's REST channel. The staff console filters by channel with
these prefixes."""

from __future__ import annotations

CHANNEL_PREFIXES = {"web": "web-", "telegram": "telegram-"}
REST = "rest"
CHANNELS = (*CHANNEL_PREFIXES, REST)
# The widget makes its ids from 128 random bits: the id is the only key to a transcript.
WEB_SENDER_PATTERN = rf"^{CHANNEL_PREFIXES['web']}[0-9a-f]{{32}}$"


def channel_of(sender_id: str) -> str:
    """``web``, ``telegram`` or ``rest``."""
    return next((channel for channel, prefix in CHANNEL_PREFIXES.items()
                 if sender_id.startswith(prefix)), REST)
