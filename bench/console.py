"""Benchmark of the staff console's reading of Rasa's tracker store: the analytics page's read
(no text redacted) against the same conversations read for display (every text redacted, which
is what the analytics page paid before), on a synthetic SQLite tracker database.

    .venv/bin/python bench/console.py                      # 374 conversations, ~64 events each
    .venv/bin/python bench/console.py --conversations 1000 --repeats 7

Both are measured in the same run, alternately, on the same database; medians and their ratio
are printed. The events have the shape Rasa 3.6 stores (as in tests/test_console_tracker.py):
per turn a user message with its parse data, featurization, actions, slots and bot replies;
some messages carry an e-mail address or a phone number, as stored before redaction existed.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bot.console.conversations import EVENTS, Filters, TrackerStore  # noqa: E402

META = {"model_id": "7544bcb15b0e4de69df3dcf315f706dd", "assistant_id": "pathfinder"}
USER_TEXTS = [
    "I'm a PSW and want to get into health-care admin, online, under $800",
    "je suis machiniste CNC, je veux me perfectionner, le soir",
    "show me cheaper ones", "how much do welders make?", "what's the outlook?",
    "can I get OSAP? write to ana.silva@example.org or call 416-555-0199",
    "I live near M5V 2T6, anything in person?", "thanks, that helps",
]
BOT_TEXT = ("Here are programs that fit what you told me: online, under $800, in English. "
            "Each one teaches skills that medical administrative assistants use every day, "
            "such as scheduling, billing and keeping records. Ask me about the wage or the "
            "outlook, or tell me what to change.")


def _event(sender: str, kind: str, at: float, **data: Any) -> dict[str, Any]:
    body = {"event": kind, "timestamp": at, "metadata": META, **data}
    intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
    return {"sender_id": sender, "type_name": kind, "timestamp": at, "intent_name": intent,
            "action_name": data.get("name"), "data": json.dumps(body)}


def _turn(sender: str, at: float, rng: random.Random, language: str) -> list[dict[str, Any]]:
    text = rng.choice(USER_TEXTS)
    confidence = rng.uniform(0.3, 1.0)
    events = [
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
        _event(sender, "bot", at + 0.06, text=BOT_TEXT, data={
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
    return events


def fill(url: str, conversations: int, turns: int, seed: int = 7) -> int:
    """A tracker database with ``conversations`` conversations of the last weeks; returns how
    many events it holds."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).timestamp()
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:  # as Rasa's SQLTrackerStore creates it
        connection.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
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
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()
    return len(rows)


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=374)
    parser.add_argument("--turns", type=int, default=7, help="user turns per conversation")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'tracker.db'}"
        events = fill(url, args.conversations, args.turns)
        store = TrackerStore(url)
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(weeks=12)).date()
        analytics_read = store.activity(since)
        shown = store.search(Filters(date_from=since), set(), 0.6)
        assert len(analytics_read) == len(shown) == args.conversations
        print(f"{args.conversations} conversations, {events} events (SQLite), "
              f"median of {args.repeats} runs each:")
        # Alternate so that a busy machine slows both alike.
        analytics_times, display_times = [], []
        for _ in range(args.repeats):
            analytics_times.append(seconds(lambda: store.activity(since)))
            display_times.append(seconds(
                lambda: store.search(Filters(date_from=since), set(), 0.6)))
        analytics_s = statistics.median(analytics_times)
        display_s = statistics.median(display_times)
        print(f"  read for display, every text redacted (the old analytics read): "
              f"{display_s:.3f} s")
        print(f"  read for analytics, no text redacted (TrackerStore.activity):  "
              f"{analytics_s:.3f} s")
        print(f"  ratio display/analytics: {display_s / analytics_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
