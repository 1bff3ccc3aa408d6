"""Program links: ``/go/{program_id}`` records the click (program, conversation, channel, time)
in the knowledge base, then redirects to the catalog's URL for that program; never anywhere
else. Real SQLite (a copy of the test knowledge base), the real web app via TestClient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from bot.api.app import create_app
from knowledge import models
from knowledge.db import make_engine, migrate
from knowledge.referrals import UnknownProgram, record_click

SENDER = "web-" + "ab" * 16


@pytest.fixture(scope="module")
def client(kb_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(kb_url), follow_redirects=False) as client:
        yield client


@pytest.fixture()
def session(kb_engine: Engine) -> Iterator[Session]:
    with Session(kb_engine) as session:
        session.execute(delete(models.Referral))
        session.commit()
        yield session


def clicks(session: Session) -> list[tuple[str, str | None, str]]:
    session.expire_all()
    return [(r.program_id, r.conversation, r.channel)
            for r in session.scalars(select(models.Referral).order_by(models.Referral.id))]


def test_a_click_is_recorded_then_redirected_to_the_catalog_url(
        client: TestClient, session: Session, program: models.Program) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reply = client.get(f"/go/{program.id}", params={"channel": "web", "conversation": SENDER})
    assert reply.status_code == 302
    assert reply.headers["location"] == program.url
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert clicks(session) == [(program.id, SENDER, "web")]
    clicked_at = session.scalar(select(models.Referral.clicked_at))
    assert clicked_at is not None
    assert before <= clicked_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_every_click_counts_and_telegram_is_a_channel(
        client: TestClient, session: Session, program: models.Program) -> None:
    for _ in range(2):
        client.get(f"/go/{program.id}", params={"channel": "telegram", "conversation": "4242"})
    client.get(f"/go/{program.id}", params={"channel": "web"})  # a link shared without one
    assert clicks(session) == [(program.id, "4242", "telegram")] * 2 + [(program.id, None, "web")]


@pytest.mark.parametrize("program_id", [
    "no-such-program", "<script>alert(1)</script>", "' OR 1=1 --", "🎓", "x" * 2000])
def test_an_unknown_program_is_a_404_with_a_reason_and_no_click(
        client: TestClient, session: Session, program_id: str) -> None:
    reply = client.get(f"/go/{program_id}", params={"channel": "web", "conversation": SENDER})
    assert reply.status_code == 404 and "catalog" in reply.json()["detail"]
    assert "location" not in reply.headers
    assert clicks(session) == []


@pytest.mark.parametrize("params", [
    {"channel": "email"}, {}, {"channel": "web", "conversation": "x" * 256},
    {"channel": "web", "url": "https://evil.example"}])
def test_bad_parameters_are_refused_and_never_redirect_elsewhere(
        client: TestClient, session: Session, program: models.Program,
        params: dict[str, str]) -> None:
    reply = client.get(f"/go/{program.id}", params=params)
    if "url" in params:  # an extra target is ignored: the catalog's URL is used
        assert reply.status_code == 302 and reply.headers["location"] == program.url
        return
    assert reply.status_code == 422 and reply.json()["detail"]
    assert clicks(session) == []


def test_record_click_without_the_web_app(session: Session, program: models.Program) -> None:
    at = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert record_click(session, program.id, "telegram", "99", at=at) == program.url
    stored = session.scalars(select(models.Referral)).one()
    assert stored.clicked_at == dt.datetime(2026, 11, 25, 20, 0)  # kept in UTC
    with pytest.raises(UnknownProgram):
        record_click(session, "nope", "web")
    with pytest.raises(ValueError, match="channel"):
        record_click(session, program.id, "fax")  # type: ignore[arg-type]


def test_the_table_is_created_by_the_migrations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    migrate(engine)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Referral)) == 0
    engine.dispose()


def test_reloading_the_catalog_keeps_the_clicks(
        kb_url: str, session: Session, program: models.Program, data_dir: Path) -> None:
    from knowledge.loaders.pipeline import load_all

    record_click(session, program.id, "web", SENDER)
    engine = make_engine(kb_url)
    load_all(engine, data_dir)
    engine.dispose()
    assert clicks(session) == [(program.id, SENDER, "web")]
