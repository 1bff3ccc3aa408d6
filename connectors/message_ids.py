"""Message ids: the idempotency key of a turn, agreed between the relays (the widget's relay in
bot/api, the Telegram connector, connectors/rasa_client.py) and the engine's REST channel
(bot/engine/channels.py).

A relay puts the id in the turn's metadata under ``MESSAGE_ID_KEY``; a turn sent again with
the same id in the same conversation (a retry after a replica died, a browser's resend) is not
run again: the channel answers with what the conversation stored for it. An id only ever
matches within its own conversation, so it needs no secret and no channel prefix.

A bounded printable token: it is stored with the user's message (Rasa's ``message_id``) and
shown nowhere. Standard library only: the engine (Python 3.10) imports this too.
"""

from __future__ import annotations

import re
import uuid

MESSAGE_ID_KEY = "message_id"
MAX_MESSAGE_ID_CHARS = 128
# Letters, digits and . _ : - (Telegram's ids hold a minus sign: a group's chat id is
# negative); no spaces, quotes or markup, so an id can go into a log line as it is.
_ID_CHARS = rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_MESSAGE_ID_CHARS - 1}}}"
MESSAGE_ID_PATTERN = rf"^{_ID_CHARS}$"
_MESSAGE_ID = re.compile(_ID_CHARS)


def is_message_id(value: object) -> bool:
    """Whether ``value`` is a message id this protocol accepts."""
    return isinstance(value, str) and _MESSAGE_ID.fullmatch(value) is not None


def new_message_id() -> str:
    """A fresh id (128 random bits), for a turn whose client gave none."""
    return uuid.uuid4().hex
