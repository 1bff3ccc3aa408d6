"""Shared fixtures, one of each kind.

Knowledge bases: built from the real data/ into SQLite once per session (`sqlite_url`), and
into PostgreSQL when a server answers (`postgres_url`, a schema of the session's own); each
test module gets its own copy of the SQLite one to write to (`kb_url`, `kb_engine`). `db` is
a session on the module's copy or, for a test marked `both_backends`, on the session's
knowledge base on each backend in turn.

The web app: `client`, or more clients of other apps from `web_client`. The Pathfinder stack:
`stacks`, whose shared engine (actions server + Rasa, on the session's knowledge base) the
stack-starting test files share. Browser tests: `chromium`. Nothing here reads the
developer's var/pathfinder.sqlite."""

from __future__ import annotations

import atexit
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from bot.api.app import create_app
from bot.stack import SERVICES, Stack, StackConfig, free_port
from knowledge import models
from knowledge.db import make_engine, migrate
from knowledge.loaders.pipeline import load_all
from knowledge.settings import (
    PROJECT_ROOT,
    RASA_TOKEN_ENV,
    SCREENSHOTS,
    SECRET_KEY_ENV,
    TEST_POSTGRES_URL,
)

DATA_DIR = PROJECT_ROOT / "data"
MODEL = PROJECT_ROOT / "models" / "pathfinder.tar.gz"
CHROMIUM = Path("/usr/bin/chromium")
# The key of the conversation pseudonyms in program links (the settings' secret_key), as
# `pathfinder run` gives one to every service: set here, so the stacks' services inherit it.
TEST_SECRET_KEY = "pathfinder-tests-only-0f8e2c71b9d44a35"
os.environ[SECRET_KEY_ENV] = TEST_SECRET_KEY
# The engine's token (PATHFINDER_RASA_TOKEN) for every stack the tests start, so that a test
# can speak for a web- or telegram- conversation as our relays do (connectors/senders.py).
TEST_RASA_TOKEN = "pathfinder-tests-only-rasa-7c1d93e0"
os.environ[RASA_TOKEN_ENV] = TEST_RASA_TOKEN
POSTGRES_URL = cast(str, TEST_POSTGRES_URL.read())  # declared with a default: never None
BACKEND_URLS = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}  # their fixtures
# The shared engine's REST channel answers a turn whose actions server is down or silent
# after this long (PATHFINDER_TURN_TIMEOUT_S). Not shorter: a freshly restarted actions server
# builds its occupation index on the first turn (15 s on a busy machine).
ENGINE_TURN_TIMEOUT_S = 30
ENGINE_ENV = {"PATHFINDER_TURN_TIMEOUT_S": str(ENGINE_TURN_TIMEOUT_S),
              # Rasa's own default (ERROR) would hide an access log (tests/test_channels.py).
              "LOG_LEVEL_LIBRARIES": "INFO"}
SERVICE_START_TIMEOUT_S = 300


def unavailable(what: str) -> NoReturn:
    """Skips the test for want of ``what`` (a browser, a package), except under CI (the CI
    variable is set), where it is a broken set-up: there the test fails."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (under CI this fails instead of skipping)")
    pytest.skip(what)


def trained_model() -> Path:
    """models/pathfinder.tar.gz; the test fails without it (`make test` trains it first)."""
    if not MODEL.is_file():
        pytest.fail(f"no Rasa model at {MODEL}: run `make train` (make test does)")
    return MODEL


def _postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:
        return False


# --- knowledge bases ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@contextmanager
def postgres_schema(prefix: str = "pathfinder_test") -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (the test
    is skipped when PostgreSQL is not reachable)."""
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _built(url: str) -> str:
    engine = make_engine(url)
    load_all(engine, DATA_DIR)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite knowledge base built once from data/, for tests that only read it."""
    return _built(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite'}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL knowledge base built once from data/, in a schema of its own (the test
    is skipped when PostgreSQL is not reachable)."""
    with postgres_schema() as url:
        yield _built(url)


@pytest.fixture(scope="module")
def kb_url(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the SQLite knowledge base, for a test module whose code writes to it
    (clicks, inquiries, imports, accounts)."""
    target = tmp_path_factory.mktemp("kb-copy") / "kb.sqlite"
    source = sqlite_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `both_backends` that uses the knowledge base runs on each backend."""
    if "backend" in metafunc.fixturenames and \
            metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", list(BACKEND_URLS), indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str | None:
    """The backend of a test marked `both_backends` ("sqlite" or "postgresql"), else None."""
    param: str | None = getattr(request, "param", None)
    return param


@pytest.fixture(scope="module")
def kb_engine(backend: str | None, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the module's copy of the knowledge base, migrated to the newest schema;
    for a test marked `both_backends`, on the session's knowledge base on that backend."""
    if backend is None:
        engine = make_engine(request.getfixturevalue("kb_url"))
        migrate(engine)
    else:
        engine = make_engine(request.getfixturevalue(BACKEND_URLS[backend]))
    yield engine
    engine.dispose()


@pytest.fixture()
def db(kb_engine: Engine) -> Iterator[Session]:
    """A session on the test's knowledge base (see kb_engine)."""
    with Session(kb_engine) as session:
        yield session


@pytest.fixture(scope="module")
def program(kb_engine: Engine) -> models.Program:
    """A program of the catalog (the first by id), detached."""
    with Session(kb_engine) as session:
        found = session.scalars(select(models.Program).order_by(models.Program.id)).first()
        assert found is not None
        return found


# --- the web app ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web_client(kb_url: str) -> Iterator[Callable[..., TestClient]]:
    """Makes a TestClient of a new web app (bot.api.app) whose lifespan (migrations, the title
    index) runs until the module is done. By default: the module's copy of the knowledge base,
    a Rasa that is unreachable (nothing listens on its port), redirects returned rather than
    followed. Keywords: database_url, rasa_url, tracker_db_url (the conversations the staff
    console reads), follow_redirects. More clients of the same app (another address, no
    cookies) are `TestClient(client.app, ...)`, without `with`: they share its lifespan."""
    with ExitStack() as running:
        def make(*, database_url: str = kb_url, rasa_url: str | None = None,
                 tracker_db_url: str | None = None,
                 follow_redirects: bool = False) -> TestClient:
            app = create_app(database_url, rasa_url=rasa_url or f"http://127.0.0.1:{free_port()}")
            if tracker_db_url is not None:
                app.state.tracker_db_url = tracker_db_url
            client: TestClient = running.enter_context(
                TestClient(app, follow_redirects=follow_redirects))
            return client
        yield make


@pytest.fixture(scope="module")
def client(web_client: Callable[..., TestClient]) -> TestClient:
    """The module's web app (web_client's defaults), as one browser sees it: cookies are
    kept from test to test."""
    return web_client()


# --- the Pathfinder stack -------------------------------------------------------------------

@pytest.fixture(scope="session")
def model() -> Path:
    """models/pathfinder.tar.gz; a test that needs it fails without it."""
    return trained_model()


class Stacks:
    """The session's Pathfinder stacks: bot.stack's services, started as `pathfinder run`
    starts them, on free ports, with tracker store and logs in temporary folders and the
    knowledge base the suite builds.

    `engine()` is the stack the test files share: the actions server and the Rasa engine
    (ENGINE_ENV) on the session's SQLite knowledge base, each started when first asked for
    and kept for the session. `beside_engine()` runs the web app or the Telegram connector
    for one module beside it (on the module's knowledge base, with its own environment), and
    `own()` a stack of a module's own, for tests that read every conversation of the tracker
    store or need a broken knowledge base."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, database_url: str) -> None:
        self._tmp = tmp_path_factory
        self._database_url = database_url
        self._engine: Stack | None = None
        self._model_version: int | None = None

    def engine(self, services: tuple[str, ...] = ("actions", "rasa")) -> Stack:
        """The shared stack, with ``services`` running (a test may have stopped one; a model
        retrained since, e.g. by tests/test_nlu.py, is loaded)."""
        if self._engine is None:
            tmp = self._tmp.mktemp("engine")
            self._engine = self._new(StackConfig(
                root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
                web_port=None, tracker_db=tmp / "tracker.db", log_dir=tmp / "logs",
                database_url=self._database_url, rasa_env=ENGINE_ENV))
        stack = self._engine
        if "rasa" in services:
            version = trained_model().stat().st_mtime_ns
            if stack.is_running("rasa") and version != self._model_version:
                stack.restart_service("rasa", timeout=SERVICE_START_TIMEOUT_S)
            self._model_version = version
        self._start(stack, services)
        return stack

    @contextmanager
    def beside_engine(self, service: str, *, database_url: str | None = None,
                      env: Mapping[str, str] | None = None) -> Iterator[Stack]:
        """A stack running only ``service`` ("web" or "telegram"), beside the shared engine:
        its Rasa, actions server and tracker store. ``database_url`` is the service's
        knowledge base (default: the engine's), ``env`` what is added to its environment.
        Stopped on exit."""
        engine = self.engine()
        tmp = self._tmp.mktemp(service)
        config = replace(engine.config, log_dir=tmp / "logs",
                         database_url=database_url or engine.config.database_url,
                         web_port=free_port() if service == "web" else None,
                         telegram_port=free_port() if service == "telegram" else None)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            beside = self._new(config)  # the services' environment is taken here
        assert beside.rasa_token == engine.rasa_token  # TEST_RASA_TOKEN, from the environment
        try:
            self._start(beside, (service,))
            yield beside
        finally:
            self._stop(beside)

    @contextmanager
    def own(self, *services: str, database_url: str) -> Iterator[Stack]:
        """A stack of its own, running ``services`` on ``database_url``; stopped on exit."""
        tmp = self._tmp.mktemp("stack")
        stack = self._new(StackConfig(
            root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
            web_port=free_port() if "web" in services else None,
            tracker_db=tmp / "tracker.db", log_dir=tmp / "logs", database_url=database_url))
        try:
            self._start(stack, services)
            yield stack
        finally:
            self._stop(stack)

    def close(self) -> None:
        if self._engine is not None:
            self._stop(self._engine)
            self._engine = None

    def _new(self, config: StackConfig) -> Stack:
        stack = Stack(config)
        atexit.register(stack.stop)  # should the session end without its teardown
        return stack

    def _start(self, stack: Stack, services: tuple[str, ...]) -> None:
        for name in SERVICES:  # in the order `pathfinder run` starts them
            if name in services and not stack.is_running(name):
                if name == "rasa":
                    trained_model()
                stack.start_service(name, timeout=SERVICE_START_TIMEOUT_S)

    @staticmethod
    def _stop(stack: Stack) -> None:
        stack.stop()
        atexit.unregister(stack.stop)


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory, sqlite_url: str) -> Iterator[Stacks]:
    """The Pathfinder stacks of the session (see Stacks); all stopped at its end."""
    pool = Stacks(tmp_path_factory, sqlite_url)
    yield pool
    pool.close()


# --- browsers -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, which the browser tests drive through Playwright (which never
    downloads a browser of its own); skipped without them, failed under CI."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright is not installed in .venv (make setup installs it)")
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}: `make setup` installs Debian's chromium")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    return CHROMIUM


def screenshots_dir(tmp_path: Path) -> Path:
    """Where browser tests save their screenshots: docs/ with PATHFINDER_SCREENSHOTS=1 (to
    refresh the README's pictures), else the test's temporary folder."""
    if SCREENSHOTS.read() == "1":
        docs = PROJECT_ROOT / "docs"
        docs.mkdir(exist_ok=True)
        return docs
    return tmp_path

