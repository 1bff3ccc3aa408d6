"""Referrals: a learner followed a program link to its institution.

Every program link the channels show (web widget, Telegram) goes through the app server's
``/go/{program_id}``, which calls :func:`record_click` and then redirects to the program's
URL as the catalog has it. The link never carries the target URL, so the redirect cannot
be used to send people anywhere else (no open redirect), and a click on a program that is
not in the catalog is refused rather than recorded.

Nor does a link carry the conversation id: that id (Rasa's sender id) is the only key to a
transcript, and whoever has it can go on with the conversation through the widget's API, while
links end up in browser history, shared messages and access logs. A link carries the
conversation's pseudonym instead, ``ref`` = HMAC-SHA256(PATHFINDER_SECRET_KEY, sender id) cut
to 32 hex digits (:func:`conversation_ref`); the click stores it (``Referral.conversation``),
and the console computes each conversation's pseudonym to match clicks to conversations.
Without the key nothing is derived: links have no ``ref`` and their clicks count for no
conversation, while the chat works on (:func:`link_ref` logs why, once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Program, Referral, utc_naive
from knowledge.settings import SECRET_KEY

logger = logging.getLogger(__name__)

Channel = Literal["web", "telegram"]
CHANNELS: tuple[str, ...] = get_args(Channel)
# 128 bits of HMAC-SHA256: as hard to guess as the widget's ids, short enough for a link.
REF_HEX_DIGITS = 32
REF_PATTERN = rf"^[0-9a-f]{{{REF_HEX_DIGITS}}}$"
_REF_RE = re.compile(REF_PATTERN)
_warned_without_key = False


class UnknownProgram(LookupError):
    """The program id is not in the catalog (never was, or the catalog was reloaded)."""


def conversation_ref(sender: str, key: bytes) -> str:
    """The conversation's pseudonym in links: HMAC-SHA256(key, sender id), 32 hex digits.
    The same sender and key always give the same ref; without the key it tells nothing about
    the sender id (Telegram's ids are small numbers: a plain hash could be reversed)."""
    digest = hmac.new(key, sender.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:REF_HEX_DIGITS]


def link_ref(sender: str, key: bytes | None) -> str | None:
    """:func:`conversation_ref` with ``key``, the process's settings' ``secret_key``
    (PATHFINDER_SECRET_KEY, checked as the process started), or None without one: logged
    once per process, since clicks then count for no conversation."""
    if key is None:
        global _warned_without_key
        if not _warned_without_key:
            _warned_without_key = True
            logger.warning("%s is not set: program links carry no conversation reference and "
                           "clicks are not matched to conversations (`pathfinder run` sets it)",
                           SECRET_KEY.name)
        return None
    return conversation_ref(sender, key)


def record_click(session: Session, program_id: str, channel: Channel,
                 ref: str | None = None, at: dt.datetime | None = None) -> str:
    """Store the click and return the program's URL to redirect to. Commits.

    ``ref`` is the conversation's pseudonym (:func:`conversation_ref`), never its id. Raises
    UnknownProgram for an id the catalog does not have, ValueError for a channel other than
    ``web`` or ``telegram``, or for a ref that is not 32 lowercase hex digits (so that no
    conversation id is stored with the clicks)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if ref is not None and not _REF_RE.fullmatch(ref):
        raise ValueError(f"ref must be {REF_HEX_DIGITS} lowercase hex digits (a "
                         "conversation's pseudonym), not a conversation id")
    url = session.scalar(select(Program.url).where(Program.id == program_id))
    if url is None:
        raise UnknownProgram(program_id)
    clicked_at = utc_naive(at)
    session.add(Referral(program_id=program_id, conversation=ref or None,
                         channel=channel, clicked_at=clicked_at))
    session.commit()
    return url
