"""The events consumer's feeds and its one way of writing.

``write_batch`` applies events (in order) to the summaries of their conversations and the
analytics counts, in the caller's transaction on the app database (knowledge.models): each
summary's ``last_event_id`` makes an event already applied a no-op, and the counts change by
the difference between what each summary stood for before and after (``contribution``), so
counting is never doubled whichever feed gave the events.

Feeds:

- the tracker store (``tail_once``, ``follow``): Rasa's ``events`` table read by id, after
  the position stored in ``event_feed_positions`` (feed "tracker"), which is moved in the
  same transaction as the summaries: stopped and started again, it goes on where it was;
- RabbitMQ (``consume_queue``): the messages Rasa's Pika event broker publishes (each one an
  event's ``as_dict()`` with its ``sender_id``), acknowledged once written; a message
  delivered again is recognised by its fingerprint among the conversation's latest ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from bot.console.conversations import EVENTS, read_only_engine
from bot.events.summary import CountKey, Summary, apply, contribution
from knowledge.models import ConversationCount, ConversationSummary, EventFeedPosition, utc_naive
from knowledge.referrals import conversation_ref

logger = logging.getLogger(__name__)
TRACKER_FEED = "tracker"
BATCH_EVENTS = 2000
IDLE_S = 1.0
ERROR_WAIT_S = 5.0
# Fingerprints of a conversation's latest queue events kept to recognise a redelivery.
RECENT_FINGERPRINTS = 64
SENDERS_PER_QUERY = 500


@dataclass(frozen=True)
class Event:
    """One event for the summariser: its conversation, its id in the tracker store (None
    from the queue) and its ``as_dict()`` form."""

    sender_id: str
    data: dict[str, Any]
    event_id: int | None = None


def tracker_events(rows: Iterable[Any]) -> list[Event]:
    """Rows of the tracker store's ``events`` table as events; a row whose data is not a
    JSON object is skipped (nothing Rasa wrote, nothing to count)."""
    events = []
    for row in rows:
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            continue
        if isinstance(data, dict):
            events.append(Event(row.sender_id, data, int(row.id)))
    return events


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode(),
                        usedforsecurity=False).hexdigest()[:16]


def _summary(row: Any) -> Summary:
    state = row.state or {}
    return Summary(
        sender_id=row.sender_id, language=row.language, first_ts=row.first_ts,
        last_ts=row.last_ts, user_turns=row.user_turns, recommendations=row.recommendations,
        confidences=list(row.confidences or []), first_message=row.first_message,
        search_text=row.search_text, occupations=list(row.occupations or []),
        skills=list(row.skills or []), helpful_yes=row.helpful_yes,
        helpful_no=row.helpful_no, rec_weeks=dict(state.get("rec_weeks") or {}),
        turn_ts=state.get("turn_ts"), last_event_id=row.last_event_id)


def _insert(connection: Connection, table: Any) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def write_batch(connection: Connection, events: Iterable[Event],
                ref_key: bytes | None = None) -> int:
    """Apply ``events`` (in order) to the summaries and counts, in ``connection``'s
    transaction; returns how many were new (the others had been applied already)."""
    by_sender: dict[str, list[Event]] = {}
    for event in events:
        by_sender.setdefault(event.sender_id, []).append(event)
    if not by_sender:
        return 0
    table = ConversationSummary.__table__
    senders = list(by_sender)
    existing: dict[str, tuple[Summary, list[str]]] = {}
    for start in range(0, len(senders), SENDERS_PER_QUERY):
        chunk = senders[start:start + SENDERS_PER_QUERY]
        for row in connection.execute(select(table).where(table.c.sender_id.in_(chunk))):
            summary = _summary(row)
            existing[row.sender_id] = (summary, list((row.state or {}).get("recent") or []))
    delta: Counter[CountKey] = Counter()
    rows: list[dict[str, Any]] = []
    applied = 0
    now = utc_naive()
    for sender, items in by_sender.items():
        if sender in existing:
            summary, recent = existing[sender]
            before = contribution(summary)
            ref = None
        else:
            summary, recent, before = Summary(sender), [], Counter()
            ref = conversation_ref(sender, ref_key) if ref_key else None
        changed = False
        for event in items:
            if event.event_id is not None:
                if event.event_id <= summary.last_event_id:
                    continue
                summary.last_event_id = event.event_id
            else:
                mark = fingerprint(event.data)
                if mark in recent:
                    continue
                recent = [*recent, mark][-RECENT_FINGERPRINTS:]
            apply(summary, event.data)
            applied += 1
            changed = True
        if not changed or summary.first_ts is None or summary.last_ts is None:
            continue
        delta.update(contribution(summary))
        delta.subtract(before)
        values: dict[str, Any] = {
            "sender_id": sender, "channel": summary.channel, "language": summary.language,
            "first_ts": summary.first_ts, "last_ts": summary.last_ts,
            "user_turns": summary.user_turns, "recommendations": summary.recommendations,
            "min_confidence": summary.min_confidence, "confidences": summary.confidences,
            "first_message": summary.first_message, "search_text": summary.search_text,
            "occupations": summary.occupations, "skills": summary.skills,
            "helpful_yes": summary.helpful_yes, "helpful_no": summary.helpful_no,
            "last_event_id": summary.last_event_id, "updated_at": now,
            "state": {"rec_weeks": summary.rec_weeks, "turn_ts": summary.turn_ts,
                      **({"recent": recent} if recent else {})}}
        if sender not in existing:
            values["ref"] = ref
        rows.append(values)
    new = [r for r in rows if "ref" in r]
    old = [r for r in rows if "ref" not in r]
    if new:
        connection.execute(_insert(connection, table), new)
    if old:
        statement = _insert(connection, table)
        columns = [c for c in old[0] if c != "sender_id"]
        connection.execute(statement.on_conflict_do_update(
            index_elements=["sender_id"],
            set_={c: getattr(statement.excluded, c) for c in columns}), old)
    counts = [{"metric": k[0], "week": k[1], "active_week": k[2], "channel": k[3],
               "language": k[4], "value": k[5], "count": n} for k, n in delta.items() if n]
    if counts:
        count_table = ConversationCount.__table__
        statement = _insert(connection, count_table)
        connection.execute(statement.on_conflict_do_update(
            index_elements=["metric", "week", "active_week", "channel", "language", "value"],
            set_={"count": count_table.c.count + statement.excluded.count}), counts)
    return applied


# --- the tracker store's feed ----------------------------------------------------------------

def _position(connection: Connection, feed: str) -> int:
    """The feed's stored position, locked until the transaction ends (PostgreSQL: a second
    consumer waits here instead of applying the same events)."""
    table = EventFeedPosition.__table__
    connection.execute(_insert(connection, table).values(
        feed=feed, position=0, updated_at=utc_naive()).on_conflict_do_nothing())
    query = select(table.c.position).where(table.c.feed == feed)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(connection.scalar(query) or 0)


def tail_once(tracker: Engine, app: Engine, ref_key: bytes | None = None,
              batch: int = BATCH_EVENTS) -> int:
    """Read the tracker store's events after the stored position (at most ``batch``), apply
    them and move the position, in one transaction; returns how many were read (0: none yet,
    or no tracker database or events table)."""
    with app.begin() as connection:
        position = _position(connection, TRACKER_FEED)
        query = (select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.data)
                 .where(EVENTS.c.id > position).order_by(EVENTS.c.id).limit(batch))
        try:
            with tracker.connect() as source:
                found = list(source.execute(query))
        except (OperationalError, ProgrammingError):
            return 0  # no tracker database or no events table yet
        if not found:
            return 0
        write_batch(connection, tracker_events(found), ref_key)
        connection.execute(update(EventFeedPosition).where(
            EventFeedPosition.feed == TRACKER_FEED).values(
            position=int(found[-1].id), updated_at=utc_naive()))
    return len(found)


def catch_up(tracker_url: str, app: Engine, ref_key: bytes | None = None,
             batch: int = BATCH_EVENTS) -> int:
    """Apply every event stored so far; returns how many were read."""
    tracker = read_only_engine(tracker_url)
    total = 0
    while n := tail_once(tracker, app, ref_key, batch):
        total += n
    return total


def follow(tracker_url: str, app: Engine, ref_key: bytes | None, stop: threading.Event,
           idle_s: float = IDLE_S, on_read: Callable[[int], None] | None = None) -> None:
    """Tail the tracker store until ``stop`` is set: new events are applied within about
    ``idle_s``. A database that fails (restarted, locked) is tried again after a pause."""
    tracker = read_only_engine(tracker_url)
    while not stop.is_set():
        try:
            n = tail_once(tracker, app, ref_key)
        except SQLAlchemyError as exc:
            # Restarted, locked, or a conversation another consumer wrote meanwhile (the
            # batch is rolled back and read again from the stored position).
            logger.warning("Events consumer: the database failed (%s); trying again in "
                           "%.0f s.", type(exc).__name__, ERROR_WAIT_S)
            stop.wait(ERROR_WAIT_S)
            continue
        if on_read is not None and n:
            on_read(n)
        if n < BATCH_EVENTS:
            stop.wait(idle_s)


def start_thread(tracker_url: str, app_url: str, ref_key: bytes | None,
                 idle_s: float = IDLE_S) -> tuple[threading.Thread, threading.Event]:
    """``follow`` in a daemon thread (``pathfinder run``); set the event to stop it."""
    from knowledge.db import make_engine, migrate

    stop = threading.Event()
    engine = make_engine(app_url)

    def run() -> None:
        try:
            migrate(engine)  # a no-op once the web app has (without one: --no-web)
            follow(tracker_url, engine, ref_key, stop, idle_s)
        except Exception:  # noqa: BLE001 (logged: the console goes stale, the chat goes on)
            logger.exception("The events consumer stopped")
        finally:
            engine.dispose()

    thread = threading.Thread(target=run, name="events-consumer", daemon=True)
    thread.start()
    return thread, stop



# --- after a purge -----------------------------------------------------------------------------

def forget(connection: Connection, senders: Iterable[str]) -> int:
    """Delete these conversations' summaries and take what they counted off the counts;
    returns how many summaries there were."""
    table = ConversationSummary.__table__
    wanted = list(dict.fromkeys(senders))
    delta: Counter[CountKey] = Counter()
    found = 0
    for start in range(0, len(wanted), SENDERS_PER_QUERY):
        chunk = wanted[start:start + SENDERS_PER_QUERY]
        for row in connection.execute(select(table).where(table.c.sender_id.in_(chunk))):
            delta.subtract(contribution(_summary(row)))
            found += 1
        connection.execute(delete(ConversationSummary).where(
            ConversationSummary.sender_id.in_(chunk)))
    c = ConversationCount
    for key, n in delta.items():
        if n:
            metric, week, active_week, channel, language, value = key
            connection.execute(update(c).where(
                c.metric == metric, c.week == week, c.active_week == active_week,
                c.channel == channel, c.language == language, c.value == value,
            ).values(count=c.count + n))
    return found


def after_purge(tracker_url: str, app: Engine, cutoff_ts: float,
                ref_key: bytes | None = None) -> None:
    """Bring the summaries in line with a tracker store from which the events before
    ``cutoff_ts`` were deleted: a conversation with no event left is forgotten, one with some
    left is summarised again from those (its first message may have been deleted)."""
    table = ConversationSummary.__table__
    with app.begin() as connection:
        stale = list(connection.scalars(select(table.c.sender_id).where(
            table.c.first_ts < cutoff_ts)))
        if not stale:
            return
        forget(connection, stale)
        tracker = read_only_engine(tracker_url)
        for start in range(0, len(stale), SENDERS_PER_QUERY):
            chunk = stale[start:start + SENDERS_PER_QUERY]
            query = (select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.data)
                     .where(EVENTS.c.sender_id.in_(chunk)).order_by(EVENTS.c.id))
            try:
                with tracker.connect() as source:
                    rows = list(source.execute(query))
            except (OperationalError, ProgrammingError):
                return
            write_batch(connection, tracker_events(rows), ref_key)
