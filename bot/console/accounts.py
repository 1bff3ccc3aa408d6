"""Staff accounts, logins with lock-out, and server-side sessions.

A login that fails ``MAX_FAILURES`` times in a row locks the account for ``LOCK_MINUTES``
(counted per account, so guessing one account's password does not lock out the others; a
success resets the count). While locked, even the right password is refused.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, with
the session's CSRF token and its expiry. Logging out deletes the row."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.passwords import (
    DUMMY_HASH,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    hash_password,
    verify_password,
)
from knowledge.models import StaffAccount, StaffSession, utc_naive

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")




class AccountError(ValueError):
    """An account cannot be created as asked (the message says why)."""


def create_account(session: Session, email: str, password: str) -> StaffAccount:
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_CHARS} characters")
    if session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise AccountError(f"there is already a staff account for {email}")
    account = StaffAccount(email=email, password_hash=hash_password(password), failed_logins=0,
                           created_at=utc_naive())
    session.add(account)
    session.commit()
    return account


class LoginOutcome(Enum):
    OK = "ok"
    WRONG = "wrong"    # unknown email or wrong password: the page does not say which
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    account: StaffAccount | None = None
    locked_until: dt.datetime | None = None


def log_in(session: Session, email: str, password: str,
           now: dt.datetime | None = None) -> LoginResult:
    """Check a login attempt and record its outcome on the account. Commits."""
    now = now or utc_naive()
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.email == email.strip().lower()))
    if account is None:
        verify_password(password, DUMMY_HASH)  # same cost as a known email
        return LoginResult(LoginOutcome.WRONG)
    if account.locked_until is not None:
        if account.locked_until > now:
            verify_password(password, DUMMY_HASH)  # a locked account answers like any other
            return LoginResult(LoginOutcome.LOCKED, locked_until=account.locked_until)
        account.locked_until = None
        account.failed_logins = 0
    if verify_password(password, account.password_hash):
        account.failed_logins = 0
        session.commit()
        return LoginResult(LoginOutcome.OK, account=account)
    account.failed_logins += 1
    if account.failed_logins >= MAX_FAILURES:
        account.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
    session.commit()
    if account.locked_until is not None:
        return LoginResult(LoginOutcome.LOCKED, locked_until=account.locked_until)
    return LoginResult(LoginOutcome.WRONG)


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
