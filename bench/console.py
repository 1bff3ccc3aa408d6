"""Benchmark of the staff console at portal scale: its list, search, filters and analytics
reads from the conversation summaries and counts that the events consumer keeps (bot/events/,
knowledge.models.ConversationSummary / ConversationCount) on PostgreSQL, at 100,000
conversations (and 1,000,000 with ``--million``); the consumer's throughput; and the old read
(every conversation's events from the tracker store) as the baseline, at a size where it is
feasible, in the same run.

    .venv/bin/python bench/console.py                     # 100,000 conversations
    .venv/bin/python bench/console.py --million           # and 1,000,000
    .venv/bin/python bench/console.py --conversations 20000 --repeats 10

Three parts:

1. the consumer: a synthetic SQLite tracker store (``--consumer-conversations``, 67 events
   each, the shape Rasa 3.6 stores, as in tests/test_console_tracker.py) read into a
   PostgreSQL app database by ``consumer.catch_up``: events/s of wall time and of this
   process's CPU time (one core: the consumer is one thread);
2. the baseline, on that tracker store: the old list page, search and analytics reads
   (``TrackerStore.page`` / ``activity`` + ``analytics.compute``) against the new ones on the
   summaries the consumer just wrote;
3. portal scale: summary rows and their counts generated directly in bulk (replaying 67
   events for each of 100,000 conversations through the consumer would take about as many
   seconds as part 1's rate says; the rows come from the same ``Summary`` and
   ``contribution`` the consumer writes), then each read timed ``--repeats`` times: median
   and p95, against the 300 ms target.

Everything is created in PostgreSQL schemas of their own (PATHFINDER_TEST_POSTGRES_URL's
server, or ``--postgres URL``), dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.console import analytics, summaries  # noqa: E402
from bot.console.conversations import EVENTS, Filters, TrackerStore  # noqa: E402
from bot.events import consumer  # noqa: E402
from bot.events.summary import Summary, contribution  # noqa: E402
from knowledge.db import make_engine, migrate  # noqa: E402
from knowledge.models import (  # noqa: E402
    ConversationCount,
    ConversationSummary,
    TurnAnnotation,
    utc_naive,
)
from knowledge.settings import TEST_POSTGRES_URL  # noqa: E402

TARGET_MS = 300.0
BENCH_KEY = b"bench-key-0123456789"
META = {"model_id": "7544bcb15b0e4de69df3dcf315f706dd", "assistant_id": "pathfinder"}
JOBS = ["welder", "PSW", "machinist", "electrician", "cook", "plumber", "bookkeeper",
        "truck driver", "nurse aide", "carpenter", "cashier", "data entry clerk",
        "soudeur", "machiniste", "cuisinier", "plombier", "préposé aux bénéficiaires",
        "commis comptable", "chauffeur de camion", "électricien"]
USER_TEXTS = [
    "I'm a {job} and want to get into health-care admin, online, under $800",
    "je suis {job}, je veux me perfectionner, le soir", "I work as a {job}",
    "show me cheaper ones", "how much do {job}s make?", "what's the outlook?",
    "can I get OSAP? write to ana.silva@example.org or call 416-555-0199",
    "I live near M5V 2T6, anything in person?", "thanks, that helps", "quel est le salaire?",
]
BOT_TEXT = ("Here are programs that fit what you told me: online, under $800, in English. "
            "Each one teaches skills that medical administrative assistants use every day, "
            "such as scheduling, billing and keeping records. Ask me about the wage or the "
            "outlook, or tell me what to change.")
BOT_TEXTS = [BOT_TEXT, "Voici des programmes qui correspondent à ce que vous m'avez dit.",
             "Sorry, I didn't get that. Could you say it another way?",
             "Which job do you do now?", "Quel métier faites-vous maintenant ?"]
WEEKS_SPREAD = 52


# --- part 1: a tracker store, read by the consumer --------------------------------------------

def _event(sender: str, kind: str, at: float, **data: Any) -> dict[str, Any]:
    body = {"event": kind, "timestamp": at, "metadata": META, **data}
    intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
    return {"sender_id": sender, "type_name": kind, "timestamp": at, "intent_name": intent,
            "action_name": data.get("name"), "data": json.dumps(body)}


def _turn(sender: str, at: float, rng: random.Random, language: str) -> list[dict[str, Any]]:
    text = rng.choice(USER_TEXTS).format(job=rng.choice(JOBS))
    confidence = rng.uniform(0.3, 1.0)
    return [
        _event(sender, "user", at, text=text, parse_data={
            "intent": {"name": "inform_job", "confidence": confidence},
            "entities": [{"entity": "job_title", "value": "welder", "start": 0, "end": 6},
                         {"entity": "skill", "value": rng.choice(["welding", "excel"]),
                          "start": 7, "end": 14}],
            "text": text, "message_id": uuid.uuid4().hex, "metadata": {},
            "intent_ranking": [{"name": "inform_job", "confidence": confidence},
                               {"name": "greet", "confidence": 0.1}]},
            input_channel="rest", message_id=uuid.uuid4().hex),
        _event(sender, "user_featurization", at + 0.01, use_text_for_featurization=False),
        _event(sender, "action", at + 0.02, name="action_recommend", policy="RulePolicy",
               confidence=1.0, action_text=None, hide_rule_turn=False),
        _event(sender, "slot", at + 0.03, name="language", value=language),
        _event(sender, "slot", at + 0.04, name="target_noc", value="13112"),
        _event(sender, "slot", at + 0.05, name="constraints",
               value={"budget": 800, "delivery": "online"}),
        _event(sender, "bot", at + 0.06, text=rng.choice(BOT_TEXTS), data={
            "elements": None, "quick_replies": None, "attachment": None, "image": None,
            "custom": None, "buttons": [{"title": "Cheaper ones", "payload": "/ask_cheaper"},
                                        {"title": "Wage", "payload": "/ask_wage"}]}),
        _event(sender, "bot", at + 0.07, text=None, data={
            "elements": None, "quick_replies": None, "buttons": None, "attachment": None,
            "image": None, "custom": {
                "type": "recommendations", "lang": language,
                "occupation": {"noc": "33102", "title": "Nurse aides"},
                "target_occupation": {"noc": "13112", "title": "Medical admin"},
                "programs": [{"id": f"p{i}", "title": f"Program {i}",
                              "institution": "Fanshawe College"} for i in range(5)]}}),
        _event(sender, "action", at + 0.08, name="action_listen", policy="RulePolicy",
               confidence=1.0, action_text=None, hide_rule_turn=False),
    ]


def fill(url: str, conversations: int, turns: int, seed: int = 7) -> int:
    """A tracker database with ``conversations`` conversations of the last 10 weeks; returns
    how many events it holds."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).timestamp()
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:  # as Rasa's SQLTrackerStore creates it
        connection.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
    total = 0
    rows: list[dict[str, Any]] = []
    for n in range(conversations):
        sender = rng.choice(["web-" + uuid.UUID(int=rng.getrandbits(128)).hex,
                             f"telegram-{n}", f"rest-{n}"])
        at = now - rng.uniform(0, 10 * 7 * 86400)
        language = rng.choice(["en", "fr"])
        rows += [_event(sender, "action", at, name="action_session_start", policy=None,
                        confidence=1.0, action_text=None, hide_rule_turn=False),
                 _event(sender, "session_started", at + 0.001),
                 _event(sender, "action", at + 0.002, name="action_listen", policy=None,
                        confidence=1.0, action_text=None, hide_rule_turn=False)]
        for turn in range(turns):
            rows += _turn(sender, at + 10 * (turn + 1), rng, language)
        if len(rows) > 20_000:
            with engine.begin() as connection:
                connection.execute(insert(EVENTS), rows)
            total += len(rows)
            rows = []
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()
    return total + len(rows)


# --- part 3: summaries generated in bulk ------------------------------------------------------

def synthetic(n: int, rng: random.Random, now: float) -> Summary:
    channel = rng.choice(["web", "telegram", "rest"])
    sender = {"web": f"web-{uuid.UUID(int=rng.getrandbits(128)).hex}",
              "telegram": f"telegram-{n}", "rest": f"rest-{n}"}[channel]
    start = now - rng.uniform(0, WEEKS_SPREAD * 7 * 86400)
    turns = rng.randint(1, 12)
    summary = Summary(sender, language=rng.choice(["en", "fr"]), first_ts=start,
                      last_ts=start + turns * 40, user_turns=turns,
                      last_event_id=n * 70 + turns * 9)
    summary.confidences = sorted(  # as the summariser keeps them: the lowest, in order
        -1.0 if rng.random() < 0.05 else round(rng.uniform(0.3, 1.0), 3) for _ in range(turns))
    texts = [rng.choice(USER_TEXTS).format(job=rng.choice(JOBS)) for _ in range(turns)]
    summary.first_message = texts[0]
    bots = rng.sample(BOT_TEXTS, rng.randint(1, 3))
    seen: list[str] = []
    for t in [*texts, *bots]:
        folded = t.casefold().replace("ana.silva@example.org", "[email]").replace(
            "416-555-0199", "[phone]").replace("m5v 2t6", "[postal code]")
        if folded not in seen:
            seen.append(folded)
    summary.search_text = "\n".join(seen)
    recs = rng.choice([0, 0, 1, 1, 2, 3])
    summary.recommendations = recs
    week = analytics.week_of(dt.datetime.fromtimestamp(start, dt.UTC)).isoformat()
    summary.rec_weeks = {week: recs} if recs else {}
    summary.occupations = rng.sample(["13112", "33102", "72106", "72100", "63200"],
                                     rng.randint(0, 2))
    summary.skills = rng.sample(["welding", "excel", "scheduling", "billing"],
                                rng.randint(0, 2))
    summary.helpful_yes = int(rng.random() < 0.2)
    summary.helpful_no = int(rng.random() < 0.05)
    return summary


def generate(engine: Engine, conversations: int, seed: int = 11) -> float:
    """``conversations`` summary rows and their counts; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).timestamp()
    counts: Counter[Any] = Counter()
    stamp = utc_naive()
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(insert(ConversationSummary), rows)
        rows.clear()

    for n in range(conversations):
        s = synthetic(n, rng, now)
        counts.update(contribution(s))
        rows.append({
            "sender_id": s.sender_id, "channel": s.channel, "language": s.language,
            "first_ts": s.first_ts, "last_ts": s.last_ts, "user_turns": s.user_turns,
            "recommendations": s.recommendations, "min_confidence": s.min_confidence,
            "confidences": s.confidences, "first_message": s.first_message,
            "search_text": s.search_text, "occupations": s.occupations, "skills": s.skills,
            "helpful_yes": s.helpful_yes, "helpful_no": s.helpful_no, "ref": uuid.uuid4().hex,
            "last_event_id": s.last_event_id, "updated_at": stamp,
            "state": {"rec_weeks": s.rec_weeks, "turn_ts": s.last_ts}})
        if len(rows) >= 5000:
            flush()
    if rows:
        flush()
    with engine.begin() as connection:
        connection.execute(insert(ConversationCount), [
            {"metric": k[0], "week": k[1], "active_week": k[2], "channel": k[3],
             "language": k[4], "value": k[5], "count": v} for k, v in counts.items()])
        connection.execute(insert(TurnAnnotation), [
            {"sender_id": f"rest-{n}", "event_id": n, "flagged": True, "note": "",
             "updated_at": stamp} for n in range(0, conversations, max(1, conversations // 200))])
    # As autovacuum leaves a table that has been written to: statistics and visibility map
    # (index-only scans) up to date.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


# --- timing -----------------------------------------------------------------------------------

def timed(run: Callable[[], object], repeats: int) -> list[float]:
    run()  # warm: the first read fills PostgreSQL's cache, as a console in use has it
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def figures(session: Session, since: dt.date) -> analytics.Analytics:
    """The analytics page's read, as the console's route makes it."""
    return analytics.compute(session, summaries.SummaryStore(session).activity(since), since,
                             ref_key=BENCH_KEY)


def reads(session: Session) -> dict[str, Callable[[], object]]:
    """The console's reads, as its routes make them (50 rows a page)."""
    today = dt.datetime.now(dt.UTC).date()
    week = analytics.week_of(dt.datetime.now(dt.UTC))

    store = summaries.SummaryStore(session)

    def listing(**given: Any) -> Callable[[], object]:
        return lambda: store.page(Filters(**given), 0.6, 0, 50)

    return {
        "list, page 1": listing(),
        "list, page 200": lambda: store.page(Filters(), 0.6, 199 * 50, 50),
        "filter channel+language": listing(channel="telegram", language="fr"),
        "filter last 7 days": listing(date_from=today - dt.timedelta(days=7)),
        "filter low confidence": listing(low_confidence=True),
        "filter no recommendation, rest": listing(no_recommendation=True, channel="rest"),
        "filter flagged": listing(flagged=True),
        "search 'machiniste' (~10%)": listing(query="machiniste"),
        "search 'commis comptable' + 7 days": listing(
            query="commis comptable", date_from=today - dt.timedelta(days=7)),
        "search a rare word": listing(query="zxqv"),
        "search 'programs' (~45%)": listing(query="programs"),
        "analytics, 12 weeks": lambda: figures(session, week - dt.timedelta(weeks=11)),
        "analytics, 52 weeks": lambda: figures(session, week - dt.timedelta(weeks=51)),
    }


def report(session: Session, repeats: int, label: str) -> bool:
    print(f"\n{label}: median / p95 of {repeats} runs (ms), target p95 <= {TARGET_MS:.0f}")
    ok = True
    for name, run in reads(session).items():
        times = timed(run, repeats)
        worst = p95(times)
        ok = ok and worst <= TARGET_MS
        flag = "" if worst <= TARGET_MS else "   over target"
        print(f"  {name:<36} {statistics.median(times):8.1f} {worst:8.1f}{flag}")
    return ok


@contextmanager
def schema(url: str, name: str) -> Iterator[str]:
    full = f"bench_{name}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {full}"))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{full}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {full} CASCADE"))
        admin.dispose()


def consumer_and_baseline(postgres: str, conversations: int, turns: int,
                          repeats: int) -> None:
    with tempfile.TemporaryDirectory() as work, schema(postgres, "consumer") as app_url:
        tracker_url = f"sqlite:///{Path(work) / 'tracker.db'}"
        events = fill(tracker_url, conversations, turns)
        app = make_engine(app_url)
        migrate(app)
        wall, cpu = time.perf_counter(), time.process_time()
        read = consumer.catch_up(tracker_url, app, BENCH_KEY)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert read == events
        print(f"Consumer: {events:,} events of {conversations:,} conversations (SQLite tracker "
              f"store -> PostgreSQL) in {wall:.1f} s: {events / wall:,.0f} events/s "
              f"({events / cpu:,.0f} per CPU-second of the consumer's one thread; "
              f"target >= 500/s)")
        # Resumed with nothing new: what a second run costs.
        start = time.perf_counter()
        assert consumer.catch_up(tracker_url, app, BENCH_KEY) == 0
        print(f"  again, nothing new: {(time.perf_counter() - start) * 1000:.1f} ms")

        store = TrackerStore(tracker_url)
        since = analytics.week_of(dt.datetime.now(dt.UTC)) - dt.timedelta(weeks=11)
        baseline_repeats = max(3, repeats // 5)
        with Session(app) as session:
            new_store = summaries.SummaryStore(session)
            pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
                "list, page 1": (
                    lambda: store.page(Filters(), set(), 0.6, 0, 50),
                    lambda: new_store.page(Filters(), 0.6, 0, 50)),
                "filter low confidence": (
                    lambda: store.page(Filters(low_confidence=True), set(), 0.6, 0, 50),
                    lambda: new_store.page(Filters(low_confidence=True), 0.6, 0, 50)),
                "search 'machiniste'": (
                    lambda: store.page(Filters(query="machiniste"), set(), 0.6, 0, 50),
                    lambda: new_store.page(Filters(query="machiniste"), 0.6, 0, 50)),
                "analytics, 12 weeks": (
                    lambda: analytics.compute(session, store.activity(since), since,
                                              ref_key=BENCH_KEY),
                    lambda: figures(session, since)),
            }
            print(f"\nBaseline at {conversations:,} conversations: the old read (tracker store, "
                  f"SQLite, every conversation of the period) against the summaries "
                  f"(PostgreSQL); median of {baseline_repeats} runs (ms)")
            for name, (old, new) in pairs.items():
                old_ms = statistics.median(timed(old, baseline_repeats))
                new_ms = statistics.median(timed(new, baseline_repeats))
                print(f"  {name:<24} old {old_ms:9.1f}   new {new_ms:7.1f}   "
                      f"({old_ms / max(new_ms, 0.01):,.0f}x)")
        app.dispose()


def at_scale(postgres: str, conversations: int, repeats: int) -> bool:
    with schema(postgres, "scale") as url:
        engine = make_engine(url)
        migrate(engine)
        seconds = generate(engine, conversations)
        print(f"\n{conversations:,} summary rows and their counts generated in bulk in "
              f"{seconds:.0f} s (not replayed through the consumer: see part 1's rate)")
        with Session(engine) as session:
            ok = report(session, repeats, f"PostgreSQL, {conversations:,} conversations")
        engine.dispose()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also at 1,000,000")
    parser.add_argument("--consumer-conversations", type=int, default=1500,
                        help="conversations of part 1 and the baseline (default 1500)")
    parser.add_argument("--turns", type=int, default=7, help="user turns per conversation "
                        "of part 1")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--postgres", default=TEST_POSTGRES_URL.read(),
                        help="PostgreSQL server (default PATHFINDER_TEST_POSTGRES_URL's)")
    args = parser.parse_args(argv)
    consumer_and_baseline(args.postgres, args.consumer_conversations, args.turns,
                          args.repeats)
    ok = at_scale(args.postgres, args.conversations, args.repeats)
    if args.million:
        ok = at_scale(args.postgres, 1_000_000, args.repeats) and ok
    return 0


if __name__ == "__main__":
    sys.exit(main())
