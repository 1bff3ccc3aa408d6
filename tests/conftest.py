"""Shared fixtures: a knowledge base loaded from the real data/ into SQLite, and into
PostgreSQL when a server answers (each test session gets its own schema there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.loaders.pipeline import load_all
from knowledge.loaders.report import LoadReport
from knowledge.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"pathfinder_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite knowledge base built once from data/, for tests that only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite'}"
    engine = make_engine(url)
    load_all(engine, DATA_DIR)
    engine.dispose()
    return url


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
