"""Referrals: a learner followed a program link to its institution.

Every program link the channels show (web widget, Telegram) goes through the app server's
``/go/{program_id}``, which calls :func:`record_click` and then redirects to the program's
URL as the catalog has it. The link never carries the target URL, so the redirect cannot
be used to send people anywhere else (no open redirect), and a click on a program that is
not in the catalog is refused rather than recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Program, Referral, utc_naive

Channel = Literal["web", "telegram"]
CHANNELS: tuple[str, ...] = get_args(Channel)
MAX_CONVERSATION_CHARS = 255  # Rasa's sender_id column


class UnknownProgram(LookupError):
    """The program id is not in the catalog (never was, or the catalog was reloaded)."""


def record_click(session: Session, program_id: str, channel: Channel,
                 conversation: str | None = None, at: dt.datetime | None = None) -> str:
    """Store the click and return the program's URL to redirect to. Commits.

    Raises UnknownProgram for an id the catalog does not have, ValueError for a channel
    other than ``web`` or ``telegram`` or a conversation id longer than Rasa's."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if conversation is not None and len(conversation) > MAX_CONVERSATION_CHARS:
        raise ValueError(f"conversation ids have at most {MAX_CONVERSATION_CHARS} characters")
    url = session.scalar(select(Program.url).where(Program.id == program_id))
    if url is None:
        raise UnknownProgram(program_id)
    clicked_at = utc_naive(at)
    session.add(Referral(program_id=program_id, conversation=conversation or None,
                         channel=channel, clicked_at=clicked_at))
    session.commit()
    return url
