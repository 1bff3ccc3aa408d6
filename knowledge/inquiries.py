""""Ask the institution": a question about a program, stored for its institution and counted
in analytics.

Anyone may send one (the employer search page's form, or ``POST /api/inquiries``), so every
field is checked here, whatever the caller: a name, an e-mail address and a question of
bounded length, no control characters. Text is stored as typed (pages escape it on output).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import MAX_EMAIL_CHARS, Inquiry, Program, utc_naive
from knowledge.referrals import UnknownProgram

MAX_NAME_CHARS = 100
MAX_QUESTION_CHARS = 2000
MIN_QUESTION_CHARS = 5

Source = Literal["form", "api"]
SOURCES: tuple[str, ...] = get_args(Source)
Grouping = Literal["week", "day", "program", "institution"]
GROUPINGS: tuple[str, ...] = get_args(Grouping)

# One @, a dot in the domain, no spaces: what a reply can be sent to, not full RFC 5322.
_EMAIL = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}\Z")


class InvalidInquiry(ValueError):
    """A field is missing or malformed; ``field`` names it, the message says why (English,
    for the API). ``problem`` (required, too_short, too_long, not_email, control_chars) and
    ``limit`` let a page say it in the reader's language."""

    def __init__(self, field: str, reason: str, problem: str, limit: int | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.problem = problem
        self.limit = limit


@dataclass(frozen=True)
class InquiryFields:
    name: str
    email: str
    question: str


def _has_control_chars(text: str, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def check_fields(name: object, email: object, question: object) -> InquiryFields:
    """The fields trimmed, or InvalidInquiry naming the first bad one."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInquiry("name", "your name is required", "required")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInquiry("name", f"at most {MAX_NAME_CHARS} characters", "too_long",
                             MAX_NAME_CHARS)
    if _has_control_chars(name, allow_newlines=False):
        raise InvalidInquiry("name", "contains control characters", "control_chars")
    if not isinstance(email, str) or not email.strip():
        raise InvalidInquiry("email", "an e-mail address is required, for the answer",
                             "required")
    email = email.strip()
    if len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email):
        raise InvalidInquiry("email", "not an e-mail address (like name@example.org)",
                             "not_email")
    if not isinstance(question, str) or not question.strip():
        raise InvalidInquiry("question", "the question is empty", "required")
    question = question.strip()
    if len(question) < MIN_QUESTION_CHARS:
        raise InvalidInquiry("question", f"at least {MIN_QUESTION_CHARS} characters",
                             "too_short", MIN_QUESTION_CHARS)
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInquiry("question", f"at most {MAX_QUESTION_CHARS} characters",
                             "too_long", MAX_QUESTION_CHARS)
    if _has_control_chars(question, allow_newlines=True):
        raise InvalidInquiry("question", "contains control characters", "control_chars")
    return InquiryFields(name, email, question)


def create_inquiry(session: Session, program_id: str, name: object, email: object,
                   question: object, source: Source = "api",
                   at: dt.datetime | None = None) -> Inquiry:
    """Check and store an inquiry for the program's institution. Commits.

    Raises InvalidInquiry for a bad field, UnknownProgram for an id the catalog lacks."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    fields = check_fields(name, email, question)
    institution_id = session.scalar(
        select(Program.institution_id).where(Program.id == program_id))
    if institution_id is None:
        raise UnknownProgram(program_id)
    inquiry = Inquiry(program_id=program_id, institution_id=institution_id, name=fields.name,
                      email=fields.email, question=fields.question, source=source,
                      created_at=utc_naive(at))
    session.add(inquiry)
    session.commit()
    return inquiry


def inquiries_for_institution(session: Session, institution_id: str,
                              limit: int = 100) -> list[Inquiry]:
    """The institution's inquiries, newest first."""
    return list(session.scalars(
        select(Inquiry).where(Inquiry.institution_id == institution_id)
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc()).limit(limit)))


def _bucket(inquiry_row: tuple[dt.datetime, str, str], by: Grouping) -> str:
    created_at, program_id, institution_id = inquiry_row
    if by == "week":  # the Monday that starts the ISO week
        return (created_at.date() - dt.timedelta(days=created_at.weekday())).isoformat()
    if by == "day":
        return created_at.date().isoformat()
    if by == "program":
        return program_id
    return institution_id


def count_inquiries(session: Session, since: dt.datetime | None = None,
                    until: dt.datetime | None = None,
                    by: Grouping = "week") -> list[tuple[str, int]]:
    """Inquiries sent in [since, until) (UTC), counted per ``by``: ``week`` (the Monday's ISO
    date), ``day``, ``program`` or ``institution``; sorted by key. Bucketing happens in Python
    so that SQLite and PostgreSQL count the same way."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    query = select(Inquiry.created_at, Inquiry.program_id, Inquiry.institution_id)
    if since is not None:
        query = query.where(Inquiry.created_at >= utc_naive(since))
    if until is not None:
        query = query.where(Inquiry.created_at < utc_naive(until))
    counts = Counter(_bucket(row, by) for row in session.execute(query).tuples())
    return sorted(counts.items())
