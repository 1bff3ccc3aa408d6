"""The console's list, filters and search, read from the conversation summaries that the
events consumer keeps (knowledge.models.ConversationSummary, bot/events/): one indexed row
per conversation instead of every event of the period. Same filters and same order as
``TrackerStore.page`` (bot/console/conversations.py: the reading from every event, kept as the
reference tests/test_events.py checks these against; the tracker store is still read for one
conversation's transcript). Every text here was redacted before it was stored. A very long
conversation's summary is bounded (bot/events/summary.py): its search text keeps its first and
its latest texts, and its low-confidence turns are counted up to CONFIDENCES_KEPT.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.console.conversations import Filters
from connectors.senders import CHANNEL_PREFIXES, REST
from knowledge.models import ConversationCount, ConversationSummary, Referral, TurnAnnotation

S = ConversationSummary
COUNTED = ("conversations", "recommendations", "helpful_yes", "helpful_no")


@dataclass(frozen=True)
class Listed:
    """A conversation as the list shows it."""

    sender_id: str
    channel: str
    language: str
    last: dt.datetime
    turns: int
    # User turns below the threshold, or nlu_fallback (at most CONFIDENCES_KEPT: summary.py).
    low_confidence: int
    recommendations: int
    first_message: str


def _day_start(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(filters: Filters, threshold: float) -> list[ColumnElement[bool]]:
    """The filters as conditions on the summaries."""
    where: list[ColumnElement[bool]] = []
    if filters.date_from is not None:
        where.append(S.last_ts >= _day_start(filters.date_from))
    if filters.date_to is not None:
        where.append(S.first_ts < _day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.channel in CHANNEL_PREFIXES or filters.channel == REST:
        where.append(S.channel == filters.channel)
    if filters.language:
        where.append(S.language == filters.language)
    if filters.low_confidence:
        where.append(S.min_confidence < threshold)
    if filters.no_recommendation:
        where.append(S.recommendations == 0)
    if filters.flagged:
        where.append(S.sender_id.in_(select(TurnAnnotation.sender_id).where(
            TurnAnnotation.flagged.is_(True))))
    if filters.query:
        # As shown: the summaries hold the texts redacted and case-folded.
        wanted = _like_escaped(filters.query.casefold())
        where.append(S.search_text.like(f"%{wanted}%", escape="\\"))
    return where


def _listed(row: ConversationSummary, threshold: float) -> Listed:
    return Listed(
        sender_id=row.sender_id, channel=row.channel, language=row.language,
        last=dt.datetime.fromtimestamp(row.last_ts, dt.UTC).replace(tzinfo=None),
        turns=row.user_turns,
        low_confidence=sum(1 for c in row.confidences or [] if c < threshold),
        recommendations=row.recommendations, first_message=row.first_message)


@dataclass
class Counts:
    """What the analytics count, read from the counts the events consumer keeps (bot/events/
    summary.py, ``contribution``) for the conversations active in a period: ``rows``
    (metric, week, channel, language, count; a conversation's week is the week it started),
    the occupations and skills most asked about (redacted), and the period's clicks with the
    conversation whose pseudonym they carry, when one was found (clicked at, channel, ref,
    sender id, language)."""

    rows: list[tuple[str, dt.date, str, str, int]] = field(default_factory=list)
    occupations: list[tuple[str, int]] = field(default_factory=list)
    skills: list[tuple[str, int]] = field(default_factory=list)
    clicks: list[tuple[dt.datetime, str, str | None, str | None, str | None]] = field(
        default_factory=list)


class SummaryStore:
    """The console's reads of the summaries and counts, on the app database's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, filters: Filters, threshold: float, offset: int,
             limit: int) -> tuple[int, list[Listed]]:
        """How many conversations match every filter, and those from ``offset`` to
        ``offset + limit``, the most recently active first."""
        where = conditions(filters, threshold)
        total = self.session.scalar(select(func.count()).select_from(S).where(*where)) or 0
        if total <= offset:
            return total, []
        rows = self.session.scalars(select(S).where(*where)
                                    .order_by(S.last_ts.desc(), S.sender_id)
                                    .offset(offset).limit(limit))
        return total, [_listed(row, threshold) for row in rows]

    def activity(self, since: dt.date | None, top: int = 10) -> Counts:
        """The counts of the conversations active since ``since`` (a Monday: the period's
        first week), and the clicks since then."""
        c = ConversationCount
        active = [c.active_week >= since] if since is not None else []
        counts = Counts()
        totals = (select(c.metric, c.week, c.channel, c.language, func.sum(c.count))
                  .where(c.metric.in_(COUNTED), *active)
                  .group_by(c.metric, c.week, c.channel, c.language))
        counts.rows = [(metric, week, channel, language, int(n))
                       for metric, week, channel, language, n in self.session.execute(totals)
                       if n]

        def ranking(metric: str) -> list[tuple[str, int]]:
            n = func.sum(c.count)
            query = (select(c.value, n).where(c.metric == metric, *active).group_by(c.value)
                     .having(n > 0).order_by(n.desc(), c.value).limit(top))
            return [(value, int(count)) for value, count in self.session.execute(query)]

        counts.occupations, counts.skills = ranking("occupation"), ranking("skill")
        joined = and_(S.ref == Referral.conversation, S.ref.is_not(None))
        clicks = select(Referral.clicked_at, Referral.channel, Referral.conversation,
                        S.sender_id, S.language)
        if since is not None:
            joined = and_(joined, S.last_ts >= _day_start(since))
            clicks = clicks.where(Referral.clicked_at >= dt.datetime.combine(since, dt.time()))
        counts.clicks = [tuple(row) for row in self.session.execute(  # type: ignore[misc]
            clicks.outerjoin(S, joined))]
        return counts
