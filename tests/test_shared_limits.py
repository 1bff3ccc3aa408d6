"""The rate limits shared through Redis (bot/api/shared_limits.py, PATHFINDER_REDIS_URL), against
the real Redis on 127.0.0.1:6379 (skipped when it does not answer): two limiters made as two
processes make them (each with its own connection pool), and two web apps (two create_app
instances, as two replicas behind a load balancer), give a client one allowance between them;
a window slides; the failures' waits hold across apps; nothing in Redis names a client; and a
Redis that is not there, or never answers, gives the documented answers at once.

Each test has its own key prefix, and deletes its keys (never anything else: the server is
shared with other tests)."""

from __future__ import annotations

import logging
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot.api import shared_limits
from bot.api.app import create_app, share_limits
from bot.api.rate_limit import RateLimiter
from bot.api.routers.employers import CSRF_COOKIE
from bot.api.shared_limits import SharedFailureBackoff, SharedLimits, SharedRateLimiter
from bot.console import accounts, routes
from bot.stack import free_port
from knowledge import models
from knowledge.db import make_engine
from knowledge.settings import SettingsError, WebSettings, web_settings
from tests.conftest import TEST_RASA_TOKEN

REDIS_URL = "redis://127.0.0.1:6379/0"
KEY = b"a-key-for-these-tests-only"
EMAIL, PASSWORD = "shared.reviewer@example.org", "a long enough password"
STATE_NAMES = ("inquiry_limiter", "console_failed_logins", "console_login_waits")
LOGGER = shared_limits.__name__


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1,
                                         socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def server() -> Iterator[redis.Redis]:
    if not _redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}: the shared limits are not tested")
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture()
def prefix(server: redis.Redis) -> Iterator[str]:
    """This test's key prefix; its keys are deleted afterwards (only those)."""
    mine = f"pathfinder:test:{uuid.uuid4().hex}:"
    yield mine
    keys = list(server.scan_iter(match=f"{mine}*", count=1000))
    if keys:
        server.delete(*keys)


@pytest.fixture()
def process(prefix: str) -> Iterator[Callable[..., SharedLimits]]:
    """Makes the SharedLimits of one more process (its own connection pool)."""
    made: list[SharedLimits] = []

    def make(url: str = REDIS_URL, **kwargs: Any) -> SharedLimits:
        limits = SharedLimits.connect(url, KEY, prefix=prefix, **kwargs)
        made.append(limits)
        return limits
    yield make
    for limits in made:
        limits.close()


def our_keys(server: redis.Redis, prefix: str) -> list[str]:
    return sorted(key.decode() for key in server.scan_iter(match=f"{prefix}*", count=1000))


# --- the limiters, as two processes have them ------------------------------------------------

def test_two_processes_share_one_allowance(process: Callable[..., SharedLimits]) -> None:
    one, two = (process().rate_limiter("inquiries", 3, 600, when_down=None) for _ in range(2))
    assert [one.allow("198.51.100.1"), two.allow("198.51.100.1"), one.allow("198.51.100.1"),
            two.allow("198.51.100.1"), one.allow("198.51.100.1")] == [True] * 3 + [False] * 2
    assert one.exceeded("198.51.100.1") and two.exceeded("198.51.100.1")
    assert two.allow("198.51.100.2") and not one.exceeded("198.51.100.2")  # another client
    one.forgive("198.51.100.1")  # one event taken back, in the other process too
    assert two.allow("198.51.100.1") and not one.allow("198.51.100.1")
    # Another kind of limit with the same client is another count.
    other = process().rate_limiter("login-failures", 1, 600, when_down=None)
    assert other.allow("198.51.100.1")


def test_the_window_slides(process: Callable[..., SharedLimits]) -> None:
    one, two = (process().rate_limiter("inquiries", 2, 1.0, when_down=None) for _ in range(2))
    start = time.monotonic()

    def at(seconds: float) -> None:
        time.sleep(max(0.0, start + seconds - time.monotonic()))

    assert one.allow("198.51.100.3")            # at 0
    at(0.5)
    assert two.allow("198.51.100.3")            # at 0.5
    assert not one.allow("198.51.100.3")        # two in the last second
    at(1.15)
    assert two.allow("198.51.100.3")            # the first is out of the window
    assert not one.allow("198.51.100.3")        # the one at 0.5 is still in it
    at(1.65)
    assert one.allow("198.51.100.3")            # now it is out too


def test_a_burst_on_two_processes_gets_exactly_the_limit(
        process: Callable[..., SharedLimits]) -> None:
    """The check and the count are one Lua script: parallel requests on two replicas cannot
    both take the last place."""
    limiters = [process().rate_limiter("login-failures", 5, 600, when_down=None)
                for _ in range(2)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = list(pool.map(lambda n: limiters[n % 2].allow("198.51.100.4"), range(40)))
    assert allowed.count(True) == 5


def test_the_failures_wait_holds_across_processes(
        process: Callable[..., SharedLimits], server: redis.Redis, prefix: str) -> None:
    one, two = (process().failure_backoff("login-waits", 3, 0.5, 2.0) for _ in range(2))
    pair = "198.51.100.5 someone@example.org"
    one.failed(pair)
    two.failed(pair)
    assert not one.refused(pair) and not two.refused(pair)  # two failures: no wait yet
    one.failed(pair)                                        # the third: 0.5 s
    assert two.refused(pair) and one.refused(pair)
    assert not two.refused("198.51.100.5 another@example.org")
    time.sleep(0.6)
    assert not one.refused(pair) and not two.refused(pair)
    two.failed(pair)                                        # the fourth: twice as long
    [key] = our_keys(server, prefix)
    assert 2000 < server.pttl(key) <= 3000  # forgotten the longest wait after the wait ends
    time.sleep(0.6)
    assert one.refused(pair)
    one.succeeded(pair)                                     # a success forgets it
    assert not two.refused(pair) and our_keys(server, prefix) == []


def test_redis_holds_no_address_nor_email_and_every_key_expires(
        process: Callable[..., SharedLimits], server: redis.Redis, prefix: str) -> None:
    limits = process()
    limits.rate_limiter("login-failures", 20, 900, when_down=None).allow("198.51.100.6")
    limits.failure_backoff("login-waits", 5, 60, 900).failed("198.51.100.6 ana@example.org")
    keys = our_keys(server, prefix)
    assert [re.sub("[0-9a-f]{32}$", "DIGEST", key[len(prefix):]) for key in keys] == [
        "login-failures:DIGEST", "login-waits:DIGEST"]
    dump = repr([(key, server.dump(key)) for key in keys])
    assert "198.51.100.6" not in dump and "ana@example.org" not in dump
    assert all(0 < server.pttl(key) <= 900_000 for key in keys)
    # Another key (another deployment) gives other digests for the same client.
    other = SharedLimits(limits.client, b"another-key-of-16-chars", prefix=prefix)
    assert other.key("login-failures", "198.51.100.6") not in keys


# --- two web apps: the routers use the shared limits -----------------------------------------

@pytest.fixture(scope="module")
def apps(web_client: Callable[..., TestClient], kb_url: str) -> tuple[FastAPI, FastAPI]:
    """Two web apps on one knowledge base (two replicas), with a staff account."""
    engine = make_engine(kb_url)
    with Session(engine) as session:
        accounts.create_account(session, EMAIL, PASSWORD)
    engine.dispose()
    # Their title index (the occupations API's, no limit's) is not built: seconds each.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.api.app.index_from_database", lambda url: None)
        first, second = web_client().app, web_client().app
    assert isinstance(first, FastAPI) and isinstance(second, FastAPI)
    return first, second


@pytest.fixture()
def replicas(apps: tuple[FastAPI, FastAPI], prefix: str, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[Callable[..., tuple[FastAPI, FastAPI]]]:
    """Wires both apps' limits to Redis (``url``; rates as WebSettings fields) under this
    test's prefix, as create_app does with PATHFINDER_REDIS_URL; undone afterwards."""
    made: list[SharedLimits] = []

    def wire(url: str = REDIS_URL, **rates: Any) -> tuple[FastAPI, FastAPI]:
        monkeypatch.setattr(shared_limits, "KEY_PREFIX", prefix)
        settings = replace(web_settings(), redis_url=url, **rates)
        for app in apps:
            for name in STATE_NAMES:
                monkeypatch.setattr(app.state, name, None, raising=False)
            limits = share_limits(app, settings)
            assert limits is not None
            made.append(limits)
        return apps
    yield wire
    for limits in made:
        limits.close()


def browser(app: FastAPI, address: str) -> TestClient:
    """A client at ``address`` (the app's lifespan is the module's: no `with`)."""
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def inquiry(program: models.Program) -> dict[str, str]:
    return {"program_id": program.id, "name": "Bo", "email": "bo@example.org",
            "question": "Is there an evening section?"}


def log_in(client: TestClient, email: str, password: str) -> httpx.Response:
    page = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "no CSRF field on the login page"
    return client.post("/console/login", data={
        "csrf": found.group(1), "email": email, "password": password,
        "next": "/console/conversations"})


def test_create_app_shares_the_limits_when_redis_is_set(
        kb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_REDIS_URL", REDIS_URL)
    app = create_app(kb_url)
    assert isinstance(app.state.inquiry_limiter, SharedRateLimiter)
    assert isinstance(app.state.inquiry_limiter.when_down, RateLimiter)  # counted alone
    assert isinstance(app.state.console_failed_logins, SharedRateLimiter)
    assert app.state.console_failed_logins.when_down is None            # refused
    assert isinstance(app.state.console_login_waits, SharedFailureBackoff)
    assert (app.state.inquiry_limiter.limit, app.state.inquiry_limiter.window_s) == \
        web_settings().inquiry_rate
    monkeypatch.delenv("PATHFINDER_REDIS_URL")
    assert not hasattr(create_app(kb_url).state, "inquiry_limiter")  # made on first use


def test_two_web_apps_give_a_client_one_inquiry_allowance(
        replicas: Callable[..., tuple[FastAPI, FastAPI]], program: models.Program) -> None:
    first, second = replicas(inquiry_rate=(3, 600))
    with closing(browser(first, "203.0.113.10")) as one, \
            closing(browser(second, "203.0.113.10")) as two:
        codes = [client.post("/api/inquiries", json=inquiry(program)).status_code
                 for client in (one, two, one, two, one)]
        assert codes == [201, 201, 201, 429, 429]
        # The employer page's form counts in the same limit.
        page = two.get(f"/employers/programs/{program.id}")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found and two.cookies.get(CSRF_COOKIE) == found.group(1)
        form = two.post(f"/employers/programs/{program.id}/inquiry",
                        data=inquiry(program) | {"csrf_token": found.group(1)})
        assert form.status_code == 429
    with closing(browser(second, "203.0.113.11")) as someone_else:
        assert someone_else.post("/api/inquiries", json=inquiry(program)).status_code == 201


def test_the_login_wait_holds_across_web_apps(
        replicas: Callable[..., tuple[FastAPI, FastAPI]]) -> None:
    first, second = replicas()
    with closing(browser(first, "203.0.113.20")) as one, \
            closing(browser(second, "203.0.113.20")) as two:
        for n in range(routes.FAILURES_BEFORE_WAIT):  # alternately on each replica
            assert log_in((one, two)[n % 2], EMAIL, "a wrong guess").status_code == 401
        # The wait is the pair's, whichever replica is asked, even with the right password.
        assert log_in(one, EMAIL, PASSWORD).status_code == 429
        assert log_in(two, EMAIL, PASSWORD).status_code == 429
    with closing(browser(second, "203.0.113.21")) as owner:  # the owner, from elsewhere
        assert log_in(owner, EMAIL, PASSWORD).status_code == 303


def test_failed_logins_from_one_address_are_counted_across_web_apps(
        replicas: Callable[..., tuple[FastAPI, FastAPI]]) -> None:
    first, second = replicas(login_failure_rate=(4, 900))
    with closing(browser(first, "203.0.113.30")) as one, \
            closing(browser(second, "203.0.113.30")) as two:
        assert log_in(one, EMAIL, PASSWORD).status_code == 303  # a success is forgiven
        for n in range(4):  # four accounts, one guess each, on both replicas
            assert log_in((one, two)[n % 2], f"guess{n}@example.org", "x").status_code == 401
        assert log_in(two, EMAIL, PASSWORD).status_code == 429
        assert log_in(one, EMAIL, PASSWORD).status_code == 429


def test_without_redis_inquiries_count_per_process_and_logins_are_refused_at_once(
        replicas: Callable[..., tuple[FastAPI, FastAPI]], program: models.Program,
        caplog: pytest.LogCaptureFixture) -> None:
    """The documented failure behaviour (bot/api/shared_limits.py, README): no 500, no
    wait; inquiries limited by each replica alone, logins refused (fail closed)."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    first, second = replicas(closed, inquiry_rate=(2, 600))
    caplog.set_level(logging.WARNING, logger=LOGGER)
    started = time.monotonic()
    with closing(browser(first, "203.0.113.40")) as one, \
            closing(browser(second, "203.0.113.40")) as two:
        assert [one.post("/api/inquiries", json=inquiry(program)).status_code
                for _ in range(3)] == [201, 201, 429]
        assert [two.post("/api/inquiries", json=inquiry(program)).status_code
                for _ in range(3)] == [201, 201, 429]
        assert log_in(one, EMAIL, PASSWORD).status_code == 429
        assert log_in(two, EMAIL, PASSWORD).status_code == 429
    assert time.monotonic() - started < 5  # ten requests, none waiting on Redis
    warnings = [r for r in caplog.records if r.name == LOGGER and "does not answer" in r.message]
    assert 1 <= len(warnings) <= 2  # once per replica, not once per request


# --- Redis unreachable, silent, back ---------------------------------------------------------

def test_a_closed_port_decides_at_once_as_documented(
        process: Callable[..., SharedLimits]) -> None:
    limits = process(f"redis://127.0.0.1:{free_port()}/0")
    alone = RateLimiter(1, 600)
    inquiries = limits.rate_limiter("inquiries", 5, 600, when_down=alone)
    logins = limits.rate_limiter("login-failures", 20, 900, when_down=None)
    waits = limits.failure_backoff("login-waits", 5, 60, 900)
    started = time.monotonic()
    assert [inquiries.allow("a"), inquiries.allow("a")] == [True, False]  # this process's
    assert not logins.allow("a") and logins.exceeded("a")                  # fail closed
    assert waits.refused("a b")
    waits.failed("a b")      # not counted, and no error
    waits.succeeded("a b")
    logins.forgive("a")
    assert time.monotonic() - started < 1


def test_a_redis_that_never_answers_costs_one_timeout_then_none(
        process: Callable[..., SharedLimits]) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        limits = process(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        logins = limits.rate_limiter("login-failures", 20, 900, when_down=None)
        started = time.monotonic()
        assert not logins.allow("a")
        assert time.monotonic() - started < shared_limits.TIMEOUT_S * 2 + 0.5
        started = time.monotonic()
        assert not logins.allow("a")  # within RETRY_AFTER_S: Redis is not tried
        assert time.monotonic() - started < 0.05


def test_the_limits_are_shared_again_once_redis_answers(
        process: Callable[..., SharedLimits], server: redis.Redis, prefix: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    limits = process(retry_after_s=0.3)
    alone = RateLimiter(1, 600)
    inquiries = limits.rate_limiter("inquiries", 10, 600, when_down=alone)

    def refused() -> None:
        raise redis.ConnectionError("as if Redis had stopped")

    assert limits.run(refused, "a test") is None
    assert inquiries.allow("198.51.100.9")              # counted in this process
    assert alone.exceeded("198.51.100.9") and our_keys(server, prefix) == []
    time.sleep(0.35)
    assert inquiries.allow("198.51.100.9")              # in Redis again
    assert len(our_keys(server, prefix)) == 1
    assert [r.message.split(":")[0] for r in caplog.records if r.name == LOGGER] == [
        "Redis does not answer (ConnectionError", "Redis answers again"]


# --- the setting -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/1",
                                 "unix:///run/redis/redis.sock"])
def test_the_setting_takes_redis_urls(url: str) -> None:
    settings = WebSettings.from_env({"PATHFINDER_RASA_TOKEN": TEST_RASA_TOKEN,
                                     "PATHFINDER_REDIS_URL": url})
    assert settings.redis_url == url
    assert url not in repr(settings)  # it may hold a password


@pytest.mark.parametrize("url", ["http://user:hunter2-secret@127.0.0.1:6379",
                                 "redis://", "127.0.0.1:6379"])
def test_the_setting_refuses_another_url_without_repeating_it(url: str) -> None:
    with pytest.raises(SettingsError, match="PATHFINDER_REDIS_URL must be a Redis URL") as error:
        WebSettings.from_env({"PATHFINDER_RASA_TOKEN": TEST_RASA_TOKEN,
                              "PATHFINDER_REDIS_URL": url})
    assert "hunter2" not in str(error.value)  # a password is never repeated
