"""Figures for the analytics page and its CSV: conversations, recommendations given,
click-throughs to institutions (knowledge.models.Referral), inquiries and "was this
helpful?" answers when those exist, by ISO week, channel and language; and the occupations
and skills most asked about.

Conversations and recommendations come from the counts the events consumer keeps
(bot/events/; the skills and occupations listed are redacted), clicks and inquiries from the
app database. A click's language is its conversation's, when the link carried the
conversation's pseudonym (knowledge.referrals.conversation_ref: clicks store that, never the
conversation id), found by computing the pseudonym of the conversation it names.

Channels and languages are counted only by the values Pathfinder knows (web, telegram, rest;
en, fr): a slot is whatever a payload said (``/change_language{"language":"..."}``), so
anything else counts as "unknown" rather than becoming a dimension of its own. Every CSV cell
that a spreadsheet would read as a formula is neutralised (see ``csv_cell``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.conversations import Conversation
from bot.console.summaries import Counts
from bot.engine.redaction import redact
from connectors.senders import CHANNELS
from knowledge.inquiries import count_inquiries
from knowledge.language import Lang
from knowledge.models import Occupation, Referral
from knowledge.referrals import conversation_ref
from knowledge.settings import web_settings

UNKNOWN = "unknown"
LANGUAGES: tuple[str, ...] = get_args(Lang)
# What makes a spreadsheet (Excel, LibreOffice, Sheets) read a cell as a formula (OWASP, "CSV
# Injection"): =HYPERLINK(...) in a slot value would become a live link in staff's sheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
METRICS = ("conversations", "recommendations", "clicks", "inquiries", "helpful_yes",
           "helpful_no")
METRIC_LABELS = {
    "conversations": "Conversations", "recommendations": "Recommendations given",
    "clicks": "Click-throughs to institutions", "inquiries": "Inquiries sent",
    "helpful_yes": "\u201cHelpful\u201d answers", "helpful_no": "\u201cNot helpful\u201d answers",
}


def known(value: str | None, allowed: tuple[str, ...]) -> str:
    """The value if it is one of ``allowed``, else "unknown"."""
    return value if value in allowed else UNKNOWN


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: text starting with = + - @, a tab or a carriage
    return gets a leading single quote (OWASP). Numbers stay numbers (a negative count is
    written as a number, not as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def week_of(when: dt.datetime | dt.date) -> dt.date:
    """The Monday of the ISO week."""
    day = when.date() if isinstance(when, dt.datetime) else when
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Analytics:
    # (week, channel, language, metric) -> count
    counts: Counter[tuple[dt.date, str, str, str]] = field(default_factory=Counter)
    occupations: list[tuple[str, int]] = field(default_factory=list)
    skills: list[tuple[str, int]] = field(default_factory=list)
    metrics: tuple[str, ...] = METRICS

    # The weeks of the period asked for (empty ones included), else those with data.
    period: list[dt.date] = field(default_factory=list)

    @property
    def weeks(self) -> list[dt.date]:
        return self.period or sorted({key[0] for key in self.counts})

    def total(self, metric: str) -> int:
        return sum(n for key, n in self.counts.items() if key[3] == metric)

    def by_week(self, metric: str) -> list[tuple[str, int]]:
        totals: Counter[dt.date] = Counter()
        for (week, _c, _l, name), n in self.counts.items():
            if name == metric:
                totals[week] += n
        return [(week.isoformat(), totals[week]) for week in self.weeks]

    def by(self, dimension: int, metric: str) -> list[tuple[str, int]]:
        """Totals of a metric by channel (dimension 1) or language (2), largest first."""
        totals: Counter[str] = Counter()
        for key, n in self.counts.items():
            if key[3] == metric:
                totals[str(key[dimension])] += n
        return totals.most_common()

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        rows: list[list[object]] = [["week", "channel", "language", "metric", "count"]]
        for (week, channel, language, metric), n in sorted(self.counts.items()):
            rows.append([week.isoformat(), channel, language, metric, n])
        for title, n in self.occupations:
            rows.append(["", "", "", "occupation:" + title, n])
        for skill, n in self.skills:
            rows.append(["", "", "", "skill:" + skill, n])
        writer.writerows([csv_cell(cell) for cell in row] for row in rows)
        return out.getvalue()


def compute(session: Session, conversations: list[Conversation] | Counts,
            since: dt.date | None = None, top: int = 10,
            ref_key: bytes | None = None) -> Analytics:
    """The figures, from the counts the events consumer keeps (``SummaryStore.activity``,
    what the console reads) or from the conversations active since ``since`` as read from the
    tracker store (``TrackerStore.activity``: the reference the counts are checked against in
    tests, and bench/console.py's baseline); ``ref_key``: the key of the links'
    pseudonyms, the web app's settings' ``secret_key`` (PATHFINDER_SECRET_KEY; the console
    passes it; None: the same, from the settings; without one, clicks count under language
    "unknown")."""
    ref_key = ref_key if ref_key is not None else web_settings().secret_key
    if isinstance(conversations, Counts):
        return _from_counts(session, conversations, since, top, ref_key)
    result = Analytics()
    if since is not None:
        this_week = week_of(dt.datetime.now(dt.UTC))
        result.period = [week_of(since) + dt.timedelta(weeks=i)
                         for i in range((this_week - week_of(since)).days // 7 + 1)]
    language_of: dict[str, str] = {}  # by the conversation's pseudonym, as clicks have it
    nocs: Counter[str] = Counter()
    skills: Counter[str] = Counter()
    for conversation in conversations:
        language = known(conversation.language, LANGUAGES)
        if ref_key is not None:
            language_of[conversation_ref(conversation.sender_id, ref_key)] = language
        if conversation.started is None or not conversation.user_turns:
            continue
        key = (known(conversation.channel, CHANNELS), language)
        # Counted in the week it started, or the period's first week if it started before.
        started = week_of(conversation.started)
        if since is not None:
            started = max(started, week_of(since))
        result.counts[(started, *key, "conversations")] += 1
        for turn in conversation.turns:
            if turn.recommendations and turn.time is not None:
                result.counts[(week_of(turn.time), *key, "recommendations")] += len(
                    turn.recommendations)
        for answer in conversation.helpful:
            metric = "helpful_yes" if answer else "helpful_no"
            result.counts[(week_of(conversation.last or conversation.started), *key,
                           metric)] += 1
        nocs.update(conversation.nocs)
        skills.update(conversation.skills)

    clicks = select(Referral.clicked_at, Referral.channel, Referral.conversation)
    if since is not None:
        clicks = clicks.where(Referral.clicked_at >= dt.datetime.combine(since, dt.time()))
    for clicked_at, channel, ref in session.execute(clicks):
        language = language_of.get(ref or "", UNKNOWN)
        result.counts[(week_of(clicked_at), known(channel, CHANNELS), language, "clicks")] += 1

    # Inquiries carry no conversation: channel and language are "unknown".
    start = dt.datetime.combine(since, dt.time()) if since is not None else None
    for week, n in count_inquiries(session, since=start, by="week"):
        result.counts[(dt.date.fromisoformat(week), UNKNOWN, UNKNOWN, "inquiries")] += n

    titles: dict[str, str] = {noc: title for noc, title in session.execute(
        select(Occupation.noc, Occupation.title_en).where(Occupation.noc.in_(list(nocs))))}
    # Slot and entity values as stored: redacted (each distinct one once) since they are shown.
    result.occupations = [(redact(f"{noc} {titles.get(noc, '')}".strip()), n)
                          for noc, n in nocs.most_common(top)]
    shown_skills: Counter[str] = Counter()
    for skill, n in skills.items():
        shown_skills[redact(skill).casefold()] += n
    result.skills = shown_skills.most_common(top)
    return result


def _from_counts(session: Session, counts: Counts, since: dt.date | None, top: int,
                 ref_key: bytes | None) -> Analytics:
    """``compute`` on the counts the events consumer keeps (``SummaryStore.activity``): the
    conversations active in the period, each counted in the week it started (the period's
    first week if earlier), their recommendations in the weeks of their turns, "helpful?"
    answers in the week of their last activity, as ``compute`` counts conversations. A
    click's language is its conversation's when the pseudonym it carries is that
    conversation's under ``ref_key``."""
    result = Analytics()
    first_week = week_of(since) if since is not None else None
    if first_week is not None:
        this_week = week_of(dt.datetime.now(dt.UTC))
        result.period = [first_week + dt.timedelta(weeks=i)
                         for i in range((this_week - first_week).days // 7 + 1)]
    for metric, week, channel, language, n in counts.rows:
        if metric == "conversations" and first_week is not None:
            week = max(week, first_week)
        result.counts[(week, channel, language, metric)] += n
    for clicked_at, click_channel, ref, sender, click_language in counts.clicks:
        matched = (ref_key is not None and sender is not None and ref is not None
                   and conversation_ref(sender, ref_key) == ref)
        result.counts[(week_of(clicked_at), known(click_channel, CHANNELS),
                       known(click_language, LANGUAGES) if matched else UNKNOWN, "clicks")] += 1
    start = dt.datetime.combine(since, dt.time()) if since is not None else None
    for week_text, n in count_inquiries(session, since=start, by="week"):
        result.counts[(dt.date.fromisoformat(week_text), UNKNOWN, UNKNOWN, "inquiries")] += n
    nocs = counts.occupations[:top]
    titles: dict[str, str] = {noc: title for noc, title in session.execute(
        select(Occupation.noc, Occupation.title_en).where(
            Occupation.noc.in_([noc for noc, _ in nocs])))}
    # Stored redacted; redacted again with the title, as compute shows them.
    result.occupations = [(redact(f"{noc} {titles.get(noc, '')}".strip()), n) for noc, n in nocs]
    result.skills = counts.skills[:top]
    return result


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bars(series: list[tuple[str, int]], width: int = 640, height: int = 160) -> list[Bar]:
    """Geometry of a vertical bar chart (the template draws it as SVG: no script, no CDN)."""
    if not series:
        return []
    top = max(n for _, n in series) or 1
    slot = width / len(series)
    bar_width = max(2.0, slot * 0.7)
    return [Bar(label, n, x=i * slot + (slot - bar_width) / 2,
                y=height - n / top * height, width=bar_width, height=n / top * height)
            for i, (label, n) in enumerate(series)]
