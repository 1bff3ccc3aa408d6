"""Staff accounts, password checks and server-side sessions.

Failed logins are not counted here: a count per account would let anyone who knows a staff
e-mail lock that account. The console counts them per client address and per address and
account, in memory (bot/console/routes.py).

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, with
the session's CSRF token and its expiry. Logging out deletes the row."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.passwords import (
    DUMMY_HASH,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    hash_password,
    verify_password,
)
from knowledge.models import MAX_EMAIL_CHARS, StaffAccount, StaffSession, utc_naive

SESSION_HOURS = 12
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normal_email(email: str) -> str:
    """An e-mail address as accounts are stored and looked up."""
    return email.strip().lower()


class AccountError(ValueError):
    """An account cannot be created as asked (the message says why)."""


def create_account(session: Session, email: str, password: str) -> StaffAccount:
    email = normal_email(email)
    if not EMAIL_RE.match(email) or len(email) > MAX_EMAIL_CHARS:
        raise AccountError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_CHARS} characters")
    if session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise AccountError(f"there is already a staff account for {email}")
    account = StaffAccount(email=email, password_hash=hash_password(password),
                           created_at=utc_naive())
    session.add(account)
    session.commit()
    return account


def log_in(session: Session, email: str, password: str) -> StaffAccount | None:
    """The account whose e-mail and password these are, else None. A wrong e-mail costs one
    scrypt check, as a wrong password does, so response times do not tell which e-mails
    have accounts."""
    account = session.scalar(select(StaffAccount).where(StaffAccount.email == normal_email(email)))
    if account is None:
        verify_password(password, DUMMY_HASH)
        return None
    return account if verify_password(password, account.password_hash) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, account: StaffAccount,
                  now: dt.datetime | None = None) -> str:
    """A new session for the account; returns the cookie's token. Commits."""
    now = now or utc_naive()
    token = secrets.token_urlsafe(32)
    # Expired sessions of anyone are dropped here rather than by a separate job.
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    session.add(StaffSession(token_hash=_token_hash(token), staff_id=account.id,
                             csrf_token=secrets.token_urlsafe(32), created_at=now,
                             expires_at=now + dt.timedelta(hours=SESSION_HOURS)))
    session.commit()
    return token


@dataclass(frozen=True)
class Staff:
    """Who is logged in, for a request."""

    id: int
    email: str
    csrf_token: str


def staff_for_token(session: Session, token: str,
                    now: dt.datetime | None = None) -> Staff | None:
    now = now or utc_naive()
    row = session.execute(
        select(StaffSession, StaffAccount.email)
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == _token_hash(token),
               StaffSession.expires_at > now)).first()
    if row is None:
        return None
    staff_session, email = row
    return Staff(id=staff_session.staff_id, email=email, csrf_token=staff_session.csrf_token)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    session.commit()
