"""Shared fixtures: a knowledge base loaded from the real data/ into SQLite, and into
PostgreSQL when a server answers (each test session gets its own schema there)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from bot.stack import Stack, StackConfig, free_port
from knowledge import models
from knowledge.db import make_engine, migrate
from knowledge.loaders.pipeline import load_all
from knowledge.loaders.report import LoadReport
from knowledge.settings import PROJECT_ROOT, RASA_TOKEN_ENV, SECRET_KEY_ENV

DATA_DIR = PROJECT_ROOT / "data"
# The key of the conversation pseudonyms in program links (knowledge.settings.secret_key), as
# `pathfinder run` gives one to every service: set here, so the stacks' services inherit it.
TEST_SECRET_KEY = "pathfinder-tests-only-0f8e2c71b9d44a35"
os.environ[SECRET_KEY_ENV] = TEST_SECRET_KEY
# The engine's token (PATHFINDER_RASA_TOKEN) for every stack the tests start, so that a test
# can speak for a web- or telegram- conversation as our relays do (connectors/senders.py).
TEST_RASA_TOKEN = "pathfinder-tests-only-rasa-7c1d93e0"
os.environ[RASA_TOKEN_ENV] = TEST_RASA_TOKEN
POSTGRES_URL = os.environ.get("PATHFINDER_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:
        return False


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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite knowledge base built once from data/, for tests that only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite'}"
    engine = make_engine(url)
    load_all(engine, DATA_DIR)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def kb_url(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the SQLite knowledge base, for a test module whose code writes to it
    (clicks, inquiries, imports, accounts)."""
    target = tmp_path_factory.mktemp("kb-copy") / "kb.sqlite"
    source = sqlite_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def kb_engine(kb_url: str) -> Iterator[Engine]:
    """An engine on the module's copy of the knowledge base, migrated to the newest schema."""
    engine = make_engine(kb_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def program(kb_engine: Engine) -> models.Program:
    """A program of the catalog (the first by id), detached."""
    with Session(kb_engine) as session:
        found = session.scalars(select(models.Program).order_by(models.Program.id)).first()
        assert found is not None
        return found


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, LoadReport]]:
    """The knowledge base built from data/, on each backend, with its load report."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    engine = make_engine(url)
    report = load_all(engine, DATA_DIR)
    yield engine, report
    engine.dispose()


@pytest.fixture()
def session(loaded: tuple[Engine, LoadReport]) -> Iterator[Session]:
    with Session(loaded[0]) as session:
        yield session


@contextmanager
def started_stack(tmp: Path, *, web: bool = False,
                  database_url: str | None = None) -> Iterator[Stack]:
    """The actions server, the Rasa engine (models/pathfinder.tar.gz) and, with ``web``, the
    web app, started as `pathfinder run` starts them, on free ports, with the tracker store
    and logs in ``tmp``; stopped on exit."""
    config = StackConfig(root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
                         web_port=free_port() if web else None, tracker_db=tmp / "tracker.db",
                         log_dir=tmp / "logs", database_url=database_url)
    with Stack(config) as running:
        yield running


def screenshots_dir(tmp_path: Path) -> Path:
    """Where browser tests save their screenshots: docs/ with PATHFINDER_SCREENSHOTS=1 (to
    refresh the README's pictures), else the test's temporary folder."""
    if os.environ.get("PATHFINDER_SCREENSHOTS") == "1":
        docs = PROJECT_ROOT / "docs"
        docs.mkdir(exist_ok=True)
        return docs
    return tmp_path
