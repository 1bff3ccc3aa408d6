"""The staff console, driven like staff use it: a real tracker store filled by real
conversations through the stack (Rasa + actions server from bot.stack, free ports, with the
redacting tracker store), the real web app (TestClient, and a headless Chromium at the end),
a real SQLite knowledge base (a copy of the test one) holding the staff accounts.

Expected values are read from the tracker store's raw rows, not from the console's code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot import cli
from bot.api.rate_limit import FailureBackoff, RateLimiter
from bot.console import routes
from bot.console.conversations import EVENTS
from bot.stack import Stack
from connectors.senders import RELAY_TOKEN_HEADER
from knowledge import models, tagging
from knowledge.inquiries import create_inquiry
from knowledge.referrals import conversation_ref, record_click
from knowledge.settings import PROJECT_ROOT, web_settings
from tests.conftest import TEST_RASA_TOKEN, TEST_SECRET_KEY, Stacks, screenshots_dir

ENGINE_PYTHON = PROJECT_ROOT / ".venv-engine" / "bin" / "python"
EMAIL, PASSWORD = "reviewer@example.org", "a long enough password"
OTHER_EMAIL = "locked@example.org"
SECRET_EMAIL, SECRET_PHONE = "ana.b@example.com", "416-555-0199"
LOW_CONFIDENCE = 0.6  # the console's default threshold (PATHFINDER_CONSOLE_LOW_CONFIDENCE)
TURN_TIMEOUT_S = 60


def _send(url: str, sender: str, message: str,
          metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sender": sender, "message": message}
    if metadata is not None:
        body["metadata"] = metadata
    # As our relays do: only they may speak for web- and telegram- conversations.
    response = httpx.post(f"{url}/webhooks/rest/webhook", json=body, timeout=TURN_TIMEOUT_S,
                          headers={RELAY_TOKEN_HEADER: TEST_RASA_TOKEN})
    assert response.status_code == 200, response.text
    replies: list[dict[str, Any]] = response.json()
    return replies


class Conversations:
    """Senders of the conversations held for this module, and what the live turns said."""

    def __init__(self) -> None:
        self.rest = f"console-{uuid.uuid4().hex[:10]}"
        self.telegram = f"telegram-{uuid.uuid4().int % 10**9}"
        self.web = f"web-{uuid.uuid4().hex}"
        self.old = f"console-old-{uuid.uuid4().hex[:10]}"
        self.live_replies: list[str] = []


@pytest.fixture(scope="module")
def stack(kb_url: str, stacks: Stacks) -> Iterator[Stack]:
    """A stack of this module's own: the analytics count every conversation of its tracker
    store. The web app's console reads that store (bot/stack.py); the browser test uses it."""
    with stacks.own("actions", "rasa", "web", database_url=kb_url) as running:
        yield running


@pytest.fixture(scope="module")
def talks(stack: Stack) -> Conversations:
    """Three real conversations (REST, Telegram-style, web widget-style) and one old one."""
    senders = Conversations()
    url = stack.rasa_url
    first = _send(url, senders.rest, "I'm a PSW and want to get into health-care admin, "
                                     "online, under $800")
    buttons = [b for m in first for b in m.get("buttons") or []]
    if buttons and not any(m.get("custom") for m in first):
        _send(url, senders.rest, buttons[0]["payload"])
    replies = _send(url, senders.telegram, "je suis machiniste CNC, je veux me perfectionner")
    choice = [b for m in replies for b in m.get("buttons") or []]
    if choice and not any(m.get("custom") for m in replies):  # asked which one: the first
        replies = _send(url, senders.telegram, choice[0]["payload"])
    # "Was this list helpful?", when the assistant asks it: yes.
    helpful = [b["payload"] for m in replies for b in m.get("buttons") or []
               if '"helpful":"yes"' in b["payload"]]
    assert helpful, "the first list of a conversation asks whether it helped"
    _send(url, senders.telegram, helpful[0])
    for message in (f"Hi, my email is {SECRET_EMAIL} and my phone is {SECRET_PHONE}",
                    "zxqv blorp fnord wibble"):
        senders.live_replies += [m.get("text") or "" for m in _send(url, senders.web, message)]
    # A conversation from 400 days ago: the web one's events, moved back in time.
    with closing(sqlite3.connect(stack.config.tracker_db_path)) as db:
        rows = db.execute("SELECT type_name, timestamp, intent_name, action_name, data FROM "
                          "events WHERE sender_id = ? ORDER BY id", (senders.web,)).fetchall()
        old = 400 * 86400
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
            "data) VALUES (?, ?, ?, ?, ?, ?)",
            [(senders.old, t, ts - old, i, a, json.dumps({**json.loads(d), "timestamp": ts - old}))
             for t, ts, i, a, d in rows])
        db.commit()
    return senders


@pytest.fixture(scope="module")
def tracker_db(stack: Stack, talks: Conversations) -> Path:
    return stack.config.tracker_db_path


def raw_events(tracker_db: Path, sender: str | None = None) -> list[dict[str, Any]]:
    query = "SELECT id, sender_id, type_name, timestamp, data FROM events"
    with closing(sqlite3.connect(tracker_db)) as db:
        rows = db.execute(query + (" WHERE sender_id = ?" if sender else "") + " ORDER BY id",
                          (sender,) if sender else ()).fetchall()
    return [{"id": i, "sender": s, "type": t, "timestamp": ts, **json.loads(d)}
            for i, s, t, ts, d in rows]


def summarise(kb_url: str, tracker_db: Path) -> None:
    """What the events consumer of `pathfinder run` does as conversations go on: the
    console's list and analytics read the summaries it keeps."""
    assert cli.main(["--database", kb_url, "events", "consume", "--once",
                     "--tracker-db-url", f"sqlite:///{tracker_db}"]) == 0


@pytest.fixture(autouse=True)
def summarised(request: pytest.FixtureRequest) -> None:
    """Before each test that reads the console as staff, the events stored so far are
    summarised."""
    if "staff" in request.fixturenames:
        summarise(request.getfixturevalue("kb_url"), request.getfixturevalue("tracker_db"))


@pytest.fixture(scope="module")
def staff_accounts(kb_url: str) -> None:
    """Created with the command line, as an admin would."""
    with pytest.MonkeyPatch.context() as patch:
        for email in (EMAIL, OTHER_EMAIL):
            patch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
            assert cli.main(["--database", kb_url, "staff", "add", email,
                             "--password-stdin"]) == 0
        patch.setattr("sys.stdin", io.StringIO("short\n"))
        assert cli.main(["--database", kb_url, "staff", "add", "x@example.org",
                         "--password-stdin"]) == 2


@pytest.fixture(scope="module")
def app(web_client: Callable[..., TestClient], tracker_db: Path, staff_accounts: None) -> Any:
    """The web app on the module's knowledge base, its console on the stack's conversations."""
    return web_client(tracker_db_url=f"sqlite:///{tracker_db}").app


@pytest.fixture(scope="module")
def console_app(web_client: Callable[..., TestClient], staff_accounts: None,
                tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The web app with the staff accounts and an empty tracker store, without the Rasa
    stack: for what the console does before it reads a conversation (logins, forms, ids)."""
    tracker = tmp_path_factory.mktemp("empty-tracker") / "tracker.db"
    engine = create_engine(f"sqlite:///{tracker}")
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    return web_client(tracker_db_url=f"sqlite:///{tracker}").app


# New clients share the app's lifespan (run once by `app`): no `with TestClient(...)`.
@pytest.fixture()
def anonymous(app: Any) -> TestClient:
    return TestClient(app, follow_redirects=False)


def from_address(app: Any, address: str) -> TestClient:
    """A browser at ``address`` (logins are counted per client address)."""
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def log_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD,
           next_url: str = "/console/conversations") -> httpx.Response:
    page = client.get("/console/login")
    return client.post("/console/login", data={
        "csrf": csrf_of(page.text), "email": email, "password": password, "next": next_url})


@pytest.fixture(scope="module")
def staff(app: Any) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert log_in(client).status_code == 303
    return client


def listed(client: TestClient, **params: str) -> set[str]:
    response = client.get("/console/conversations", params=params)
    assert response.status_code == 200, response.text
    return set(re.findall(r'<tr class="conversation" data-sender="([^"]+)"', response.text))


# --- access ------------------------------------------------------------------------------------

PUBLIC = {("GET", "/console/login"), ("POST", "/console/login"),
          ("GET", "/console/static/console.css")}


def test_every_console_route_refuses_anonymous_access(
        app: Any, anonymous: TestClient, talks: Conversations, tracker_db: Path) -> None:
    user_event = next(e for e in raw_events(tracker_db, talks.web) if e["type"] == "user")
    # FastAPI (0.16x) includes routers lazily: app.routes holds them unexpanded.
    routes = [(method, str(route.path)) for route in iter_route_contexts(app.routes)
              if str(route.path).startswith("/console") for method in route.methods or ()]
    assert len(routes) >= 10
    assert set(routes) >= PUBLIC
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        url = re.sub(r"\{sender_id(?::path)?\}", talks.web, path).replace(
            "{event_id}", str(user_event["id"]))
        assert "{" not in url.replace("{suggestion_id}", ""), url
        url = url.replace("{suggestion_id}", "1")
        response = anonymous.request(method, url, data={"csrf": "x", "intent": "greet",
                                                        "event": str(user_event["id"])})
        if method == "GET" and not path.endswith(".csv"):
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/console/login?next=")
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        assert "blorp" not in response.text and talks.web not in response.text
    # Nothing was written by those posts.
    assert anonymous.get("/console/login").status_code == 200


def test_a_forged_or_expired_session_cookie_is_refused(anonymous: TestClient) -> None:
    anonymous.cookies.set("pathfinder_console", "forged-token", path="/console")
    assert anonymous.get("/console/conversations").status_code == 303
    assert anonymous.get("/console/analytics.csv").status_code == 401


# --- login -------------------------------------------------------------------------------------

def test_login_sets_a_strict_http_only_session_and_logout_ends_it(app: Any) -> None:
    with closing(TestClient(app, follow_redirects=False)) as client:
        response = log_in(client, next_url="/console/analytics")
        assert response.status_code == 303
        assert response.headers["location"] == "/console/analytics"
        cookie = next(c for c in response.headers.get_list("set-cookie")
                      if c.startswith("pathfinder_console="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        page = client.get("/console/analytics")
        assert page.status_code == 200 and EMAIL in page.text
        token = client.cookies.get("pathfinder_console")
        # Logging out needs the CSRF token too.
        assert client.post("/console/logout", data={}).status_code == 403
        assert client.post("/console/logout",
                           data={"csrf": csrf_of(page.text)}).status_code == 303
        assert client.get("/console/analytics").status_code == 303
        # The old token is dead on the server, not just forgotten by this browser.
        client.cookies.set("pathfinder_console", str(token), path="/console")
        assert client.get("/console/analytics").status_code == 303


def test_cookies_are_secure_when_the_setting_says_so(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Behind a TLS-terminating proxy the app sees plain HTTP: only the setting says HTTPS.
    with closing(TestClient(app, follow_redirects=False)) as client:
        assert "secure" not in client.get("/console/login").headers["set-cookie"].lower()
    monkeypatch.setenv("PATHFINDER_SECURE_COOKIES", "1")
    with closing(TestClient(app, follow_redirects=False)) as client:
        cookie = client.get("/console/login").headers["set-cookie"].lower()
        assert cookie.startswith("pathfinder_console_login=") and "; secure" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app: Any) -> None:
    with closing(TestClient(app, follow_redirects=False)) as client:
        wrong_password = log_in(client, password="not the password")
        unknown_email = log_in(client, email="nobody@example.org")
        assert wrong_password.status_code == unknown_email.status_code == 401
        assert "Wrong email or password" in wrong_password.text
        assert "pathfinder_console=" not in str(wrong_password.headers.get_list("set-cookie"))


def test_many_failed_logins_from_one_address_block_it(app: Any) -> None:
    """Per-account lock-out does not stop one address trying a password on many accounts:
    after 20 failures the address is refused (429), even with the right password; another
    address still logs in."""
    with closing(TestClient(app, follow_redirects=False,
                            client=("198.51.100.7", 50000))) as guesser:
        limit, _ = web_settings().login_failure_rate
        for n in range(limit):
            assert log_in(guesser, email=f"guess{n}@example.org").status_code == 401
        blocked = log_in(guesser)
        assert blocked.status_code == 429 and "Too many failed logins" in blocked.text
        assert "pathfinder_console=" not in str(blocked.headers.get_list("set-cookie"))
    with closing(TestClient(app, follow_redirects=False,
                            client=("198.51.100.8", 50000))) as colleague:
        assert log_in(colleague).status_code == 303


def test_login_without_csrf_token_is_refused(app: Any) -> None:
    with closing(TestClient(app, follow_redirects=False)) as client:
        client.get("/console/login")
        response = client.post("/console/login", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 403
        # A token that is not the one this browser was given does not do either.
        response = client.post("/console/login", data={"email": EMAIL, "password": PASSWORD,
                                                       "csrf": "made-up"})
        assert response.status_code == 403
        for odd in ("é", "<script>", "x" * 5000):
            response = client.post("/console/login", data={"email": EMAIL,
                                                           "password": PASSWORD, "csrf": odd})
            assert response.status_code == 403, odd


def test_an_open_redirect_after_login_is_not_possible(app: Any) -> None:
    with closing(TestClient(app, follow_redirects=False)) as client:
        response = log_in(client, next_url="https://evil.example/console/")
        assert response.headers["location"] == "/console/conversations"


def _message(html: str) -> str:
    found = re.search(r'class="error"[^>]*>([^<]+)<', html)
    assert found, "no error message on the page"
    return found.group(1)


def test_failed_logins_from_one_address_do_not_lock_the_owner_out(console_app: Any) -> None:
    """Anyone who knows a staff e-mail can fail its logins: then that address waits (429)
    to try that account again, not the account's owner, who logs in from another address."""
    waits_after = routes.FAILURES_BEFORE_WAIT
    with closing(from_address(console_app, "203.0.113.66")) as attacker:
        # (More would reach the address's limit over all accounts, see the next tests.)
        answers = [log_in(attacker, OTHER_EMAIL, f"guess {n}") for n in range(waits_after + 3)]
        codes = [answer.status_code for answer in answers]
        assert codes[:waits_after] == [401] * waits_after
        assert set(codes[waits_after:]) == {429}
        assert "Too many failed logins" in _message(answers[-1].text)
        waiting = log_in(attacker, OTHER_EMAIL, PASSWORD)  # even the right password waits
        assert waiting.status_code == 429
        assert "pathfinder_console=" not in str(waiting.headers.get_list("set-cookie"))
        # The wait does not tell which e-mails have an account: an unknown one waits alike.
        unknown = [log_in(attacker, "nobody@example.org", "guess")
                   for _ in range(waits_after + 1)]
        assert [u.status_code for u in unknown] == [401] * waits_after + [429]
        assert _message(unknown[-1].text) == _message(waiting.text)
        # Another account, from the same address, is not affected.
        assert log_in(attacker, EMAIL, PASSWORD).status_code == 303
    with closing(from_address(console_app, "203.0.113.7")) as owner:
        assert log_in(owner, OTHER_EMAIL, PASSWORD).status_code == 303


def test_the_wait_doubles_with_each_further_failure_up_to_fifteen_minutes(
        console_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(console_app.state, "console_login_waits", FailureBackoff(
        routes.FAILURES_BEFORE_WAIT, routes.FIRST_WAIT_S, routes.LONGEST_WAIT_S,
        clock=lambda: now[0]), raising=False)
    # The address's limit over all accounts runs on the real clock: out of the way here.
    monkeypatch.setattr(console_app.state, "console_failed_logins", RateLimiter(1000, 900),
                        raising=False)
    with closing(from_address(console_app, "203.0.113.80")) as client:
        for _ in range(routes.FAILURES_BEFORE_WAIT - 1):
            assert log_in(client, OTHER_EMAIL, "guess").status_code == 401
        for wait_s in (60, 120, 240, 480, 900, 900):
            assert log_in(client, OTHER_EMAIL, "guess").status_code == 401  # starts the wait
            now[0] += wait_s - 1
            assert log_in(client, OTHER_EMAIL, PASSWORD).status_code == 429, wait_s
            now[0] += 2
        assert log_in(client, OTHER_EMAIL, PASSWORD).status_code == 303
        # A success starts the count again.
        for _ in range(routes.FAILURES_BEFORE_WAIT):
            assert log_in(client, OTHER_EMAIL, "guess").status_code == 401


def test_attempts_refused_by_the_wait_count_against_the_address(
        console_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An address that must wait to try an account again can keep sending attempts: each one
    counts as a failed login from that address, so the address soon reaches its limit over all
    accounts instead of sending without end."""
    limit = routes.FAILURES_BEFORE_WAIT + 3
    monkeypatch.setattr(console_app.state, "console_failed_logins", RateLimiter(limit, 900),
                        raising=False)
    with closing(from_address(console_app, "203.0.113.81")) as client:
        for _ in range(routes.FAILURES_BEFORE_WAIT):
            assert log_in(client, OTHER_EMAIL, "guess").status_code == 401
        for _ in range(limit - routes.FAILURES_BEFORE_WAIT):
            assert log_in(client, OTHER_EMAIL, "guess").status_code == 429  # waiting
        # The address has had its failures: no account, even with the right password.
        assert log_in(client, EMAIL, PASSWORD).status_code == 429
    with closing(from_address(console_app, "203.0.113.82")) as colleague:
        assert log_in(colleague, EMAIL, PASSWORD).status_code == 303


def test_a_burst_of_parallel_logins_gets_no_more_guesses_than_the_limit(
        console_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password check runs in the thread pool; attempts sent all at once must still be
    counted before any of them is checked, or each would pass the limit first."""
    limit = 3
    monkeypatch.setattr(console_app.state, "console_failed_logins", RateLimiter(limit, 900),
                        raising=False)
    with closing(from_address(console_app, "203.0.113.90")) as client:
        pages = [client.get("/console/login") for _ in range(12)]
        forms = [{"csrf": csrf_of(page.text), "email": f"guess{n}@example.org",
                  "password": "guess", "next": "/console/conversations"}
                 for n, page in enumerate(pages)]
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(
                lambda form: client.post("/console/login", data=form).status_code, forms))
    assert sorted(codes) == [401] * limit + [429] * (12 - limit)


def test_an_over_long_email_fails_like_an_unknown_one_and_waits_by_its_start(
        console_app: Any) -> None:
    """No e-mail address is longer than 254 characters. A longer one fails like any unknown
    e-mail, and the wait, kept in memory per address and e-mail, knows it by its first 254
    characters: a client cannot make the app keep 64 KiB per attempt."""
    start = "a" * 254
    emails = [start + letter * (10_000 - len(start)) for letter in "bcdefg"]
    with closing(from_address(console_app, "203.0.113.83")) as client:
        unknown = log_in(client, "nobody@example.org", "guess")
        answers = [log_in(client, email, "guess") for email in emails]
    waits_after = routes.FAILURES_BEFORE_WAIT
    assert [a.status_code for a in answers] == [401] * waits_after + [429]
    assert _message(answers[0].text) == _message(unknown.text)


def test_after_login_only_a_console_path_is_followed(console_app: Any) -> None:
    """Judged as a browser reads the path: percent-decoded, with its dot-segments applied,
    backslashes read as slashes and control characters dropped."""
    elsewhere = [
        "/console/../employers", "/console/%2e%2e/employers", "/console/%2E%2E/employers",
        "/console/..%2femployers", "/console/..%2Femployers", "/console/a/../../employers",
        "/console/.%2e/employers", "/console/..\\employers", "/console/%5c..%5cemployers",
        "/console/.%09./employers", "/console/.\t./employers", "//evil.example/console/",
        "/\\evil.example/console/", "https://evil.example/console/", "javascript:alert(1)",
        "/console", "/employers"]
    followed = {"/console/analytics?weeks=4": "/console/analytics?weeks=4",
                "/console/tags/../analytics": "/console/analytics",
                "/console/conversations/partner%2Fsite-42":
                    "/console/conversations/partner/site-42"}
    with closing(from_address(console_app, "203.0.113.90")) as client:
        for target in elsewhere:
            response = log_in(client, next_url=target)
            assert response.status_code == 303
            assert response.headers["location"] == "/console/conversations", target
        for target, location in followed.items():
            response = log_in(client, next_url=target)
            assert (response.status_code, response.headers["location"]) == (303, location)


def test_ids_too_large_for_the_database_are_refused_not_errors(console_app: Any) -> None:
    """2**63 is one past the largest integer SQLite stores: it cannot even be bound to a
    query, so it must be refused before one is made."""
    too_large = str(2**63)
    with closing(from_address(console_app, "203.0.113.92")) as client:
        assert log_in(client).status_code == 303
        csrf = csrf_of(client.get("/console/tags").text)
        decided = client.post(f"/console/tags/{too_large}",
                              data={"csrf": csrf, "decision": "accept"})
        assert decided.status_code == 422
        exported = client.post("/console/export",
                               data={"csrf": csrf, "intent": "greet", "event": too_large})
        assert exported.status_code == 400 and "numbers from 1 to" in exported.text
        annotated = client.post(f"/console/conversations/web-x/turns/{too_large}/annotation",
                                data={"csrf": csrf, "note": "x"})
        assert annotated.status_code == 422


# --- conversations -----------------------------------------------------------------------------

def test_the_list_shows_the_conversations_with_filters(
        staff: TestClient, talks: Conversations, tracker_db: Path) -> None:
    events = raw_events(tracker_db)
    everyone = {e["sender"] for e in events}
    assert listed(staff) == everyone
    assert listed(staff, channel="telegram") == {talks.telegram}
    assert listed(staff, channel="web") == {talks.web}
    assert listed(staff, channel="rest") == {talks.rest, talks.old}
    assert listed(staff, language="fr") == {talks.telegram}
    recommended = {e["sender"] for e in events if e["type"] == "bot"
                   and ((e.get("data") or {}).get("custom") or {}).get("type")
                   == "recommendations"}
    assert talks.telegram in recommended
    assert listed(staff, no_recommendation="true") == everyone - recommended
    unsure = {e["sender"] for e in events if e["type"] == "user" and (
        e["parse_data"]["intent"]["name"] == "nlu_fallback"
        or e["parse_data"]["intent"]["confidence"] < LOW_CONFIDENCE)}
    assert listed(staff, low_confidence="true") == unsure
    assert listed(staff, q="MACHINISTE") == {talks.telegram}
    assert listed(staff, q="blorp", channel="web") == {talks.web}


def test_the_date_range_filter(staff: TestClient, talks: Conversations,
                               tracker_db: Path) -> None:
    old = min(e["timestamp"] for e in raw_events(tracker_db, talks.old))
    day = dt.datetime.fromtimestamp(old, dt.UTC).date()
    assert listed(staff, **{"from": str(day), "to": str(day)}) == {talks.old}
    assert talks.old not in listed(staff, **{"from": str(day + dt.timedelta(days=1))})


@pytest.mark.parametrize("params", [
    {"from": "yesterday"}, {"channel": "fax"}, {"language": "de"}, {"page": "0"},
    {"q": "x" * 10_000}])
def test_bad_filters_get_a_4xx_with_a_reason(staff: TestClient, params: dict[str, str]) -> None:
    response = staff.get("/console/conversations", params=params)
    assert 400 <= response.status_code < 500
    assert response.text


def test_search_text_is_shown_escaped(staff: TestClient) -> None:
    response = staff.get("/console/conversations", params={"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;" in response.text


def test_sql_in_the_search_is_only_text(staff: TestClient, tracker_db: Path) -> None:
    before = len(raw_events(tracker_db))
    response = staff.get("/console/conversations",
                         params={"q": "' OR 1=1; DROP TABLE events; --"})
    assert response.status_code == 200 and '<strong id="total">0</strong>' in response.text
    assert len(raw_events(tracker_db)) == before


def test_a_form_that_is_not_url_encoded_is_refused(staff: TestClient) -> None:
    response = staff.post("/console/export", json={"intent": "greet", "event": [1]})
    assert response.status_code == 415
    assert staff.post("/console/export", content=b"csrf=" + b"x" * 70_000, headers={
        "content-type": "application/x-www-form-urlencoded"}).status_code == 413


def test_the_transcript_shows_each_turn(staff: TestClient, talks: Conversations,
                                        tracker_db: Path) -> None:
    events = raw_events(tracker_db, talks.telegram)
    page = staff.get(f"/console/conversations/{talks.telegram}")
    assert page.status_code == 200
    html = unescape(page.text)
    user = next(e for e in events if e["type"] == "user")
    assert "je suis machiniste CNC" in html
    assert user["parse_data"]["intent"]["name"] in html
    assert f'{user["parse_data"]["intent"]["confidence"]:.2f}' in html
    for entity in user["parse_data"]["entities"]:
        assert entity["entity"] in html
    after_first_message = [e for e in events if e["id"] > user["id"]]
    actions = {e["name"] for e in after_first_message if e["type"] == "action"}
    actions -= {"action_listen"}
    assert actions
    for action in actions:
        assert f"<code>{action}</code>" in html
    payload = next(e["data"]["custom"] for e in events if e["type"] == "bot"
                   and (e.get("data") or {}).get("custom"))
    for program in payload["programs"]:
        assert program["title"] in html
    replies = [e["text"] for e in events if e["type"] == "bot" and e.get("text")]
    assert replies[-1].split("\n")[0] in html


def test_a_sender_id_with_a_slash_opens_and_can_be_annotated(
        staff: TestClient, stack: Stack, tracker_db: Path, kb_url: str) -> None:
    """REST clients pick their own ids; "partner/site-42" is listed, opens, and a turn of it
    can be annotated (the id is quoted in links: %2F)."""
    sender = f"partner/{uuid.uuid4().hex[:8]}"
    _send(stack.rasa_url, sender, "hello")
    summarise(kb_url, tracker_db)
    listing = staff.get("/console/conversations").text
    link = f'/console/conversations/{quote(sender, safe="")}'
    assert f'href="{link}"' in listing
    page = staff.get(link)
    assert page.status_code == 200 and sender in unescape(page.text)
    turn = next(e for e in raw_events(tracker_db, sender) if e["type"] == "user")
    saved = staff.post(f"{link}/turns/{turn['id']}/annotation",
                       data={"note": "id with a slash", "csrf": csrf_of(page.text)})
    assert saved.status_code == 303 and saved.headers["location"].startswith(link)


def test_an_unknown_conversation_is_a_404(staff: TestClient) -> None:
    assert staff.get("/console/conversations/<b>nobody</b>").status_code == 404


def test_a_turn_can_be_flagged_and_annotated(
        staff: TestClient, talks: Conversations, tracker_db: Path, db: Session) -> None:
    turn = [e for e in raw_events(tracker_db, talks.web) if e["type"] == "user"][-1]
    page = staff.get(f"/console/conversations/{talks.web}")
    url = f"/console/conversations/{talks.web}/turns/{turn['id']}/annotation"
    form = {"flagged": "on", "note": "Gibberish <i>should</i> get the fallback"}
    assert staff.post(url, data=form).status_code == 403  # no CSRF token
    saved = staff.post(url, data={**form, "csrf": csrf_of(page.text)})
    assert saved.status_code == 303
    html = staff.get(saved.headers["location"]).text
    assert "Gibberish &lt;i&gt;should&lt;/i&gt; get the fallback" in html
    assert f'class="turn low flagged" id="turn-{turn["id"]}"' in html or \
        f'class="turn flagged" id="turn-{turn["id"]}"' in html
    assert listed(staff, flagged="true") == {talks.web}
    row = db.scalars(select(models.TurnAnnotation).where(
        models.TurnAnnotation.event_id == turn["id"])).one()
    assert row.flagged and row.sender_id == talks.web
    # A turn that is not a user message of this conversation cannot be annotated.
    other = next(e for e in raw_events(tracker_db, talks.telegram) if e["type"] == "user")
    bad = f"/console/conversations/{talks.web}/turns/{other['id']}/annotation"
    assert staff.post(bad, data={"csrf": csrf_of(page.text)}).status_code == 404
    too_long = staff.post(url, data={"csrf": csrf_of(page.text), "note": "x" * 2001})
    assert too_long.status_code == 400


def test_picked_messages_export_as_rasa_nlu_training_data(
        staff: TestClient, talks: Conversations, tracker_db: Path) -> None:
    users = [e for e in raw_events(tracker_db) if e["type"] == "user"
             and e["sender"] in (talks.web, talks.telegram)]
    page = staff.get(f"/console/conversations/{talks.web}")
    form = {"csrf": csrf_of(page.text), "intent": "inform_job",
            "event": [str(e["id"]) for e in users]}
    assert staff.post("/console/export", data={**form, "csrf": ""}).status_code == 403
    response = staff.post("/console/export", data=form)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    data = YAML(typ="safe").load(response.text)
    assert data["version"] == "3.1"
    [block] = data["nlu"]
    assert block["intent"] == "inform_job"
    examples = [line.removeprefix("- ") for line in block["examples"].splitlines()]
    assert examples == [e["text"] for e in users]
    assert SECRET_EMAIL not in response.text
    # Rasa itself reads it (the engine's YAML reader, as `rasa train` would).
    if ENGINE_PYTHON.exists():
        script = ("import sys\nfrom rasa.shared.nlu.training_data.formats.rasa_yaml import "
                  "RasaYAMLReader\ntd = RasaYAMLReader().reads(sys.stdin.read())\n"
                  "print(len(td.intent_examples), sorted(td.intents))")
        result = subprocess.run([str(ENGINE_PYTHON), "-c", script], input=response.text,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip().splitlines()[-1] == f"{len(users)} ['inform_job']"
    nothing = staff.post("/console/export", data={**form, "event": []})
    assert nothing.status_code == 400 and "pick" in nothing.text
    bad_intent = staff.post("/console/export", data={**form, "intent": "two words"})
    assert bad_intent.status_code == 400


# --- privacy -----------------------------------------------------------------------------------

def test_identifiers_are_redacted_before_they_are_stored(
        talks: Conversations, tracker_db: Path, staff: TestClient) -> None:
    # The turn itself ran (Rasa saves a turn once it is over, so its NLU and actions had the
    # original text; the assistant does not quote it back, so the reply cannot show that)...
    assert all(talks.live_replies)
    with closing(sqlite3.connect(tracker_db)) as db:
        stored = db.execute("SELECT data FROM events WHERE sender_id = ?",
                            (talks.web,)).fetchall()
    everything = "\n".join(row[0] for row in stored)
    # ... but nothing stored holds the address or the number, and the rest is kept.
    assert SECRET_EMAIL not in everything and SECRET_PHONE not in everything
    assert "[email]" in everything and "[phone]" in everything
    assert "zxqv blorp fnord wibble" in everything
    page = staff.get(f"/console/conversations/{talks.web}").text
    assert SECRET_EMAIL not in page and "[email]" in page


def test_slot_values_and_channel_metadata_are_redacted_before_they_are_stored(
        stack: Stack, tracker_db: Path) -> None:
    """A number sent as the job someone wants (a button's payload fills the `target_job`
    slot as typed) and in the channel's metadata, from the session's first message on (Rasa
    keeps that in the `session_started_metadata` slot), is in no stored event."""
    sender = f"console-pii-{uuid.uuid4().hex[:10]}"
    metadata = {"cards": True, "contact": {"phone": SECRET_PHONE, "email": SECRET_EMAIL}}
    _send(stack.rasa_url, sender, "Hello", metadata)
    payload = json.dumps({"noc": "13112", "target_job": SECRET_PHONE}, separators=(",", ":"))
    _send(stack.rasa_url, sender, "/choose_occupation" + payload, metadata)
    events = raw_events(tracker_db, sender)
    slots = {e["name"]: e["value"] for e in events if e["type"] == "slot"}
    assert slots["target_job"] == "[phone]"
    assert slots["session_started_metadata"]["contact"] == {"phone": "[phone]",
                                                            "email": "[email]"}
    users = [e for e in events if e["type"] == "user"]
    assert len(users) == 2 and all(u["metadata"]["cards"] is True for u in users)
    everything = json.dumps(events)
    assert SECRET_PHONE not in everything and SECRET_EMAIL not in everything


def test_retention_purges_old_conversations(
        talks: Conversations, tracker_db: Path, kb_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "tracker.db"
    shutil.copy(tracker_db, copy)
    before = {e["sender"] for e in raw_events(copy)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATHFINDER_RETENTION_DAYS", "30")
        assert cli.main(["--database", kb_url, "conversations", "purge",
                         "--tracker-db-url", f"sqlite:///{copy}"]) == 0
    assert "Deleted" in capsys.readouterr().out
    assert {e["sender"] for e in raw_events(copy)} == before - {talks.old}
    assert cli.main(["--database", kb_url, "conversations", "purge", "--days", "0",
                     "--tracker-db-url", f"sqlite:///{copy}"]) == 2


# --- analytics ---------------------------------------------------------------------------------

def test_analytics_count_conversations_recommendations_and_clicks(
        staff: TestClient, talks: Conversations, tracker_db: Path, db: Session) -> None:
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    # Links carry the conversation's pseudonym, which the console matches to conversations.
    record_click(db, program.id, "telegram",
                 conversation_ref(talks.telegram, TEST_SECRET_KEY.encode()))
    for n in range(2):
        create_inquiry(db, program.id, "Ana", "ana@example.org", f"Evening section? ({n})")
    events = [e for e in raw_events(tracker_db) if e["sender"] != talks.old]
    conversations = {e["sender"] for e in events if e["type"] == "user"}
    recommendations = [e for e in events if e["type"] == "bot"
                       and ((e.get("data") or {}).get("custom") or {}).get("type")
                       == "recommendations"]
    page = staff.get("/console/analytics")
    assert page.status_code == 200
    totals = dict(re.findall(r'data-metric="(\w+)"><span class="value">(\d+)<', page.text))
    assert int(totals["conversations"]) == len(conversations)
    assert int(totals["recommendations"]) == len(recommendations)
    assert int(totals["clicks"]) == 1
    assert int(totals["inquiries"]) == 2
    assert "<svg" in page.text and "<rect" in page.text
    assert "72100" in page.text  # the machinist's NOC among the occupations asked about

    response = staff.get("/console/analytics.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    def total(metric: str, **where: str) -> int:
        return sum(int(r["count"]) for r in rows if r["metric"] == metric
                   and all(r[k] == v for k, v in where.items()))
    assert total("conversations") == len(conversations)
    assert total("conversations", channel="telegram", language="fr") == 1
    assert total("clicks", channel="telegram", language="fr") == 1
    assert total("recommendations") == len(recommendations)
    answers = [e["value"] for e in events if e["type"] == "slot" and e["name"] == "helpful"
               and e["value"] in ("yes", "no")]
    assert total("helpful_yes") == answers.count("yes")
    assert total("helpful_no") == answers.count("no")
    assert answers.count("yes") == 1  # the Telegram conversation's answer
    assert int(totals["helpful_yes"]) == 1


# --- in a browser ------------------------------------------------------------------------------

def test_staff_log_in_and_read_a_transcript_in_a_browser(
        chromium: Path, stack: Stack, talks: Conversations, staff_accounts: None,
        tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"{stack.web_url}/console/conversations/{talks.telegram}")
            assert "/console/login" in page.url
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector(".turn .intent")
            assert f"/console/conversations/{talks.telegram}" in page.url
            assert page.locator(".recommendations .program").count() >= 1
            assert "je suis machiniste CNC" in page.inner_text("main")
            shots = screenshots_dir(tmp_path)
            page.screenshot(path=str(shots / "console-transcript.png"), full_page=False)
            page.click("nav >> text=Conversations")
            page.wait_for_selector("tr.conversation")
            page.screenshot(path=str(shots / "console-conversations.png"), full_page=False)
            page.click("text=Analytics")
            page.wait_for_selector(".chart svg")
            page.screenshot(path=str(shots / "console-analytics.png"), full_page=True)
            page.click("text=Log out")
            page.wait_for_url("**/console/login")
        finally:
            browser.close()


# --- program tags ------------------------------------------------------------------------------

def test_staff_accept_and_reject_tag_suggestions(staff: TestClient, db: Session) -> None:
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    taught = set(db.scalars(select(models.ProgramSkill.skill_code).where(
        models.ProgramSkill.program_id == program.id)))
    new_skills = list(db.scalars(select(models.Skill.code).where(
        models.Skill.kind == "topic", models.Skill.code.not_in(taught))
        .order_by(models.Skill.code).limit(2)))
    tagging.store_suggestions(db, program.id, [
        tagging.Suggestion("skill", code, 0.9, "test") for code in new_skills])
    db.commit()
    ids = {s.code: s.id for s in tagging.list_suggestions(db, program.id)}
    keep, drop = ids[new_skills[0]], ids[new_skills[1]]

    page = staff.get("/console/tags")
    assert page.status_code == 200 and f'id="suggestion-{keep}"' in page.text
    form = {"decision": "accept"}
    assert staff.post(f"/console/tags/{keep}", data=form).status_code == 403  # no CSRF token
    csrf = csrf_of(page.text)
    assert staff.post(f"/console/tags/{keep}", data={**form, "csrf": csrf}).status_code == 303
    assert staff.post(f"/console/tags/{drop}",
                      data={"decision": "reject", "csrf": csrf}).status_code == 303
    assert staff.post(f"/console/tags/{keep}", data={**form, "csrf": csrf}).status_code == 409
    assert staff.post("/console/tags/999999", data={**form, "csrf": csrf}).status_code == 404

    db.expire_all()
    taught_now = set(db.scalars(select(models.ProgramSkill.skill_code).where(
        models.ProgramSkill.program_id == program.id)))
    assert new_skills[0] in taught_now and new_skills[1] not in taught_now
    listed_now = staff.get("/console/tags").text
    assert f'id="suggestion-{keep}"' not in listed_now
    assert f'id="suggestion-{drop}"' not in listed_now
