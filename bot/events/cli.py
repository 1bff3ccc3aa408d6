"""``pathfinder events consume``: keep the console's conversation summaries and analytics
counts up to date (registered by bot/cli.py).

Without ``--broker`` it tails Rasa's tracker store (PATHFINDER_TRACKER_DB_URL, or
``--tracker-db-url``) from the position it stored, until Ctrl-C; ``--once`` applies what is
stored and exits. With ``--broker amqp://...`` it reads the queue Rasa's Pika event broker
publishes to (``--queue``, default ``rasa_core_events``, Rasa's own default).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from knowledge.settings import PROJECT_ROOT, cli_settings


def ref_key(root: Path = PROJECT_ROOT) -> bytes | None:
    """The key of the conversations' pseudonyms in links, as `pathfinder run` gives it to
    its web app (bot.stack.link_key): PATHFINDER_SECRET_KEY, else var/secret.key when there
    is one (None without either: the summaries get their pseudonyms once there is a key)."""
    from bot.stack import link_key

    return link_key(root, cli_settings().secret_key).encode("utf-8") or None


def positive(value: str) -> int:
    """--batch: a whole number, at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def cmd_consume(args: argparse.Namespace) -> int:
    from bot.events import consumer
    from knowledge.db import make_engine, migrate

    engine = make_engine(args.database)
    try:
        migrate(engine)
        key = ref_key()
        consumer.fill_refs(engine, key)  # those written before there was a key
        if args.broker:
            from bot.events import amqp

            broker = cli_settings().event_broker_url
            if broker is None:
                print("Set PATHFINDER_EVENT_BROKER_URL (amqp://user:password@host:5672/%2F) "
                      "to read Rasa's events from RabbitMQ.", file=sys.stderr)
                return 2
            return amqp.run(broker, args.queue, engine, key, once=args.once,
                            exchange=args.exchange, batch=args.batch)
        url = args.tracker_db_url or cli_settings().tracker_db_url
        if args.once:
            started = time.perf_counter()
            read = consumer.catch_up(url, engine, key, args.batch)
            print(f"Read {read} events in {time.perf_counter() - started:.1f} s; the "
                  "console's summaries are up to date.")
            return 0
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _stop)
        print("Following the tracker store's events; Ctrl-C stops.", file=sys.stderr)
        try:
            consumer.follow(url, engine, key, stop, batch=args.batch)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 0
    finally:
        engine.dispose()


def add_parsers(sub: Any) -> None:
    """Register ``events`` on the ``pathfinder`` parser's subparsers."""
    from bot.console.commands import _tracker_db_url

    events = sub.add_parser("events", help="the events consumer of the staff console")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    p = events_sub.add_parser("consume", help="keep the console's conversation summaries "
                              "and analytics counts up to date from Rasa's events")
    p.add_argument("--once", action="store_true", help="apply the events stored so far (or "
                   "waiting in the queue) and exit")
    p.add_argument("--tracker-db-url", type=_tracker_db_url,
                   help="Rasa's tracker store (default: PATHFINDER_TRACKER_DB_URL or "
                   "sqlite:///var/tracker.db)")
    p.add_argument("--batch", type=positive, default=2000, help="events per transaction "
                   "(default 2000)")
    # The broker's URL holds its password: a setting, never a command-line argument.
    p.add_argument("--broker", action="store_true", help="read Rasa's Pika event broker's "
                   "queue (PATHFINDER_EVENT_BROKER_URL) instead of the tracker store")
    p.add_argument("--queue", default="rasa_core_events", help="the broker's queue "
                   "(default rasa_core_events)")
    p.add_argument("--exchange", default="rasa-exchange", help="the broker's fanout exchange "
                   "(default rasa-exchange, Rasa's)")
    p.set_defaults(func=cmd_consume)
