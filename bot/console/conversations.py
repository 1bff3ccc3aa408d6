"""Conversations as Rasa's SQL tracker store keeps them (table ``events``), read-only, with
SQLAlchemy Core: SQLite (``var/tracker.db``) or PostgreSQL, from PATHFINDER_TRACKER_DB_URL.

Every text is redacted again (bot/engine/redaction.py) before it reaches a page or an
export: conversations stored before redaction existed, or by another tracker store, are
shown without the identifiers too. Conversations are built as stored; ``page``,
``conversation`` and ``user_messages`` return them redacted (``Conversation.redact``), and
``activity`` as stored (for counting: no text is shown).

The console reads one conversation here (its transcript, ``conversation``; the NLU export,
``user_messages``); its list, filters, search and analytics read the summaries the events
consumer keeps (bot/console/summaries.py). ``page`` and ``activity`` are the reading the
console made before, every conversation of the period rebuilt from its events: kept only as
the reference the summaries are checked against (tests/test_events.py, tests/
test_referrals.py) and as bench/console.py's baseline.

A conversation is one Rasa sender id; its channel comes from the id's prefix
(connectors/senders.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.sql.elements import ColumnElement

from bot.engine.redaction import redact
from connectors.senders import CHANNEL_PREFIXES, REST, channel_of

# Rasa 3.6's SQLTrackerStore.SQLEvent, as Core (we never write through it but to purge).
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
FALLBACK_INTENT = "nlu_fallback"
# The domain's initial value of the `language` slot: a conversation that never set it.
DEFAULT_LANGUAGE = "en"
SHOWN_SLOTS = ("language", "job_title", "target_job", "skill", "current_noc", "target_noc",
               "goal", "constraints", "helpful")
# Event types a transcript reads; the others (user_featurization, ...) are Rasa bookkeeping.
READ_TYPES = ("user", "bot", "action", "slot", "session_started", "restart")
TRANSCRIPT_EVENTS = EVENTS.c.type_name.in_(READ_TYPES)
# The slots the analytics count (language, occupations, skills, "was this helpful?"): Rasa
# stores a slot event's name in the ``action_name`` column, so the others are never read.
COUNTED_SLOTS = ("language", "current_noc", "target_noc", "noc", "skill", "helpful")
# What the analytics read, chosen by the columns: user messages and session starts (turns),
# bot messages (recommendations) and the counted slots; not the actions nor other slots.
COUNTED_EVENTS = or_(
    EVENTS.c.type_name.in_(("user", "bot", "session_started", "restart")),
    and_(EVENTS.c.type_name == "slot", EVENTS.c.action_name.in_(COUNTED_SLOTS)))


# Per process, and safe so: an engine is a connection pool, it caches no rows; every replica
# reads the same tracker store through its own.
@lru_cache(maxsize=4)
def read_only_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, PostgreSQL sessions set to
    read-only transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true",
                             connect_args={"check_same_thread": False})
    engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()

    return engine


def _time(timestamp: float | None) -> dt.datetime | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def _one_line(value: Any) -> str:
    """A slot value or entity value as text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class BotReply:
    text: str | None
    buttons: list[str] = field(default_factory=list)


@dataclass
class Recommendation:
    occupation: str | None
    target_occupation: str | None
    programs: list[str]  # "title — institution"


@dataclass
class Turn:
    """A user message and what the assistant did about it; the opening turn of a session has
    no user message (event_id None)."""

    event_id: int | None
    time: dt.datetime | None
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    best_guess: tuple[str, float] | None = None  # the top real intent behind nlu_fallback
    entities: list[tuple[str, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    replies: list[BotReply] = field(default_factory=list)
    # Program lists that fit what the learner asked; `closest`: offered when none did.
    recommendations: list[Recommendation] = field(default_factory=list)
    closest: list[Recommendation] = field(default_factory=list)
    slots: list[tuple[str, str]] = field(default_factory=list)

    def is_low_confidence(self, threshold: float) -> bool:
        if self.event_id is None:
            return False
        return self.intent == FALLBACK_INTENT or (self.confidence or 0.0) < threshold

    def redact(self) -> None:
        """Redact its texts, in place."""
        if self.text:
            self.text = redact(self.text)
        self.entities = [(name, redact(value)) for name, value in self.entities]
        for reply in self.replies:
            reply.text = redact(reply.text) if reply.text else reply.text
            reply.buttons = [redact(b) for b in reply.buttons]
        self.slots = [(name, redact(value)) for name, value in self.slots]


@dataclass
class Conversation:
    sender_id: str
    turns: list[Turn] = field(default_factory=list)
    language: str = DEFAULT_LANGUAGE
    started: dt.datetime | None = None
    last: dt.datetime | None = None
    # Values of the slots and entities analytics count (occupations and skills asked about).
    nocs: set[str] = field(default_factory=set)
    skills: set[str] = field(default_factory=set)
    helpful: list[bool] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return channel_of(self.sender_id)

    @property
    def user_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.event_id is not None]

    @property
    def recommendation_count(self) -> int:
        return sum(len(t.recommendations) for t in self.turns)

    def low_confidence_turns(self, threshold: float) -> list[Turn]:
        return [t for t in self.turns if t.is_low_confidence(threshold)]

    @property
    def first_message(self) -> str:
        return next((t.text for t in self.user_turns if t.text), "")

    def redact(self) -> Conversation:
        """Redact its texts, in place (it was just read from the store), and return it: what a
        page or an export may show."""
        for turn in self.turns:
            turn.redact()
        self.nocs = {redact(n) for n in self.nocs}
        self.skills = {redact(s) for s in self.skills}
        return self

    def mentions(self, query: str) -> bool:
        """Whether a user or bot text contains ``query`` as shown (redacted): searching for an
        address finds nothing, as on the pages."""
        wanted = query.casefold()
        for turn in self.turns:
            texts = [turn.text or ""] + [r.text or "" for r in turn.replies]
            if any(wanted in redact(text).casefold() for text in texts):
                return True
        return False


def build_conversation(sender_id: str, rows: Iterable[Any]) -> Conversation:
    """A conversation from its event rows (id, type_name, timestamp, data), in id order."""
    conversation = Conversation(sender_id)
    turn: Turn | None = None
    for row in rows:
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            continue
        when = _time(row.timestamp)
        conversation.started = conversation.started or when
        conversation.last = when or conversation.last
        kind = row.type_name
        if kind == "user":
            turn = _user_turn(row.id, when, data)
            conversation.turns.append(turn)
            conversation.skills.update(v for e, v in turn.entities if e == "skill")
            continue
        if turn is None or kind in ("session_started", "restart"):
            turn = Turn(event_id=None, time=when)
            conversation.turns.append(turn)
        if kind == "action":
            name = data.get("name")
            if name and name != "action_listen":
                turn.actions.append(str(name))
        elif kind == "bot":
            _add_bot_message(turn, data)
        elif kind == "slot":
            _add_slot(conversation, turn, data)
    # Opening turns with nothing to show (session start bookkeeping only) are dropped.
    conversation.turns = [t for t in conversation.turns
                          if t.event_id is not None or t.replies or t.recommendations
                          or t.closest]
    return conversation


def _user_turn(event_id: int, when: dt.datetime | None, data: dict[str, Any]) -> Turn:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    turn = Turn(event_id=event_id, time=when, text=str(data.get("text") or ""),
                intent=intent.get("name"), confidence=intent.get("confidence"))
    if turn.intent == FALLBACK_INTENT:
        ranking = [r for r in parse.get("intent_ranking") or []
                   if r.get("name") != FALLBACK_INTENT]
        if ranking:
            turn.best_guess = (str(ranking[0].get("name")),
                               float(ranking[0].get("confidence") or 0.0))
    for entity in parse.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity"):
            turn.entities.append((str(entity["entity"]), _one_line(entity.get("value"))))
    return turn


def _add_bot_message(turn: Turn, data: dict[str, Any]) -> None:
    payload = data.get("data") or {}
    custom = payload.get("custom")
    if isinstance(custom, dict) and custom.get("type") == "recommendations":
        # Only a list that fits counts as a recommendation (analytics, filters); when none
        # fits, the closest programs offered ("alternatives") are shown apart.
        for key, shown in (("programs", turn.recommendations), ("alternatives", turn.closest)):
            programs = [f"{p.get('title')} — {p.get('institution')}"
                        for p in custom.get(key) or [] if isinstance(p, dict)]
            if programs:
                shown.append(Recommendation(
                    occupation=(custom.get("occupation") or {}).get("title"),
                    target_occupation=(custom.get("target_occupation") or {}).get("title"),
                    programs=programs))
    text = data.get("text")
    buttons = [str(b.get("title")) for b in payload.get("buttons") or []
               if isinstance(b, dict)]
    if text or buttons:
        turn.replies.append(BotReply(text or None, buttons))


def _add_slot(conversation: Conversation, turn: Turn, data: dict[str, Any]) -> None:
    name, value = data.get("name"), data.get("value")
    if name == "language" and isinstance(value, str):
        conversation.language = value
    if name in ("current_noc", "target_noc", "noc") and isinstance(value, str):
        conversation.nocs.add(value)
    if name == "skill" and isinstance(value, str):
        conversation.skills.add(value)
    if name == "helpful" and value in ("yes", "no"):  # "Is this list helpful?" (domain.yml)
        conversation.helpful.append(value == "yes")
    if name in SHOWN_SLOTS and value not in (None, {}, []):
        turn.slots.append((str(name), _one_line(value)))


@dataclass
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    channel: str | None = None
    language: str | None = None
    low_confidence: bool = False
    no_recommendation: bool = False
    flagged: bool = False
    query: str = ""


class TrackerStore:
    """Read access to Rasa's events table: a conversation's transcript and messages for the
    console; ``page`` and ``activity``, the reference reading (see the module's docstring),
    for tests and the bench only."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = read_only_engine(url)

    def _sender_ids(self, filters: Filters) -> list[str]:
        last = func.max(EVENTS.c.timestamp)
        first = func.min(EVENTS.c.timestamp)
        query = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
        if filters.date_from is not None:
            start = dt.datetime.combine(filters.date_from, dt.time(), dt.UTC).timestamp()
            query = query.having(last >= start)
        if filters.date_to is not None:
            end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(),
                                      dt.UTC).timestamp()
            query = query.having(first < end)
        # The prefixes hold no LIKE wildcard (% or _).
        if filters.channel in CHANNEL_PREFIXES:
            prefix = CHANNEL_PREFIXES[filters.channel]
            query = query.where(EVENTS.c.sender_id.like(prefix + "%"))
        elif filters.channel == REST:
            query = query.where(and_(*(not_(EVENTS.c.sender_id.like(prefix + "%"))
                                       for prefix in CHANNEL_PREFIXES.values())))
        query = query.order_by(last.desc())
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def _stored(self, sender_ids: list[str],
                events: ColumnElement[bool] = TRANSCRIPT_EVENTS,
                ) -> Iterator[Conversation]:
        """The conversations of these senders, in the order given, as stored: built from the
        ``events`` chosen (all a transcript shows, by default)."""
        for start in range(0, len(sender_ids), 200):
            chunk = sender_ids[start:start + 200]
            query = (select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name,
                            EVENTS.c.timestamp, EVENTS.c.data)
                     .where(EVENTS.c.sender_id.in_(chunk), events)
                     .order_by(EVENTS.c.id))
            by_sender: dict[str, list[Any]] = {sender: [] for sender in chunk}
            with self.engine.connect() as connection:
                for row in connection.execute(query):
                    by_sender[row.sender_id].append(row)
            for sender in chunk:
                if by_sender[sender]:
                    yield build_conversation(sender, by_sender[sender])

    def _matching(self, filters: Filters, flagged: set[str], threshold: float,
                  events: ColumnElement[bool] = TRANSCRIPT_EVENTS,
                  ) -> list[Conversation]:
        """Conversations matching every filter, as stored (not redacted)."""
        try:
            senders = self._sender_ids(filters)
        except (OperationalError, ProgrammingError):
            return []  # no tracker database or no events table yet: no conversations
        if filters.flagged:
            senders = [s for s in senders if s in flagged]
        found = []
        for conversation in self._stored(senders, events):
            if filters.language and conversation.language != filters.language:
                continue
            if filters.low_confidence and not conversation.low_confidence_turns(threshold):
                continue
            if filters.no_recommendation and conversation.recommendation_count:
                continue
            if filters.query and not conversation.mentions(filters.query):
                continue
            found.append(conversation)
        return found

    def activity(self, since: dt.date) -> list[Conversation]:
        """The conversations active since that day for the analytics, which count events and
        show no text: built from the counted events only (no action, no other slot), as
        stored (texts NOT redacted). Never display them."""
        return self._matching(Filters(date_from=since), set(), 0.0, COUNTED_EVENTS)

    def page(self, filters: Filters, flagged: set[str], threshold: float, offset: int,
             limit: int) -> tuple[int, list[Conversation]]:
        """How many conversations match, and those from ``offset`` to ``offset + limit``,
        redacted, the most recently active first (the reference for SummaryStore.page).
        ``flagged``: the sender ids with a flagged turn (they live in the app database).
        Without a filter on their content, only the page's conversations are read."""
        if filters.language or filters.low_confidence or filters.no_recommendation \
                or filters.query:
            found = self._matching(filters, flagged, threshold)
            return len(found), [c.redact() for c in found[offset:offset + limit]]
        try:
            senders = self._sender_ids(filters)
            if filters.flagged:
                senders = [s for s in senders if s in flagged]
            return len(senders), [c.redact() for c in
                                  self._stored(senders[offset:offset + limit])]
        except (OperationalError, ProgrammingError):
            return 0, []

    def conversation(self, sender_id: str) -> Conversation | None:
        """One conversation, redacted."""
        try:
            found = next(self._stored([sender_id]), None)
        except (OperationalError, ProgrammingError):
            return None
        return found.redact() if found else None

    def user_messages(self, event_ids: list[int]) -> dict[int, str]:
        """Redacted texts of these user events (others are left out)."""
        query = select(EVENTS.c.id, EVENTS.c.data).where(
            EVENTS.c.id.in_(event_ids), EVENTS.c.type_name == "user")
        with self.engine.connect() as connection:
            rows = list(connection.execute(query))
        texts = {}
        for row in rows:
            try:
                text = json.loads(row.data).get("text")
            except ValueError:
                continue
            if isinstance(text, str) and text.strip():
                texts[row.id] = redact(text)
        return texts


def purge_events(url: str, older_than: dt.datetime) -> tuple[int, list[tuple[str, int]]]:
    """Delete tracker events older than ``older_than`` (naive UTC). Returns how many, and the
    (sender id, event id) of the user messages among them, whose flags and notes go too.
    Rasa rebuilds a conversation from the events that remain (or starts a new one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return 0, []  # no conversation was ever stored (and SQLite would create the file)
    engine = create_engine(url)
    cutoff = EVENTS.c.timestamp < older_than.replace(tzinfo=dt.UTC).timestamp()
    try:
        with engine.begin() as connection:
            messages = [(row.sender_id, row.id) for row in connection.execute(
                select(EVENTS.c.sender_id, EVENTS.c.id).where(
                    cutoff, EVENTS.c.type_name == "user"))]
            result = connection.execute(delete(EVENTS).where(cutoff))
        return int(result.rowcount or 0), messages
    except (OperationalError, ProgrammingError):
        return 0, []  # no tracker database or no events table: nothing to purge
    finally:
        engine.dispose()
