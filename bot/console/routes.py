"""The console's pages (server-rendered with Jinja2) and downloads, under ``/console``.

Access: every route but the login page and the stylesheet depends on a logged-in staff
session. An anonymous page request is redirected to the login page (303); an anonymous
download or form post gets a 401. Every form carries a CSRF token (the session's; on the
login form, a double-submit cookie), checked before anything happens: 403 without it.
Forms, tokens and cookies are read and set by bot/api/forms.py, as for the employer pages."""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.api.client_address import limit_key
from bot.api.deps import SessionDep
from bot.api.forms import (
    Form,
    cookie_token,
    double_submitted,
    field,
    read_form,
    same_token,
    set_cookie,
)
from bot.api.ids import MAX_ID, IdInPath
from bot.api.rate_limit import FailureBackoff, RateLimiter
from bot.console import accounts, analytics
from bot.console.conversations import Filters, TrackerStore
from bot.console.nlu_export import ExportError, training_data_yaml
from bot.console.summaries import SummaryStore
from connectors.senders import CHANNELS
from knowledge import tagging
from knowledge.models import MAX_EMAIL_CHARS, TurnAnnotation, utc_naive
from knowledge.settings import web_settings

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "pathfinder_console"
LOGIN_CSRF_COOKIE = "pathfinder_console_login"
PAGE_SIZE = 50
# Failed logins of one address to one account, in a row, before that address must wait
# (FIRST_WAIT_S, doubling with each further failure up to LONGEST_WAIT_S) to try that account
# again. Per address and account, not per account: a count per account would let anyone who
# knows a staff e-mail lock its owner out. Counted for any e-mail typed, with or without an
# account, so the wait does not tell which have one.
FAILURES_BEFORE_WAIT = 5
FIRST_WAIT_S = 60.0
LONGEST_WAIT_S = 15 * 60.0
LOGIN_REFUSED = (f"Wrong email or password. After {FAILURES_BEFORE_WAIT} failed logins, an "
                 "account cannot be tried from your address for a few minutes.")
# Failed logins per client address over all accounts (PATHFINDER_LOGIN_FAILURE_RATE,
# COUNT/SECONDS), attempts refused by the wait included: the wait per account does not stop
# one address trying one password on many accounts. Everyone behind one address (an office
# NAT, a proxy missing from PATHFINDER_TRUSTED_PROXIES; for IPv6, one /64) shares the count.
TOO_MANY_FAILURES = ("Too many failed logins from your address. Wait a few minutes, or ask "
                     "an administrator.")
MAX_FORM_BYTES = 64 * 1024
MAX_NOTE_CHARS = 2000
SECURITY_HEADERS = {
    # No script at all; styles only from our own stylesheet; forms post only to us.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/console", tags=["staff console"])


# --- access ------------------------------------------------------------------------------------

def _staff(request: Request, session: Session) -> accounts.Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.staff_for_token(session, token) if token else None


def staff_page(request: Request, session: SessionDep) -> accounts.Staff:
    """A page: anonymous visitors are sent to the login page."""
    staff = _staff(request, session)
    if staff is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "Log in to the staff console first.", headers={
            "Location": "/console/login?" + urlencode({"next": target}), **SECURITY_HEADERS})
    return staff


def staff_only(request: Request, session: SessionDep) -> accounts.Staff:
    """A download or a form post: anonymous requests get a 401."""
    staff = _staff(request, session)
    if staff is None:
        raise HTTPException(401, "Log in to the staff console first.",
                            headers=SECURITY_HEADERS)
    return staff


StaffPage = Annotated[accounts.Staff, Depends(staff_page)]
StaffOnly = Annotated[accounts.Staff, Depends(staff_only)]


async def _form(request: Request) -> Form:
    return await read_form(request, MAX_FORM_BYTES, max_fields=2000)


def _refuse_without_token(ok: bool) -> None:
    if not ok:
        raise HTTPException(403, "The form's security token is missing or out of date: "
                                 "reload the page and try again.", headers=SECURITY_HEADERS)


def _check_csrf(form: Form, staff: accounts.Staff) -> None:
    """A logged-in form carries the session's token."""
    _refuse_without_token(same_token(field(form, "csrf"), staff.csrf_token))


def _page(request: Request, name: str, context: dict[str, Any],
          status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def _safe_next(target: str) -> str:
    """Where to go after logging in: a console path, never another site (no open redirect)
    nor another part of this one. Judged as a browser reads it: percent-decoded (%2e%2e is a
    dot-segment to a browser), without backslashes (a browser reads them as slashes) or control
    characters (a browser drops them, joining what they separate)."""
    default = "/console/conversations"
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "//[" (an unclosed IPv6 host)
        return default
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or "\\" in path or not (path + parts.query).isprintable():
        return default
    # normpath keeps a leading "//" (POSIX), which then fails the prefix check.
    path = posixpath.normpath(path)
    if not path.startswith("/console/"):
        return default
    return quote(path) + (f"?{parts.query}" if parts.query else "")


def tracker(request: Request) -> TrackerStore:
    # app.state.tracker_db_url: set by whoever builds the app for another store (tests).
    url = getattr(request.app.state, "tracker_db_url", None) or web_settings().tracker_db_url
    return TrackerStore(url)


TrackerDep = Annotated[TrackerStore, Depends(tracker)]


def summary_store(session: SessionDep) -> SummaryStore:
    return SummaryStore(session)


# The list, filters, search and analytics: the summaries the events consumer keeps
# (bot/events/), not the tracker store's events.
SummaryDep = Annotated[SummaryStore, Depends(summary_store)]


# --- login -------------------------------------------------------------------------------------

@router.get("/static/console.css", include_in_schema=False)
def stylesheet() -> FileResponse:
    return FileResponse(HERE / "static" / "console.css", media_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})


def _login_page(request: Request, next_url: str, error: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    csrf = cookie_token(request, LOGIN_CSRF_COOKIE)
    response = _page(request, "login.html", {"csrf": csrf, "next": next_url, "error": error},
                     status_code)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, csrf, path="/console/login")
    return response


# The limiters below are made on first use, in memory, unless create_app has put shared ones
# in app.state (PATHFINDER_REDIS_URL: bot/api/app.py, bot/api/shared_limits.py).
def _failed_logins(request: Request) -> RateLimiter:
    state = request.app.state
    limiter = getattr(state, "console_failed_logins", None)
    if limiter is None:
        limiter = RateLimiter(*web_settings().login_failure_rate)
        state.console_failed_logins = limiter
    return limiter


def _login_waits(request: Request) -> FailureBackoff:
    state = request.app.state
    waits = getattr(state, "console_login_waits", None)
    if waits is None:
        waits = FailureBackoff(FAILURES_BEFORE_WAIT, FIRST_WAIT_S, LONGEST_WAIT_S)
        state.console_login_waits = waits
    return waits


@router.get("/login", response_class=HTMLResponse, summary="The login page")
def login_page(request: Request, next: str = "/console/conversations") -> HTMLResponse:
    return _login_page(request, _safe_next(next))


@router.post("/login", response_class=HTMLResponse, summary="Log in (form: email, password)",
             responses={303: {"description": "Logged in: to the page asked for"},
                        401: {"description": "Wrong email or password"},
                        403: {"description": "No CSRF token"},
                        429: {"description": "Too many failed logins from this address, "
                                             "or from this address to this account"}})
async def log_in(request: Request, session: SessionDep) -> Response:
    form = await _form(request)
    _refuse_without_token(double_submitted(request, LOGIN_CSRF_COOKIE, field(form, "csrf")))
    next_url = _safe_next(field(form, "next"))
    client = limit_key(request)
    email, password = field(form, "email"), field(form, "password")
    # Kept in memory, or as an HMAC in Redis (bot/api/shared_limits.py): no longer than an
    # account's e-mail can be (a longer one has no account).
    pair = f"{client} {accounts.normal_email(email)[:MAX_EMAIL_CHARS]}"
    failures, waits = _failed_logins(request), _login_waits(request)
    # Every attempt counts as a failure up front, before the password check (which waits in
    # the thread pool): counted after it, a burst of parallel attempts would all pass this
    # check first. A success is forgiven below. Not even a right password gets in here: the
    # answer must not tell guesses apart.
    if not failures.allow(client):
        logger.warning("Console login refused: too many failed logins from %s", client)
        return _login_page(request, next_url, TOO_MANY_FAILURES, 429)
    if waits.refused(pair):
        # No password check: the wait is decided before any account is looked up, so a
        # quick answer tells nothing.
        logger.warning("Console login refused: failed logins in a row from %s to one "
                       "account", client)
        return _login_page(request, next_url, TOO_MANY_FAILURES, 429)
    # scrypt takes tens of milliseconds: not on the event loop, which serves every request.
    account = await run_in_threadpool(accounts.log_in, session, email, password)
    if account is None:
        waits.failed(pair)
        return _login_page(request, next_url, LOGIN_REFUSED, 401)
    failures.forgive(client)
    waits.succeeded(pair)
    token = accounts.start_session(session, account)
    response = RedirectResponse(next_url, status_code=303, headers=SECURITY_HEADERS)
    set_cookie(request, response, SESSION_COOKIE, token, path="/console",
               max_age=accounts.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


@router.post("/logout", status_code=303, summary="Log out (form: csrf)",
             responses={303: {"description": "Logged out: to the login page"}})
async def log_out(request: Request, session: SessionDep, staff: StaffOnly) -> Response:
    _check_csrf(await _form(request), staff)
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


# --- conversations -----------------------------------------------------------------------------

@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def home(staff: StaffPage) -> RedirectResponse:
    return RedirectResponse("/console/conversations", status_code=303,
                            headers=SECURITY_HEADERS)


def _flagged_senders(session: Session) -> set[str]:
    return set(session.scalars(
        select(TurnAnnotation.sender_id).where(TurnAnnotation.flagged.is_(True))))


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a date like 2026-11-25.") from None


@router.get("/conversations", response_class=HTMLResponse,
            summary="Conversations, with filters and search")
def conversation_list(
    request: Request, session: SessionDep, store: SummaryDep, staff: StaffPage,
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    channel: Annotated[str | None, Query(max_length=10)] = None,
    language: Annotated[str | None, Query(max_length=5)] = None,
    low_confidence: bool = False, no_recommendation: bool = False, flagged: bool = False,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    if channel and channel not in CHANNELS:
        raise HTTPException(400, f"channel must be one of {', '.join(CHANNELS)}.")
    if language and language not in ("en", "fr"):
        raise HTTPException(400, "language must be en or fr.")
    filters = Filters(date_from=_date(date_from, "from"), date_to=_date(date_to, "to"),
                      channel=channel or None, language=language or None,
                      low_confidence=low_confidence, no_recommendation=no_recommendation,
                      flagged=flagged, query=q.strip())
    threshold = web_settings().low_confidence
    flagged_senders = _flagged_senders(session)
    total, shown = store.page(filters, threshold, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return _page(request, "conversations.html", {
        "staff": staff, "filters": filters, "conversations": shown, "total": total,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "threshold": threshold,
        "flagged_senders": flagged_senders, "channels": CHANNELS,
        "page_query": urlencode(query), "quote": quote,
    })


# `:path`: REST clients choose their own sender ids, and one with a "/" (quoted %2F in our
# links, decoded before routing) must still open.
@router.get("/conversations/{sender_id:path}", response_class=HTMLResponse,
            summary="A conversation's transcript", responses={404: {"description": "No such "
                                                                  "conversation"}})
def transcript(request: Request, sender_id: str, session: SessionDep, store: TrackerDep,
               staff: StaffPage) -> HTMLResponse:
    conversation = store.conversation(sender_id)
    if conversation is None:
        raise HTTPException(404, "There is no conversation with this id in the tracker store "
                                 "(it may have been purged).", headers=SECURITY_HEADERS)
    annotations = {a.event_id: a for a in session.scalars(
        select(TurnAnnotation).where(TurnAnnotation.sender_id == sender_id))}
    intents = sorted({t.intent for t in conversation.user_turns
                      if t.intent and t.intent != "nlu_fallback"})
    return _page(request, "transcript.html", {
        "staff": staff, "conversation": conversation, "annotations": annotations,
        "threshold": web_settings().low_confidence, "intents": intents, "quote": quote,
        "saved": request.query_params.get("saved"),
    })


@router.post("/conversations/{sender_id:path}/turns/{event_id}/annotation", status_code=303,
             summary="Flag a turn and/or note on it (form: csrf, flagged, note)",
             responses={303: {"description": "Saved: back to the transcript"},
                        400: {"description": "Note too long"},
                        404: {"description": "No such user message in this conversation"}})
async def annotate(request: Request, sender_id: str, event_id: IdInPath, session: SessionDep,
                   store: TrackerDep, staff: StaffOnly) -> Response:
    form = await _form(request)
    _check_csrf(form, staff)
    note = field(form, "note").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise HTTPException(400, f"A note has at most {MAX_NOTE_CHARS} characters.")
    conversation = store.conversation(sender_id)
    if conversation is None or event_id not in {t.event_id for t in conversation.user_turns}:
        raise HTTPException(404, "This conversation has no such user message.")
    annotation = session.scalar(select(TurnAnnotation).where(
        TurnAnnotation.sender_id == sender_id, TurnAnnotation.event_id == event_id))
    if annotation is None:
        annotation = TurnAnnotation(sender_id=sender_id, event_id=event_id)
        session.add(annotation)
    annotation.flagged = field(form, "flagged") == "on"
    annotation.note = note
    annotation.staff_id = staff.id
    annotation.updated_at = utc_naive()
    session.commit()
    return RedirectResponse(f"/console/conversations/{quote(sender_id, safe='')}"
                            f"?saved={event_id}#turn-{event_id}", status_code=303,
                            headers=SECURITY_HEADERS)


@router.post("/export", summary="Export picked user messages as Rasa NLU training data "
             "(form: csrf, intent, event = user event ids)",
             response_class=Response,
             responses={200: {"content": {"application/x-yaml": {}},
                              "description": "nlu.yml (version 3.1)"},
                        400: {"description": "No message picked, or not an intent name"}})
async def export_training_data(request: Request, store: TrackerDep,
                               staff: StaffOnly) -> Response:
    form = await _form(request)
    _check_csrf(form, staff)
    try:
        event_ids = [int(v) for v in form.get("event", [])]
    except ValueError:
        raise HTTPException(400, "Message ids are numbers.") from None
    if not all(1 <= i <= MAX_ID for i in event_ids):
        raise HTTPException(400, f"Message ids are numbers from 1 to {MAX_ID}.")
    texts = store.user_messages(event_ids) if event_ids else {}
    intent = field(form, "intent").strip()
    try:
        body = training_data_yaml(intent, [texts[i] for i in event_ids if i in texts])
    except ExportError as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(body, media_type="application/x-yaml", headers={
        "Content-Disposition": f'attachment; filename="nlu-{intent}.yml"', **SECURITY_HEADERS})


# --- analytics ---------------------------------------------------------------------------------

def _analytics(session: Session, store: SummaryStore, weeks: int) -> analytics.Analytics:
    since = analytics.week_of(dt.datetime.now(dt.UTC)) - dt.timedelta(weeks=weeks - 1)
    return analytics.compute(session, store.activity(since), since,
                             ref_key=web_settings().secret_key)


@router.get("/analytics", response_class=HTMLResponse, summary="Analytics with charts")
def analytics_page(request: Request, session: SessionDep, store: SummaryDep,
                   staff: StaffPage,
                   weeks: Annotated[int, Query(ge=1, le=260)] = 12) -> HTMLResponse:
    figures = _analytics(session, store, weeks)
    charts = {metric: analytics.bars(figures.by_week(metric)) for metric in figures.metrics}
    return _page(request, "analytics.html", {
        "staff": staff, "figures": figures, "charts": charts, "weeks": weeks,
        "labels": analytics.METRIC_LABELS,
    })


@router.get("/analytics.csv", response_class=Response, summary="The analytics as CSV",
            responses={200: {"content": {"text/csv": {}},
                             "description": "week, channel, language, metric, count"}})
def analytics_csv(session: SessionDep, store: SummaryDep, staff: StaffOnly,
                  weeks: Annotated[int, Query(ge=1, le=260)] = 12) -> Response:
    figures = _analytics(session, store, weeks)
    return Response(figures.csv(), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="pathfinder-analytics.csv"',
        **SECURITY_HEADERS})


# --- program tags ------------------------------------------------------------------------------

@router.get("/tags", response_class=HTMLResponse,
            summary="Tag suggestions waiting for review (imported programs, the tagger's)")
def tag_suggestions(request: Request, session: SessionDep, staff: StaffPage,
                    decided: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                    ) -> HTMLResponse:
    pending = tagging.list_suggestions(session, status="pending")
    return _page(request, "tags.html", {"staff": staff, "pending": pending,
                                        "decided": decided})


@router.post("/tags/{suggestion_id}", status_code=303,
             summary="Accept or reject a tag suggestion (form: csrf, decision=accept|reject)",
             responses={303: {"description": "Decided: back to the list"},
                        400: {"description": "No decision, or the program or code is gone"},
                        404: {"description": "No such suggestion"},
                        409: {"description": "Already decided"}})
async def decide_tag(request: Request, suggestion_id: IdInPath, session: SessionDep,
                     staff: StaffOnly) -> Response:
    form = await _form(request)
    _check_csrf(form, staff)
    decision = field(form, "decision")
    if decision not in ("accept", "reject"):
        raise HTTPException(400, "Choose accept or reject.")
    try:
        tagging.decide(session, suggestion_id, accept=decision == "accept")
    except tagging.UnknownSuggestion:
        raise HTTPException(404, "There is no such suggestion.") from None
    except tagging.AlreadyDecided:
        raise HTTPException(409, "This suggestion was already decided.") from None
    except LookupError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(f"/console/tags?decided={suggestion_id}", status_code=303,
                            headers=SECURITY_HEADERS)
