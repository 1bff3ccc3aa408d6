"""The console's ``pathfinder`` subcommands (registered by bot/cli.py):

- ``pathfinder staff add EMAIL``: create a staff account; the password is asked twice on a
  terminal, or read from the first line of standard input (``--password-stdin``).
- ``pathfinder conversations purge [--days N]``: delete conversation events older than N days
  (default PATHFINDER_RETENTION_DAYS) from Rasa's tracker store, with the console's flags
  and notes on them. Run it daily (cron, a systemd timer) to apply the retention setting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from typing import Any

from sqlalchemy import delete, tuple_

from bot.console.accounts import AccountError, create_account
from bot.console.conversations import purge_events
from knowledge.db import make_engine, migrate, session_factory
from knowledge.models import TurnAnnotation, utc_naive
from knowledge.settings import TRACKER_DB_URL, SettingsError, cli_settings


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _tracker_db_url(value: str) -> str:
    """--tracker-db-url: PATHFINDER_TRACKER_DB_URL's parser (a relative SQLite file is under
    the project root, as the variable's), its error without the value (it may hold a
    password: argparse's own message would repeat it)."""
    try:
        return TRACKER_DB_URL.parse("--tracker-db-url", value)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--tracker-db-url ")) from None


def cmd_staff_add(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            account = create_account(session, args.email, _read_password(args))
            print(f"Staff account {account.email} created; log in at /console/login.")
        return 0
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def cmd_purge(args: argparse.Namespace) -> int:
    days = args.days if args.days is not None else cli_settings().retention_days
    if days is None or days < 1:
        print("error: give --days N (at least 1) or set PATHFINDER_RETENTION_DAYS",
              file=sys.stderr)
        return 2
    cutoff = utc_naive() - dt.timedelta(days=days)
    url = args.tracker_db_url or cli_settings().tracker_db_url
    removed, messages = purge_events(url, cutoff)
    engine = make_engine(args.database)
    try:
        migrate(engine)
        # The console's summaries and counts forget what was deleted (bot/events/).
        from bot.events.cli import ref_key
        from bot.events.consumer import after_purge

        after_purge(url, engine, cutoff.replace(tzinfo=dt.UTC).timestamp(), ref_key())
        with session_factory(engine)() as session:
            for start in range(0, len(messages), 500):
                chunk = messages[start:start + 500]
                session.execute(delete(TurnAnnotation).where(
                    tuple_(TurnAnnotation.sender_id, TurnAnnotation.event_id).in_(chunk)))
            session.commit()
    finally:
        engine.dispose()
    print(f"Deleted {removed} events older than {days} days (before {cutoff:%Y-%m-%d %H:%M} "
          f"UTC), {len(messages)} of them user messages.")
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``staff`` and ``conversations`` on the ``pathfinder`` parser's subparsers."""
    staff = sub.add_parser("staff", help="staff console accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    p = staff_sub.add_parser("add", help="create a staff account (asks for the password)")
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    p.set_defaults(func=cmd_staff_add)

    conversations = sub.add_parser("conversations", help="conversations in the tracker store")
    conv_sub = conversations.add_subparsers(dest="conversations_command", required=True)
    p = conv_sub.add_parser("purge", help="delete conversation events older than N days")
    p.add_argument("--days", type=int, help="retention in days (default: "
                   "PATHFINDER_RETENTION_DAYS)")
    p.add_argument("--tracker-db-url", type=_tracker_db_url,
                   help="Rasa's tracker store (default: PATHFINDER_TRACKER_DB_URL or "
                   "sqlite:///var/tracker.db; a relative SQLite file is under the project "
                   "root)")
    p.set_defaults(func=cmd_purge)
