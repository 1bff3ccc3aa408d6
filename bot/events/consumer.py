"""The events consumer's feeds and its one way of writing.

``write_batch`` applies events (in order) to the summaries of their conversations and the
analytics counts, in the caller's transaction on the app database (knowledge.models): each
summary's ``last_event_id`` makes an event already applied a no-op, and the counts change by
the difference between what each summary stood for before and after (``contribution``), so
counting is never doubled whichever feed gave the events.

Feeds:

- the tracker store (``tail_once``, ``follow``): Rasa's ``events`` table read by id, after
  the position stored in ``event_feed_positions`` (feed "tracker"), which is moved in the
  same transaction as the summaries: stopped and started again, it goes on where it was.
  With several writers (engine replicas on PostgreSQL) an event can commit after events
  with higher ids were read: the last TRAILING_IDS ids before the position are looked at
  again each time (their ids only; the events not seen yet are read), and each summary's
  ``last_event_id`` makes an event of its conversation already applied a no-op. The one
  limit: a late event is applied only if its conversation had no later event applied
  already, which needs two transactions of one conversation at once; Rasa's lock store
  makes a conversation's turns one after the other (a RedisLockStore shared by the
  replicas: what Rasa needs for their trackers to be right anyway);
- RabbitMQ (bot/events/amqp.py): the messages Rasa's Pika event broker publishes (each one
  an event's ``as_dict()`` with its ``sender_id``), acknowledged once written; a message
  delivered again is recognised by its fingerprint: a conversation keeps those of its
  events in the latest batch that wrote it (a whole batch is what comes again) and a few
  before. One consumer per queue: the summariser needs a conversation's events in order.

A purge (``after_purge``) holds the feeds' rows in ``event_feed_positions`` (PostgreSQL:
``SELECT ... FOR UPDATE``) while it forgets conversations; the tracker feed and the queue
take theirs for each batch, so no batch read before the purge writes a purged conversation
back.
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

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from bot.console.conversations import EVENTS, read_only_engine
from bot.events.summary import CountKey, Summary, apply, contribution
from knowledge.models import ConversationCount, ConversationSummary, EventFeedPosition, utc_naive
from knowledge.referrals import conversation_ref

logger = logging.getLogger(__name__)
TRACKER_FEED = "tracker"
QUEUE_FEED = "queue"  # its row holds no position, only the lock a purge waits for
BATCH_EVENTS = 2000
IDLE_S = 1.0
ERROR_WAIT_S = 5.0
# The fingerprints a conversation keeps of its queue events, to recognise a redelivery: those
# of its events in the latest batch that wrote it, whatever their number (a consumer that
# stopped after writing a batch but before acknowledging it is given that batch again),
# and RECENT_FINGERPRINTS before them.
RECENT_FINGERPRINTS = 64
# Ids before the tracker feed's position looked at again (see the module's docstring): at
# the engine's busiest (50 events a second), 20 seconds for a transaction to commit.
TRAILING_IDS = 1000
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
        confidences=sorted(row.confidences or []), first_message=row.first_message,
        search_text=row.search_text, occupations=list(row.occupations or []),
        skills=list(row.skills or []), helpful_yes=row.helpful_yes,
        helpful_no=row.helpful_no, rec_weeks=dict(state.get("rec_weeks") or {}),
        turn_ts=state.get("turn_ts"), last_event_id=row.last_event_id,
        search_head=state.get("search_head"))


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
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    applied = 0
    now = utc_naive()
    for sender, items in by_sender.items():
        if sender in existing:
            summary, marks = existing[sender]
            before = contribution(summary)
        else:
            summary, marks, before = Summary(sender), [], Counter()
        recent = dict.fromkeys(marks)  # in order, the newest last
        in_batch = 0
        changed = False
        for event in items:
            if event.event_id is not None:
                if event.event_id <= summary.last_event_id:
                    continue
                summary.last_event_id = event.event_id
            else:
                mark = fingerprint(event.data)
                known = mark in recent
                recent.pop(mark, None)
                recent[mark] = None  # the newest now: every mark of the batch is kept
                in_batch += 1
                if known:
                    continue
            apply(summary, event.data)
            applied += 1
            changed = True
        if not changed or summary.first_ts is None or summary.last_ts is None:
            continue
        delta.update(contribution(summary))
        delta.subtract(before)
        kept = list(recent)[-(in_batch + RECENT_FINGERPRINTS):]
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
                      **({"search_head": summary.search_head}
                         if summary.search_head is not None else {}),
                      **({"recent": kept} if kept else {})}}
        # Without a key, a summary keeps the pseudonym it has (fill_refs gives the missing
        # ones once there is a key).
        if ref_key:
            values["ref"] = conversation_ref(sender, ref_key)
        if sender in existing:
            old.append(values)
        else:
            new.append({"ref": None, **values})
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
    consumer, or a purge, waits here instead of writing the same conversations)."""
    table = EventFeedPosition.__table__
    connection.execute(_insert(connection, table).values(
        feed=feed, position=0, updated_at=utc_naive()).on_conflict_do_nothing())
    query = select(table.c.position).where(table.c.feed == feed)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(connection.scalar(query) or 0)


def lock_feed(connection: Connection, feed: str) -> None:
    """Hold the feed's row until the transaction ends (the queue's batches: see
    ``after_purge``)."""
    _position(connection, feed)


def _lock_feeds(connection: Connection) -> None:
    # Always in this order (the consumers take one each): no deadlock.
    for feed in (TRACKER_FEED, QUEUE_FEED):
        _position(connection, feed)


def tail_once(tracker: Engine, app: Engine, ref_key: bytes | None = None,
              batch: int = BATCH_EVENTS, seen: set[int] | None = None) -> int:
    """Read the tracker store's events after the stored position (at most ``batch``) and
    those of the last TRAILING_IDS ids before it not in ``seen`` (the ids read already,
    kept up to date here: the caller keeps it from one call to the next), apply them and
    move the position, in one transaction; returns how many events were read after the
    position, and applied from before it (0: none yet, or no tracker database or events
    table)."""
    seen = seen if seen is not None else set()
    columns = (EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.data)
    with app.begin() as connection:
        position = _position(connection, TRACKER_FEED)
        try:
            with tracker.connect() as source:
                trailing = [i for i in source.scalars(select(EVENTS.c.id).where(
                    EVENTS.c.id > position - TRAILING_IDS, EVENTS.c.id <= position))
                    if i not in seen]
                late = list(source.execute(select(*columns).where(
                    EVENTS.c.id.in_(trailing)).order_by(EVENTS.c.id))) if trailing else []
                found = list(source.execute(select(*columns).where(EVENTS.c.id > position)
                                            .order_by(EVENTS.c.id).limit(batch)))
        except (OperationalError, ProgrammingError):
            return 0  # no tracker database or no events table yet
        # The late ones first: their ids are lower (each conversation's events in id order).
        late_applied = write_batch(connection, tracker_events(late), ref_key) if late else 0
        if found:
            write_batch(connection, tracker_events(found), ref_key)
            position = int(found[-1].id)
            connection.execute(update(EventFeedPosition).where(
                EventFeedPosition.feed == TRACKER_FEED).values(
                position=position, updated_at=utc_naive()))
    seen.update(row.id for row in late)
    seen.update(row.id for row in found)
    seen.difference_update([i for i in seen if i <= position - TRAILING_IDS])
    return len(found) + late_applied


def catch_up(tracker_url: str, app: Engine, ref_key: bytes | None = None,
             batch: int = BATCH_EVENTS) -> int:
    """Apply every event stored so far; returns how many were read."""
    tracker = read_only_engine(tracker_url)
    seen: set[int] = set()
    total = 0
    while n := tail_once(tracker, app, ref_key, batch, seen):
        total += n
    return total


def follow(tracker_url: str, app: Engine, ref_key: bytes | None, stop: threading.Event,
           idle_s: float = IDLE_S, on_read: Callable[[int], None] | None = None,
           batch: int = BATCH_EVENTS) -> None:
    """Tail the tracker store until ``stop`` is set: new events are applied within about
    ``idle_s``. A database that fails (restarted, locked) is tried again after a pause."""
    tracker = read_only_engine(tracker_url)
    seen: set[int] = set()
    while not stop.is_set():
        try:
            n = tail_once(tracker, app, ref_key, batch, seen)
        except SQLAlchemyError as exc:
            # Restarted, locked, or a conversation another consumer wrote meanwhile (the
            # batch is rolled back and read again from the stored position).
            logger.warning("Events consumer: the database failed (%s); trying again in "
                           "%.0f s.", type(exc).__name__, ERROR_WAIT_S)
            stop.wait(ERROR_WAIT_S)
            continue
        if on_read is not None and n:
            on_read(n)
        if n < batch:
            stop.wait(idle_s)


def fill_refs(app: Engine, ref_key: bytes | None) -> int:
    """Give their pseudonym (``ref``) to the summaries written while there was no key, so
    that the clicks of those conversations count under their language once there is one;
    returns how many. Each write with a key sets it too."""
    if not ref_key:
        return 0
    table = ConversationSummary.__table__
    missing = select(table.c.sender_id).where(table.c.ref.is_(None))
    statement = update(ConversationSummary).where(
        ConversationSummary.sender_id == bindparam("b_sender")).values(ref=bindparam("b_ref"))
    with app.connect() as connection:
        if connection.scalar(missing.limit(1)) is None:
            return 0  # the usual case: nothing to do, no lock taken
    with app.begin() as connection:
        _lock_feeds(connection)  # not at the same time as a batch that writes them
        senders = list(connection.scalars(missing))
        for start in range(0, len(senders), SENDERS_PER_QUERY):
            connection.execute(statement, [
                {"b_sender": sender, "b_ref": conversation_ref(sender, ref_key)}
                for sender in senders[start:start + SENDERS_PER_QUERY]])
    return len(senders)


def start_thread(tracker_url: str, app_url: str, ref_key: bytes | None,
                 idle_s: float = IDLE_S) -> tuple[threading.Thread, threading.Event]:
    """``follow`` in a daemon thread (``pathfinder run``); set the event to stop it."""
    from knowledge.db import make_engine, migrate

    stop = threading.Event()
    engine = make_engine(app_url)

    def run() -> None:
        try:
            migrate(engine)  # a no-op once the web app has (without one: --no-web)
            fill_refs(engine, ref_key)
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
        # A consumer's batch in progress ends first, and the next one waits: neither writes
        # back a conversation forgotten here from events it read before the purge.
        _lock_feeds(connection)
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
