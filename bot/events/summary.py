"""The summariser: a conversation's summary, brought up to date by its events one at a time,
and the analytics counts a summary stands for. Pure: no database, no clock. Both feeds of the
consumer (bot/events/consumer.py) give it events as Rasa 3.6 serialises them
(``Event.as_dict()``: ``{"event": "user", "timestamp": ..., ...}``), which is what the tracker
store keeps in ``events.data`` and what the Pika event broker publishes.

Summaries follow what the console showed when it rebuilt conversations from their events
(bot/console/conversations.py, ``build_conversation``): the same language, turns,
recommendations, low-confidence turns, first message and texts searched; texts are redacted
here, before anything is stored.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, get_args

from bot.engine.redaction import redact
from connectors.senders import CHANNELS, channel_of
from knowledge.language import Lang

FALLBACK_INTENT = "nlu_fallback"
DEFAULT_LANGUAGE = "en"  # the domain's initial value of the `language` slot
FALLBACK_CONFIDENCE = -1.0  # below any threshold: an nlu_fallback turn is always "low"
FIRST_MESSAGE_CHARS = 300
LANGUAGE_CHARS = 64
UNKNOWN = "unknown"
LANGUAGES: tuple[str, ...] = get_args(Lang)
NOC_SLOTS = ("current_noc", "target_noc", "noc")
TEXT_SEPARATOR = "\n"
# What one conversation keeps is bounded, however long it goes on (a client that loops): each
# event costs bounded work and the row a bounded size.
# - The search text: the conversation's first texts (up to SEARCH_HEAD_CHARS) and its most
#   recent ones (the last SEARCH_TAIL_CHARS); a word said only in between, in a conversation
#   longer than that, is not found by the search.
# - The confidences: the CONFIDENCES_KEPT lowest, so that the lowest (the low-confidence
#   filter) is exact and so is the number of turns below the threshold, up to that many (a
#   conversation with more shows CONFIDENCES_KEPT).
# - The occupations and skills: the first VALUES_KEPT distinct ones of each, VALUE_CHARS
#   characters at most (what the counts keep of a value): the analytics count those.
SEARCH_HEAD_CHARS = 4000
SEARCH_TAIL_CHARS = 4000
CONFIDENCES_KEPT = 100
VALUES_KEPT = 20
VALUE_CHARS = 255

# (metric, week, active week, channel, language, value)
CountKey = tuple[str, dt.date, dt.date, str, str, str]


def known(value: str | None, allowed: tuple[str, ...]) -> str:
    """The value if it is one of ``allowed``, else "unknown"."""
    return value if value in allowed else UNKNOWN


def week_of(timestamp: float) -> dt.date:
    """The Monday of the ISO week of a Rasa timestamp (UTC)."""
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def _one_line(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class Summary:
    """What the console needs of one conversation. ``rec_weeks`` (recommendations by the ISO
    week of their turn) and ``turn_ts`` (the time of the current turn) let it go on with the
    next events; ``last_event_id`` is the newest tracker event applied. What it keeps is
    bounded (see SEARCH_HEAD_CHARS and the other limits above)."""

    sender_id: str
    language: str = DEFAULT_LANGUAGE
    first_ts: float | None = None
    last_ts: float | None = None
    user_turns: int = 0
    recommendations: int = 0
    confidences: list[float] = field(default_factory=list)  # the lowest, in order
    first_message: str = ""
    search_text: str = ""
    occupations: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    helpful_yes: int = 0
    helpful_no: int = 0
    rec_weeks: dict[str, int] = field(default_factory=dict)
    turn_ts: float | None = None
    last_event_id: int = 0
    # The length of the search text's first part once it is full (the rest is the most
    # recent texts), else None.
    search_head: int | None = None

    @property
    def channel(self) -> str:
        return channel_of(self.sender_id)

    @property
    def min_confidence(self) -> float | None:
        return min(self.confidences) if self.confidences else None

    def _confidence(self, confidence: float) -> None:
        bisect.insort(self.confidences, confidence)
        del self.confidences[CONFIDENCES_KEPT:]

    def _search(self, text: str) -> None:
        # Redacted whole, then cut (a cut address would no longer be recognised).
        shown = redact(text).casefold()[:SEARCH_TAIL_CHARS]
        # A text already inside the search text adds no match (a check on a bounded text).
        if not shown or shown in self.search_text:
            return
        joined = self.search_text + (TEXT_SEPARATOR if self.search_text else "") + shown
        if self.search_head is None:
            if len(joined) <= SEARCH_HEAD_CHARS:
                self.search_text = joined
                return
            # Full: the first texts stay as they are (a row written before the bound, longer,
            # keeps its first SEARCH_HEAD_CHARS).
            self.search_head = min(len(self.search_text), SEARCH_HEAD_CHARS)
        head = self.search_text[:self.search_head]
        tail = joined[self.search_head:].lstrip(TEXT_SEPARATOR)[-SEARCH_TAIL_CHARS:]
        self.search_text = head + (TEXT_SEPARATOR if head else "") + tail

    def _add(self, values: list[str], value: str) -> None:
        shown = redact(value)[:VALUE_CHARS]
        if len(values) < VALUES_KEPT and shown not in values:
            values.append(shown)


def apply(summary: Summary, event: dict[str, Any]) -> None:
    """Bring ``summary`` up to date with one event (Rasa's ``as_dict()`` form), in place."""
    kind = event.get("event")
    when = event.get("timestamp")
    if isinstance(when, int | float):
        timestamp = float(when)
        summary.first_ts = timestamp if summary.first_ts is None else min(summary.first_ts,
                                                                          timestamp)
        summary.last_ts = timestamp if summary.last_ts is None else max(summary.last_ts,
                                                                        timestamp)
    else:
        timestamp = None
    if kind == "user":
        _user(summary, event)
        summary.turn_ts = timestamp
    elif kind in ("session_started", "restart"):
        summary.turn_ts = timestamp
    elif kind == "bot":
        if summary.turn_ts is None:
            summary.turn_ts = timestamp
        _bot(summary, event)
    elif kind == "slot":
        if summary.turn_ts is None:
            summary.turn_ts = timestamp
        _slot(summary, event)


def _user(summary: Summary, event: dict[str, Any]) -> None:
    summary.user_turns += 1
    text = str(event.get("text") or "")
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    if intent.get("name") == FALLBACK_INTENT:
        summary._confidence(FALLBACK_CONFIDENCE)
    else:
        confidence = intent.get("confidence")
        summary._confidence(float(confidence) if isinstance(confidence, int | float) else 0.0)
    if text and not summary.first_message:
        # Redacted whole, then cut: a cut address would no longer be recognised.
        summary.first_message = redact(text)[:FIRST_MESSAGE_CHARS]
    summary._search(text)
    for entity in parse.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == "skill":
            summary._add(summary.skills, _one_line(entity.get("value")))


def _bot(summary: Summary, event: dict[str, Any]) -> None:
    payload = event.get("data") or {}
    custom = payload.get("custom") if isinstance(payload, dict) else None
    if isinstance(custom, dict) and custom.get("type") == "recommendations" and any(
            isinstance(p, dict) for p in custom.get("programs") or []):
        # Only a list that fits counts (the closest programs offered when none does do not).
        summary.recommendations += 1
        if summary.turn_ts is not None:
            week = week_of(summary.turn_ts).isoformat()
            summary.rec_weeks[week] = summary.rec_weeks.get(week, 0) + 1
    text = event.get("text")
    if isinstance(text, str):
        summary._search(text)


def _slot(summary: Summary, event: dict[str, Any]) -> None:
    name, value = event.get("name"), event.get("value")
    if name == "language" and isinstance(value, str):
        summary.language = value[:LANGUAGE_CHARS]
    elif name in NOC_SLOTS and isinstance(value, str):
        summary._add(summary.occupations, value)
    elif name == "skill" and isinstance(value, str):
        summary._add(summary.skills, value)
    elif name == "helpful" and value in ("yes", "no"):
        if value == "yes":
            summary.helpful_yes += 1
        else:
            summary.helpful_no += 1


def contribution(summary: Summary) -> Counter[CountKey]:
    """What this conversation adds to the analytics' counts: as the console counted it, a
    conversation with a user turn counts in the week it started, its recommendations in the
    weeks of their turns, its "helpful?" answers in the week of its last activity, and its
    occupations and skills once each; every count carries the week of its last activity, so
    that a period counts the conversations active in it."""
    counts: Counter[CountKey] = Counter()
    if summary.first_ts is None or summary.last_ts is None or not summary.user_turns:
        return counts
    active = week_of(summary.last_ts)
    channel = known(summary.channel, CHANNELS)
    language = known(summary.language, LANGUAGES)
    counts[("conversations", week_of(summary.first_ts), active, channel, language, "")] += 1
    for week, n in summary.rec_weeks.items():
        counts[("recommendations", dt.date.fromisoformat(week), active, channel, language,
                "")] += n
    for metric, n in (("helpful_yes", summary.helpful_yes), ("helpful_no", summary.helpful_no)):
        if n:
            counts[(metric, active, active, channel, language, "")] += n
    for noc in summary.occupations:
        counts[("occupation", active, active, "", "", noc[:VALUE_CHARS])] += 1
    for skill in summary.skills:
        counts[("skill", active, active, "", "", skill.casefold()[:VALUE_CHARS])] += 1
    return counts
