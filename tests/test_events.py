"""The events consumer (bot/events/) and the console's reads of what it keeps: conversation
summaries and analytics counts in the app database, from Rasa's tracker store on SQLite and
PostgreSQL (events shaped as Rasa 3.6 stores them, tests/test_console_tracker.py's).

What staff would notice: a new conversation is listed once the consumer ran; a later turn
updates its conversation's row; running the consumer again (or from the start, or with the
same queue message twice) counts nothing twice; the list, filters, search and analytics read
from the summaries say what the console said when it rebuilt every conversation."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot import cli
from bot.console import analytics, summaries
from bot.console.conversations import EVENTS, Filters, TrackerStore, read_only_engine
from bot.events import amqp, consumer
from bot.events.summary import (
    CONFIDENCES_KEPT,
    SEARCH_HEAD_CHARS,
    SEARCH_TAIL_CHARS,
    VALUES_KEPT,
    Summary,
    apply,
)
from knowledge.db import make_engine, migrate
from knowledge.models import (
    ConversationCount,
    ConversationSummary,
    EventFeedPosition,
    Referral,
    TurnAnnotation,
)
from knowledge.referrals import conversation_ref
from knowledge.settings import PROJECT_ROOT
from tests.conftest import TEST_SECRET_KEY, postgres_schema, unavailable
from tests.test_console import PASSWORD, log_in
from tests.test_console import listed as console_listed
from tests.test_console_tracker import NOW, _event, conversation, fill

KEY = TEST_SECRET_KEY.encode()
WEB = "web-" + "a" * 32
THRESHOLD = 0.6


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(tracker store URL, app database URL), the tracker filled with fill()'s three
    conversations, the app database migrated; both on the backend of the parameter."""
    if request.param == "sqlite":
        tracker, app = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'app.db'}"
        fill(tracker)
        engine = make_engine(app)
        migrate(engine)
        engine.dispose()
        yield tracker, app
        return
    with postgres_schema("events_tracker") as tracker, postgres_schema("events_app") as app:
        fill(tracker)
        engine = make_engine(app)
        migrate(engine)
        engine.dispose()
        yield tracker, app
        read_only_engine(tracker).dispose()


@pytest.fixture()
def app(urls: tuple[str, str]) -> Iterator[Engine]:
    engine = make_engine(urls[1])
    yield engine
    engine.dispose()


def add_events(url: str, rows: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()


def listed(app: Engine, **filters: Any) -> list[str]:
    with Session(app) as session:
        store = summaries.SummaryStore(session)
        return [c.sender_id for c in store.page(Filters(**filters), THRESHOLD, 0, 50)[1]]


def figures_of(session: Session, since: dt.date | None) -> analytics.Analytics:
    """The analytics as the console reads them."""
    return analytics.compute(session, summaries.SummaryStore(session).activity(since), since,
                             ref_key=KEY)


def counts(app: Engine) -> dict[tuple[Any, ...], int]:
    c = ConversationCount
    with Session(app) as session:
        return {tuple(row[:-1]): row[-1] for row in session.execute(
            select(c.metric, c.week, c.active_week, c.channel, c.language, c.value, c.count)
            .where(c.count != 0))}


FILTERS: list[dict[str, Any]] = [
    {}, {"channel": "telegram"}, {"channel": "rest"}, {"channel": "web"}, {"language": "fr"},
    {"language": "en"}, {"low_confidence": True}, {"no_recommendation": True},
    {"date_from": (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()},
    {"date_to": (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).date()},
    {"query": "SOUDEUR"}, {"query": "programs"}, {"query": "a@b.ca"}, {"query": "[email]"},
    {"query": "100%_"}, {"language": "en", "no_recommendation": True}]


def test_the_summaries_list_what_the_tracker_store_holds(
        urls: tuple[str, str], app: Engine) -> None:
    tracker_url, _ = urls
    assert listed(app) == []  # nothing consumed yet
    assert consumer.catch_up(tracker_url, app, KEY) == 21
    store = TrackerStore(tracker_url)
    with Session(app) as session:
        for given in FILTERS:
            filters = Filters(**given)
            old_total, old = store.page(filters, set(), THRESHOLD, 0, 50)
            total, new = summaries.SummaryStore(session).page(filters, THRESHOLD, 0, 50)
            assert (total, [c.sender_id for c in new]) == (
                old_total, [c.sender_id for c in old]), given
            for before, now in zip(old, new, strict=True):
                assert (now.channel, now.language, now.turns, now.recommendations,
                        now.first_message, now.last) == (
                    before.channel, before.language, len(before.user_turns),
                    before.recommendation_count, before.first_message, before.last), given
                assert now.low_confidence == len(before.low_confidence_turns(THRESHOLD))
        # Pages, most recent first.
        summaries_store = summaries.SummaryStore(session)
        assert [c.sender_id for c in summaries_store.page(Filters(), THRESHOLD, 1, 1)[1]] \
            == ["telegram-1"]
        assert summaries_store.page(Filters(), THRESHOLD, 5, 1) == (3, [])
        [row] = session.scalars(select(ConversationSummary).where(
            ConversationSummary.sender_id == "telegram-1"))
        # Only redacted text is stored.
        assert "a@b.ca" not in json.dumps([row.first_message, row.search_text, row.skills])
        assert row.first_message == "welder here, mail [email]"
        assert row.ref == conversation_ref("telegram-1", KEY)


def test_flagged_conversations_are_filtered_in_the_database(
        urls: tuple[str, str], app: Engine) -> None:
    consumer.catch_up(urls[0], app, KEY)
    with Session(app) as session:
        session.add(TurnAnnotation(sender_id="old-one", event_id=1, flagged=True, note="",
                                   updated_at=dt.datetime(2026, 1, 1)))
        session.add(TurnAnnotation(sender_id="telegram-1", event_id=2, flagged=False,
                                   note="seen", updated_at=dt.datetime(2026, 1, 1)))
        session.commit()
    assert listed(app, flagged=True) == ["old-one"]


def test_the_analytics_from_the_counts_are_the_analytics_of_the_conversations(
        urls: tuple[str, str], app: Engine) -> None:
    tracker_url, _ = urls
    consumer.catch_up(tracker_url, app, KEY)
    since = analytics.week_of(dt.datetime.now(dt.UTC)) - dt.timedelta(weeks=11)
    with Session(app) as session:
        session.add(Referral(program_id="p1", channel="telegram",
                             conversation=conversation_ref("telegram-1", KEY),
                             clicked_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        session.commit()
        for weeks_back in (11, 20):
            since = analytics.week_of(dt.datetime.now(dt.UTC)) - dt.timedelta(weeks=weeks_back)
            old = analytics.compute(session, TrackerStore(tracker_url).activity(since), since,
                                    ref_key=KEY)
            new = figures_of(session, since)
            assert +new.counts == +old.counts, weeks_back
            assert new.weeks == old.weeks
            assert new.skills == old.skills and new.occupations == old.occupations
            assert new.csv() == old.csv()
        assert new.total("conversations") == 3 and new.total("clicks") == 1
        assert new.by(2, "clicks") == [("en", 1)]


def test_a_new_conversation_and_a_later_turn_show_once_the_consumer_ran(
        urls: tuple[str, str], app: Engine) -> None:
    tracker_url, _ = urls
    consumer.catch_up(tracker_url, app, KEY)
    before = counts(app)
    new = "telegram-77"
    add_events(tracker_url, conversation(new, NOW - 5, "cuisinier", "inform_job", 0.9, "fr",
                                         True))
    assert new not in listed(app)  # not until the consumer has read it
    assert consumer.catch_up(tracker_url, app, KEY) == 7
    assert listed(app)[0] == new and listed(app, language="fr") == [new, WEB]
    # A later turn of telegram-1: a low-confidence question in French.
    add_events(tracker_url, [
        _event("telegram-1", "user", NOW - 1, text="et le salaire ?", parse_data={
            "intent": {"name": "ask_wage", "confidence": 0.3}, "entities": [],
            "intent_ranking": []}),
        _event("telegram-1", "slot", NOW - 0.9, name="language", value="fr")])
    consumer.catch_up(tracker_url, app, KEY)
    assert listed(app)[0] == "telegram-1"
    assert set(listed(app, low_confidence=True)) == {"telegram-1", WEB}
    assert listed(app, query="SALAIRE") == ["telegram-1"]
    with Session(app) as session:
        row = session.get(ConversationSummary, "telegram-1")
        assert row is not None and (row.user_turns, row.language) == (2, "fr")
        figures = figures_of(session, dt.date.today() - dt.timedelta(days=30))
    # The conversation moved from English to French in the counts: still counted once.
    assert figures.total("conversations") == 3
    assert sorted(figures.by(2, "conversations")) == [("fr", 3)]
    after = counts(app)
    assert sum(n for k, n in after.items() if k[0] == "conversations") == \
        sum(n for k, n in before.items() if k[0] == "conversations") + 1


def test_reading_again_counts_nothing_twice(urls: tuple[str, str], app: Engine) -> None:
    tracker_url, _ = urls
    assert consumer.catch_up(tracker_url, app, KEY, batch=5) == 21  # in several batches
    first = counts(app)
    with Session(app) as session:
        position = session.scalar(select(EventFeedPosition.position))
        rows = [(r.sender_id, r.user_turns, r.recommendations, r.search_text)
                for r in session.scalars(select(ConversationSummary).order_by(
                    ConversationSummary.sender_id))]
    assert consumer.catch_up(tracker_url, app, KEY) == 0  # resumed from the stored position
    # The position lost (a restored backup): everything is read again, and nothing changes.
    with app.begin() as connection:
        connection.execute(update(EventFeedPosition).values(position=0))
    assert consumer.catch_up(tracker_url, app, KEY) == 21
    assert counts(app) == first
    with Session(app) as session:
        assert session.scalar(select(EventFeedPosition.position)) == position
        assert [(r.sender_id, r.user_turns, r.recommendations, r.search_text)
                for r in session.scalars(select(ConversationSummary).order_by(
                    ConversationSummary.sender_id))] == rows


def test_the_same_queue_message_twice_counts_once(app: Engine) -> None:
    """The broker's messages carry no event id: one delivered again (not acknowledged before
    a restart) is known by its fingerprint."""
    events = [consumer.Event("rest-q", {"sender_id": "rest-q", **e}) for e in (
        json.loads(row["data"]) for row in conversation(
            "rest-q", NOW - 3, "plombier", "inform_job", 0.8, "en", True))]
    with app.begin() as connection:
        assert consumer.write_batch(connection, events[:4]) == 4
    with app.begin() as connection:
        assert consumer.write_batch(connection, events) == len(events) - 4
    with app.begin() as connection:
        assert consumer.write_batch(connection, events[2:]) == 0
    with Session(app) as session:
        row = session.get(ConversationSummary, "rest-q")
        assert row is not None and (row.user_turns, row.recommendations) == (1, 1)
        assert figures_of(session, None).total("recommendations") == 1


def test_the_summariser_reads_events_as_the_console_built_conversations() -> None:
    summary = Summary("web-x")
    for row in conversation("web-x", NOW, "I'm a welder, call 416-555-0199", "nlu_fallback",
                            0.4, "fr", True):
        apply(summary, json.loads(row["data"]))
    apply(summary, {"event": "bot", "timestamp": NOW + 5, "text": None, "data": {"custom": {
        "type": "recommendations", "programs": [], "alternatives": [{"title": "x"}]}}})
    apply(summary, {"event": "slot", "timestamp": NOW + 6, "name": "helpful", "value": "yes"})
    apply(summary, {"event": "slot", "timestamp": NOW + 7, "name": "target_noc",
                    "value": "72106"})
    assert summary.first_message == "I'm a welder, call [phone]"
    assert (summary.user_turns, summary.recommendations, summary.language) == (1, 1, "fr")
    assert summary.confidences == [-1.0]  # nlu_fallback: low at any threshold
    assert (summary.helpful_yes, summary.occupations) == (1, ["72106"])
    assert summary.last_ts == NOW + 7 and summary.first_ts == NOW


def test_the_command_consumes_once_and_the_purge_forgets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    kb = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    fill(tracker)
    args = ["--database", kb, "events", "consume", "--once", "--tracker-db-url", tracker]
    assert cli.main(args) == 0
    assert "Read 21 events" in capsys.readouterr().out
    assert cli.main(args) == 0
    assert "Read 0 events" in capsys.readouterr().out
    engine = make_engine(kb)
    try:
        assert set(listed(engine)) == {"telegram-1", WEB, "old-one"}
        assert cli.main(["--database", kb, "conversations", "purge", "--days", "30",
                         "--tracker-db-url", tracker]) == 0
        assert set(listed(engine)) == {"telegram-1", WEB}
        with Session(engine) as session:
            assert figures_of(session, None).total("conversations") == 2
            assert session.scalar(select(func.count()).select_from(ConversationCount).where(
                ConversationCount.count < 0)) == 0
        # A conversation whose first events were purged is summarised from what is left.
        add_events(tracker, [_event("telegram-1", "user", NOW, text="encore moi",
                                    parse_data={"intent": {"name": "greet",
                                                           "confidence": 0.99}})])
        assert cli.main(args) == 0
        old_events = create_engine(tracker)
        with old_events.begin() as connection:
            connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == "telegram-1",
                                                    EVENTS.c.timestamp < NOW - 1))
        old_events.dispose()
        consumer.after_purge(tracker, engine, NOW - 1, KEY)
        with Session(engine) as session:
            row = session.get(ConversationSummary, "telegram-1")
            assert row is not None and (row.first_message, row.user_turns) == ("encore moi", 1)
            assert "welder" not in row.search_text
    finally:
        engine.dispose()


def test_no_tracker_database_yet_means_nothing_to_read(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    migrate(engine)
    assert consumer.catch_up(f"sqlite:///{tmp_path / 'none.db'}", engine) == 0
    assert not (tmp_path / "none.db").exists()
    engine.dispose()


# --- RabbitMQ: what Rasa's Pika event broker publishes -------------------------------------

ENGINE_PYTHON = PROJECT_ROOT / ".venv-engine" / "bin" / "python"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
PUBLISH = """
import asyncio, json, sys
import rasa.shared.core.events  # loaded in any engine; the broker's publish needs it
from rasa.core.brokers.pika import PikaEventBroker

async def main():
    broker = PikaEventBroker("127.0.0.1", "guest", "guest", port=5672, queues=[sys.argv[1]],
                             exchange_name=sys.argv[2])
    await broker.connect()
    for line in sys.stdin:
        broker.publish(json.loads(line))
    while broker._background_tasks:
        await asyncio.sleep(0.05)
    await broker.close()

asyncio.run(main())
"""


@pytest.fixture()
def broker() -> Iterator[tuple[Any, str, str]]:
    """A channel to the RabbitMQ on this machine, with a queue and a fanout exchange of the
    test's own (Rasa's own exchange would reach every queue bound to it)."""
    import pika

    try:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    except pika.exceptions.AMQPError:
        unavailable("RabbitMQ is not reachable at 127.0.0.1:5672")
    queue, exchange = f"test-events-{uuid.uuid4().hex[:8]}", f"test-ex-{uuid.uuid4().hex[:8]}"
    channel = connection.channel()
    amqp.declare(channel, queue, exchange)
    try:
        yield channel, queue, exchange
    finally:
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
        connection.close()


def test_events_published_by_rasa_through_rabbitmq_are_summarised_once(
        tmp_path: Path, broker: tuple[Any, str, str]) -> None:
    if not ENGINE_PYTHON.exists():
        unavailable(f"no Rasa engine at {ENGINE_PYTHON} (make setup)")
    channel, queue, exchange = broker
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    migrate(engine)
    # What the tracker store streams: each event's as_dict() with the sender id (unredacted).
    published = [{"sender_id": "telegram-5", **json.loads(row["data"])} for row in conversation(
        "telegram-5", NOW - 20, "welder, mail a@b.ca", "inform_job", 0.5, "fr", True)]
    result = subprocess.run(
        [str(ENGINE_PYTHON), "-c", PUBLISH, queue, exchange],
        input="\n".join(json.dumps(e) for e in published), capture_output=True, text=True,
        timeout=180, check=False, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert amqp.consume(channel, queue, engine, KEY, once=True) == len(published)
    with Session(engine) as session:
        row = session.get(ConversationSummary, "telegram-5")
        assert row is not None
        assert (row.user_turns, row.recommendations, row.language) == (1, 1, "fr")
        assert row.first_message == "welder, mail [email]" and "a@b.ca" not in row.search_text
        assert listed(engine, low_confidence=True) == ["telegram-5"]
    first = counts(engine)
    # Delivered again (a consumer that died before acknowledging): nothing counts twice.
    for event in published[2:]:
        channel.basic_publish(exchange, "", json.dumps(event).encode())
    channel.basic_publish(exchange, "", b"not json")
    assert amqp.consume(channel, queue, engine, KEY, once=True) == len(published) - 1
    assert counts(engine) == first
    with Session(engine) as session:
        row = session.get(ConversationSummary, "telegram-5")
        assert row is not None and row.user_turns == 1
    engine.dispose()


def test_the_command_reads_the_queue(broker: tuple[Any, str, str], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    channel, queue, exchange = broker
    for row in conversation("rest-9", NOW - 4, "plumber", "inform_job", 0.9, "en", False):
        channel.basic_publish(exchange, "", json.dumps(
            {"sender_id": "rest-9", **json.loads(row["data"])}).encode())
    kb = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    args = ["--database", kb, "events", "consume", "--once", "--broker", "--queue", queue,
            "--exchange", exchange]
    assert cli.main(args) == 2  # no broker set: said, nothing read
    assert "PATHFINDER_EVENT_BROKER_URL" in capsys.readouterr().err
    with pytest.MonkeyPatch.context() as patch:
        # The URL (with its password) is a setting, never an argument others can see in ps.
        patch.setenv("PATHFINDER_EVENT_BROKER_URL", AMQP_URL)
        assert cli.main(args) == 0
    assert f"Read 6 events from the queue '{queue}'" in capsys.readouterr().out
    engine = make_engine(kb)
    assert listed(engine) == ["rest-9"]
    engine.dispose()


# --- pathfinder run ----------------------------------------------------------------------

def test_pathfinder_run_keeps_the_summaries_current(tmp_path: Path) -> None:
    """`pathfinder run` starts the consumer (bot/run.py) on its stack's tracker store and
    knowledge base: a conversation stored while it runs is listed within seconds."""
    from types import SimpleNamespace

    from bot.run import _start_events_consumer

    tracker_db = tmp_path / "tracker.db"
    kb = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    config = SimpleNamespace(root=PROJECT_ROOT, tracker_db_path=tracker_db, database_url=kb)
    stop = _start_events_consumer(cast(Any, SimpleNamespace(config=config)))
    try:
        fill(f"sqlite:///{tracker_db}")  # the engine starts writing after the consumer
        engine = make_engine(kb)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OperationalError):  # not migrated yet
                if len(listed(engine)) == 3:
                    break
            time.sleep(0.2)
        assert set(listed(engine)) == {"telegram-1", WEB, "old-one"}
        add_events(f"sqlite:///{tracker_db}", conversation(
            "telegram-8", NOW, "électricien", "inform_job", 0.9, "fr", False))
        deadline = time.monotonic() + 30
        while "telegram-8" not in listed(engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert listed(engine)[0] == "telegram-8"
        engine.dispose()
    finally:
        stop.set()


# --- the console's pages -----------------------------------------------------------------

def test_the_console_pages_read_the_summaries(
        web_client: Callable[..., TestClient], kb_url: str, tmp_path: Path) -> None:
    """The list, its filters and search, and the analytics, through the web app as staff
    use them, on a tracker store whose events the consumer has read; the transcript still
    reads the tracker store."""
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    fill(tracker)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert cli.main(["--database", kb_url, "staff", "add", "events@example.org",
                         "--password-stdin"]) == 0
    staff = web_client(tracker_db_url=tracker)
    assert log_in(staff, email="events@example.org").status_code == 303
    assert console_listed(staff) == set()  # the consumer has not run
    assert cli.main(["--database", kb_url, "events", "consume", "--once",
                     "--tracker-db-url", tracker]) == 0
    assert console_listed(staff) == {"telegram-1", WEB, "old-one"}
    assert console_listed(staff, language="fr") == {WEB}
    assert console_listed(staff, channel="rest") == {"old-one"}
    assert console_listed(staff, low_confidence="true") == {WEB}
    assert console_listed(staff, q="SOUDEUR") == {WEB}
    assert console_listed(staff, q="a@b.ca") == set()
    page = staff.get("/console/conversations", params={"channel": "telegram"}).text
    row = page[page.index('data-sender="telegram-1"'):].split("</tr>")[0]
    # Turns, low-confidence turns, recommendations, first message (redacted).
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "0", "1"]
    assert "welder here, mail [email]" in row and "a@b.ca" not in page
    analytics_page = staff.get("/console/analytics").text
    totals = dict(re.findall(r'data-metric="(\w+)"><span class="value">(\d+)<', analytics_page))
    assert (totals["conversations"], totals["recommendations"]) == ("2", "1")
    csv_text = staff.get("/console/analytics.csv").text
    assert "skill:welding [email]" in csv_text and "a@b.ca" not in csv_text
    transcript = staff.get("/console/conversations/telegram-1")
    assert transcript.status_code == 200 and "Welding Basics" in transcript.text


# --- review fixes: bounded summaries, redelivery, late commits, the queue's failures ------

def _turn(sender: str, at: float, text: str, confidence: float) -> dict[str, Any]:
    return {"event": "user", "timestamp": at, "text": text, "parse_data": {
        "intent": {"name": "inform_job", "confidence": confidence}, "entities": [
            {"entity": "skill", "value": f"skill {int(at)}"}]}}


def test_a_conversation_that_goes_on_and_on_keeps_a_bounded_summary(app: Engine) -> None:
    """A client that loops (thousands of turns): each event costs bounded work and the row
    keeps a bounded size; its first and latest texts are searched, and the low-confidence
    filter and count stay right (the lowest confidences are kept)."""
    sender = "rest-loop"
    turns = 3000
    low = {7, 1500, 2999}  # early, in the middle, the last: below the threshold
    events = []
    for n in range(turns):
        events.append(consumer.Event(sender, _turn(sender, NOW - 10_000 + n,
                                                   f"turn number {n} of a long chat",
                                                   0.3 if n in low else 0.9), 2 * n + 1))
        events.append(consumer.Event(sender, {"event": "slot", "timestamp": NOW - 10_000 + n,
                                              "name": "target_noc", "value": f"{n:05d}"},
                                     2 * n + 2))
    for start in range(0, len(events), 1000):  # in batches: each rewrites the row
        with app.begin() as connection:
            consumer.write_batch(connection, events[start:start + 1000], KEY)
    with Session(app) as session:
        row = session.get(ConversationSummary, sender)
        assert row is not None and row.user_turns == turns
        assert len(row.search_text) <= SEARCH_HEAD_CHARS + SEARCH_TAIL_CHARS + 1
        assert len(row.confidences) <= CONFIDENCES_KEPT
        assert len(row.occupations) <= VALUES_KEPT and len(row.skills) <= VALUES_KEPT
        assert len(json.dumps(row.state)) < 10_000
        assert row.min_confidence == 0.3
    assert listed(app, query="turn number 0 of") == [sender]  # the start
    assert listed(app, query=f"turn number {turns - 1} of") == [sender]  # the latest
    assert listed(app, low_confidence=True) == [sender]
    with Session(app) as session:
        [shown] = summaries.SummaryStore(session).page(Filters(), THRESHOLD, 0, 50)[1]
    assert shown.low_confidence == len(low)


def test_the_summariser_keeps_the_lowest_confidences_exactly() -> None:
    summary = Summary("rest-c")
    for n in range(CONFIDENCES_KEPT * 3):
        apply(summary, _turn("rest-c", NOW + n, f"t{n}", 0.5 + (n % 50) / 100))
    apply(summary, {"event": "user", "timestamp": NOW, "text": "?", "parse_data": {
        "intent": {"name": "nlu_fallback", "confidence": 0.7}}})
    assert len(summary.confidences) == CONFIDENCES_KEPT
    assert summary.min_confidence == -1.0  # nlu_fallback, kept whatever came after
    assert summary.confidences == sorted(summary.confidences)
    # Every turn below 0.52 is there: the fallback, and six each at 0.50 and 0.51.
    assert sum(1 for c in summary.confidences if c < 0.52) == 1 + 2 * 6


def test_a_batch_of_the_queue_delivered_again_is_recognised_whole(app: Engine) -> None:
    """A consumer that wrote a batch and stopped before acknowledging it is given the whole
    batch again: more events of one conversation than a few dozen too."""
    sender = "rest-many"
    events = [consumer.Event(sender, {"sender_id": sender, **_turn(sender, NOW - 500 + n,
                                                                    f"message {n}", 0.9)})
              for n in range(300)]
    with app.begin() as connection:
        assert consumer.write_batch(connection, events[:200], KEY) == 200
    first = counts(app)
    with app.begin() as connection:  # again, with the next ones
        assert consumer.write_batch(connection, events, KEY) == 100
    with app.begin() as connection:  # and that batch again
        assert consumer.write_batch(connection, events, KEY) == 0
    with Session(app) as session:
        row = session.get(ConversationSummary, sender)
        assert row is not None and row.user_turns == 300
    assert {k: n for k, n in counts(app).items() if k[0] == "conversations"} == \
        {k: n for k, n in first.items() if k[0] == "conversations"}


def test_an_event_that_commits_after_higher_ids_were_read_is_applied(
        urls: tuple[str, str], app: Engine) -> None:
    """Two engines on one PostgreSQL tracker store: an id is given at insert, so a lower id
    can commit after a higher one was read. The ids just before the position are looked at
    again (their ids only, once the consumer has seen them)."""
    tracker_url, _ = urls
    consumer.catch_up(tracker_url, app, KEY)
    late = conversation("rest-late", NOW - 2, "plombier", "inform_job", 0.9, "fr", False)
    add_events(tracker_url, [{"id": 200, **_event("rest-early", "user", NOW - 1,
                                                    text="first committed")}])
    assert consumer.catch_up(tracker_url, app, KEY) == 1
    # Ids 100..105: given before 200, committed after it was read.
    add_events(tracker_url, [{"id": 100 + i, **row} for i, row in enumerate(late)])
    assert consumer.catch_up(tracker_url, app, KEY) == len(late)
    assert "rest-late" in listed(app) and "rest-early" in listed(app)
    assert consumer.catch_up(tracker_url, app, KEY) == 0
    # Following: once seen, the ids behind the position cost a read of ids, not of events.
    seen: set[int] = set()
    tracker = read_only_engine(tracker_url)
    assert consumer.tail_once(tracker, app, KEY, seen=seen) == 0
    assert 100 in seen and 200 in seen
    read: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(consumer, "tracker_events",
                      lambda rows: read.append(len(rows)) or [])  # type: ignore[func-returns-value]
        assert consumer.tail_once(tracker, app, KEY, seen=seen) == 0
    assert read == []


class FakeChannel:
    """What consume() uses of a pika channel, with the messages given."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.acked: list[int] = []
        self.nacked: list[int] = []
        self.slept: list[float] = []
        self.connection = self

    def basic_qos(self, prefetch_count: int) -> None:
        self.prefetch = prefetch_count

    def consume(self, queue: str, inactivity_timeout: float) -> Iterator[tuple[Any, ...]]:
        for tag, body in enumerate(self.bodies, 1):
            yield SimpleNamespace(delivery_tag=tag), None, body
        while True:
            yield None, None, None

    def basic_ack(self, tag: int, multiple: bool) -> None:
        self.acked.append(tag)

    def basic_nack(self, tag: int, multiple: bool, requeue: bool) -> None:
        self.nacked.append(tag)

    def cancel(self) -> None:
        pass

    def sleep(self, seconds: float) -> None:  # BlockingConnection.sleep
        self.slept.append(seconds)


def _bodies(sender: str) -> list[bytes]:
    return [json.dumps({"sender_id": sender, **json.loads(row["data"])}).encode()
            for row in conversation(sender, NOW - 7, "welder", "inform_job", 0.9, "en", True)]


def test_the_queue_waits_for_the_database_with_pika_answering_heartbeats(
        app: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    failures = [OperationalError("INSERT", {}, Exception("the server closed the connection"))]
    real = consumer.write_batch

    def flaky(connection: Any, events: Any, key: bytes | None = None) -> int:
        if failures:
            raise failures.pop()
        return real(connection, events, key)

    def blocking(seconds: float) -> None:
        raise AssertionError("time.sleep blocks pika's heartbeats")

    monkeypatch.setattr(amqp, "write_batch", flaky)
    monkeypatch.setattr(amqp.time, "sleep", blocking)
    channel = FakeChannel(_bodies("rest-down"))
    assert amqp.consume(channel, "q", app, KEY, once=True) == len(channel.bodies)
    assert channel.slept == [consumer.ERROR_WAIT_S] and channel.acked == [len(channel.bodies)]
    assert listed(app) == ["rest-down"]


def test_a_message_that_cannot_be_written_is_skipped_not_retried_for_ever(
        app: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A message the summariser cannot read (a timestamp no date has) or the database refuses
    (a conversation id longer than its column, on PostgreSQL): logged and skipped; the
    others of its batch are written and the queue goes on."""
    monkeypatch.setattr(amqp.time, "sleep", lambda seconds: pytest.fail("retried"))
    bodies = [*_bodies("rest-good"),
              json.dumps({"sender_id": "rest-odd", "event": "user", "timestamp": 1e300,
                          "text": "x"}).encode(),
              json.dumps({"sender_id": "rest-" + "x" * 300, "event": "user",
                          "timestamp": NOW, "text": "x"}).encode()]
    channel = FakeChannel(bodies)
    assert amqp.consume(channel, "q", app, KEY, once=True) == len(bodies)
    assert channel.acked == [len(bodies)] and channel.slept == []
    shown = listed(app)
    assert "rest-good" in shown and "rest-odd" not in shown
    if app.dialect.name == "postgresql":
        assert shown == ["rest-good"]
    assert "skipped a message" in caplog.text
    with Session(app) as session:
        row = session.get(ConversationSummary, "rest-good")
        assert row is not None and (row.user_turns, row.recommendations) == (1, 1)


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_the_batch_is_at_least_one_event(value: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--database", f"sqlite:///{tmp_path / 'kb.sqlite'}", "events", "consume",
                  "--once", "--batch", value])
    assert exited.value.code == 2 and "--batch" in capsys.readouterr().err


def test_summaries_written_without_a_key_get_their_pseudonym_once_there_is_one(
        urls: tuple[str, str], app: Engine) -> None:
    tracker_url, _ = urls
    consumer.catch_up(tracker_url, app, None)
    with Session(app) as session:
        assert set(session.scalars(select(ConversationSummary.ref))) == {None}
    # A later turn of one conversation, read with a key: that one gets it at once...
    add_events(tracker_url, [_event("telegram-1", "user", NOW - 1, text="encore")])
    consumer.catch_up(tracker_url, app, KEY)
    with Session(app) as session:
        assert session.scalars(select(ConversationSummary.ref).where(
            ConversationSummary.sender_id == "telegram-1")).one() == \
            conversation_ref("telegram-1", KEY)
    # ... and the others when the consumer starts with one (`events consume`, `run`).
    assert consumer.fill_refs(app, KEY) == 2
    assert consumer.fill_refs(app, None) == consumer.fill_refs(app, KEY) == 0
    with Session(app) as session:
        assert {r.sender_id: r.ref for r in session.scalars(select(ConversationSummary))} == {
            s: conversation_ref(s, KEY) for s in ("telegram-1", WEB, "old-one")}


def test_the_consumer_reads_the_key_that_pathfinder_run_keeps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.events.cli import ref_key
    from bot.stack import StackConfig, secret_key_for

    assert ref_key(tmp_path) == KEY  # PATHFINDER_SECRET_KEY first
    monkeypatch.delenv("PATHFINDER_SECRET_KEY")
    assert ref_key(tmp_path) is None  # none yet: not made here
    config = StackConfig(root=tmp_path, tracker_db=tmp_path / "tracker.db")
    made = secret_key_for(config)  # what `pathfinder run` makes once
    assert ref_key(tmp_path) == made.encode()


def test_a_purge_waits_for_the_consumer_batch_in_progress(tmp_path: Path) -> None:
    """On PostgreSQL a consumer batch that read a conversation's events before the purge
    deleted them, and writes after the purge's update of the summaries began, would write
    the purged conversation back: the purge takes the feed's row first."""
    import threading

    with postgres_schema("events_purge_t") as tracker_url, \
            postgres_schema("events_purge_a") as app_url:
        fill(tracker_url)
        app = make_engine(app_url)
        migrate(app)
        try:
            tracker = read_only_engine(tracker_url)
            with app.connect() as connection, connection.begin():
                # A batch in progress: the feed's row held, the events read, not yet written.
                consumer.lock_feed(connection, consumer.TRACKER_FEED)
                with tracker.connect() as source:
                    rows = list(source.execute(select(EVENTS.c.id, EVENTS.c.sender_id,
                                                      EVENTS.c.data).order_by(EVENTS.c.id)))
                cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=30)
                from bot.console.conversations import purge_events
                assert purge_events(tracker_url, cutoff)[0] == 7  # old-one's events
                purge = threading.Thread(target=consumer.after_purge, args=(
                    tracker_url, app, cutoff.replace(tzinfo=dt.UTC).timestamp(), KEY))
                purge.start()
                purge.join(1.0)
                assert purge.is_alive()  # waiting for the batch
                consumer.write_batch(connection, consumer.tracker_events(rows), KEY)
            purge.join(30)
            assert not purge.is_alive()
            assert set(listed(app)) == {"telegram-1", WEB}
            with Session(app) as session:
                assert session.scalar(select(func.count()).select_from(
                    ConversationCount).where(ConversationCount.count < 0)) == 0
                assert figures_of(session, None).total("conversations") == 2
        finally:
            app.dispose()
            read_only_engine(tracker_url).dispose()
