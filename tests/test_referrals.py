"""Program links: ``/go/{program_id}`` records the click (program, conversation's pseudonym,
channel, time) in the knowledge base, then redirects to the catalog's URL for that program;
never anywhere else. Real SQLite (a copy of the test knowledge base), the real web app via
TestClient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, delete, func, insert, select
from sqlalchemy.orm import Session

from bot.console import analytics
from bot.console.conversations import EVENTS, TrackerStore
from knowledge import models
from knowledge.db import make_engine, migrate
from knowledge.referrals import UnknownProgram, conversation_ref, record_click
from tests.conftest import TEST_SECRET_KEY, postgres_schema
from tests.test_console_tracker import NOW, conversation

SENDER = "web-" + "ab" * 16
REF = conversation_ref(SENDER, TEST_SECRET_KEY.encode())


@pytest.fixture(autouse=True)
def no_clicks_yet(kb_engine: Engine) -> None:
    """Each test starts with no click recorded in the module's knowledge base."""
    with Session(kb_engine) as db:
        db.execute(delete(models.Referral))
        db.commit()


def clicks(db: Session) -> list[tuple[str, str | None, str]]:
    db.expire_all()
    return [(r.program_id, r.conversation, r.channel)
            for r in db.scalars(select(models.Referral).order_by(models.Referral.id))]


def test_a_click_is_recorded_then_redirected_to_the_catalog_url(
        client: TestClient, db: Session, program: models.Program) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reply = client.get(f"/go/{program.id}", params={"channel": "web", "ref": REF})
    assert reply.status_code == 302
    assert reply.headers["location"] == program.url
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert clicks(db) == [(program.id, REF, "web")]
    clicked_at = db.scalar(select(models.Referral.clicked_at))
    assert clicked_at is not None
    assert before <= clicked_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_every_click_counts_and_telegram_is_a_channel(
        client: TestClient, db: Session, program: models.Program) -> None:
    telegram = conversation_ref("telegram-4242", TEST_SECRET_KEY.encode())
    for _ in range(2):
        client.get(f"/go/{program.id}", params={"channel": "telegram", "ref": telegram})
    client.get(f"/go/{program.id}", params={"channel": "web"})  # a link shared without one
    assert clicks(db) == [(program.id, telegram, "telegram")] * 2 + [
        (program.id, None, "web")]


def test_an_old_link_with_the_conversation_id_is_followed_but_the_id_is_not_stored(
        client: TestClient, db: Session, program: models.Program) -> None:
    """Links used to carry the conversation id, the key to its transcript: one still in a
    browser's history leads to the program, and the id goes nowhere."""
    reply = client.get(f"/go/{program.id}", params={"channel": "web", "conversation": SENDER})
    assert reply.status_code == 302 and reply.headers["location"] == program.url
    assert clicks(db) == [(program.id, None, "web")]
    with pytest.raises(ValueError, match="pseudonym"):
        record_click(db, program.id, "web", SENDER)  # nor through the library


def test_a_click_counts_under_its_conversations_language(
        client: TestClient, db: Session, program: models.Program, tmp_path: Path) -> None:
    """The console finds a click's conversation by computing each conversation's pseudonym."""
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(tracker)
    EVENTS.metadata.create_all(engine)
    other = "web-" + "cd" * 16
    with engine.begin() as connection:
        connection.execute(insert(EVENTS),
                           conversation(SENDER, NOW - 60, "soudeur", "inform_job", 0.9, "fr",
                                        True)
                           + conversation(other, NOW - 50, "welder", "inform_job", 0.9, "en",
                                          True))
    engine.dispose()
    for params in ({"channel": "web", "ref": REF}, {"channel": "web"}):
        assert client.get(f"/go/{program.id}", params=params).status_code == 302
    since = dt.date.today() - dt.timedelta(days=7)
    figures = analytics.compute(db, TrackerStore(tracker).activity(since), since)
    assert sorted(figures.by(2, "clicks")) == [("fr", 1), ("unknown", 1)]
    # Another key makes other pseudonyms: no click is matched then.
    figures = analytics.compute(db, TrackerStore(tracker).activity(since), since,
                                ref_key=b"another key")
    assert figures.by(2, "clicks") == [("unknown", 2)]


@pytest.mark.parametrize("program_id", [
    "no-such-program", "<script>alert(1)</script>", "' OR 1=1 --", "🎓", "x" * 2000])
def test_an_unknown_program_is_a_404_with_a_reason_and_no_click(
        client: TestClient, db: Session, program_id: str) -> None:
    reply = client.get(f"/go/{program_id}", params={"channel": "web", "ref": REF})
    assert reply.status_code == 404 and "catalog" in reply.json()["detail"]
    assert "location" not in reply.headers
    assert clicks(db) == []


@pytest.mark.parametrize("params", [
    {"channel": "email"}, {}, {"channel": "web", "ref": SENDER},
    {"channel": "web", "ref": REF.upper()}, {"channel": "web", "ref": REF + "0"},
    {"channel": "web", "url": "https://evil.example"}])
def test_bad_parameters_are_refused_and_never_redirect_elsewhere(
        client: TestClient, db: Session, program: models.Program,
        params: dict[str, str]) -> None:
    reply = client.get(f"/go/{program.id}", params=params)
    if "url" in params:  # an extra target is ignored: the catalog's URL is used
        assert reply.status_code == 302 and reply.headers["location"] == program.url
        return
    assert reply.status_code == 422 and reply.json()["detail"]
    assert clicks(db) == []


def test_record_click_without_the_web_app(db: Session, program: models.Program) -> None:
    at = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert record_click(db, program.id, "telegram", REF, at=at) == program.url
    stored = db.scalars(select(models.Referral)).one()
    assert stored.clicked_at == dt.datetime(2026, 11, 25, 20, 0)  # kept in UTC
    with pytest.raises(UnknownProgram):
        record_click(db, "nope", "web")
    with pytest.raises(ValueError, match="channel"):
        record_click(db, program.id, "fax")  # type: ignore[arg-type]


def test_the_table_is_created_by_the_migrations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    migrate(engine)
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(models.Referral)) == 0
    engine.dispose()


def test_reloading_the_catalog_keeps_the_clicks(
        kb_url: str, db: Session, program: models.Program, data_dir: Path) -> None:
    from knowledge.loaders.pipeline import load_all

    record_click(db, program.id, "web", REF)
    engine = make_engine(kb_url)
    load_all(engine, data_dir)
    engine.dispose()
    assert clicks(db) == [(program.id, REF, "web")]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


def test_upgrading_forgets_the_conversation_ids_that_old_clicks_stored(
        empty_database: str) -> None:
    """Before pseudonyms, a click stored the conversation id itself (the transcript's key);
    migration 0005 forgets those and keeps the clicks and any pseudonym."""
    from alembic import command
    from alembic.config import Config

    from knowledge.db import MIGRATIONS_DIR

    engine = make_engine(empty_database)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    clicked = dt.datetime(2026, 11, 30, 12, 0)
    with engine.begin() as connection:
        for conversation in (SENDER, "telegram-123456789", REF, None):
            connection.execute(insert(models.Referral).values(
                program_id="p-1", conversation=conversation, channel="web",
                clicked_at=clicked))
    migrate(engine)
    with Session(engine) as db:
        stored = db.scalars(select(models.Referral.conversation)).all()
    engine.dispose()
    assert sorted(stored, key=str) == sorted([None, None, REF, None], key=str)
