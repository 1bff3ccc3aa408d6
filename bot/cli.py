"""The ``pathfinder`` command: build the knowledge base, resolve titles, show occupations, run.

``--json`` output is a stable interface (documented in README.md, section "JSON output"):
fields are only ever added, never renamed or removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from knowledge.db import make_engine, session_factory
from knowledge.settings import PROJECT_ROOT, SettingsError, cli_settings

RESOLVE_SCHEMA = "pathfinder.resolve/1"
# var/ holds conversations (tracker.db), staff accounts and inquiries (pathfinder.sqlite) and
# logs: files the command and the services it starts create are for their owner only
# (files 0600, folders 0700), whatever the shell's umask.
PRIVATE_UMASK = 0o077
VAR_DIR = PROJECT_ROOT / "var"
OCCUPATION_SCHEMA = "pathfinder.occupation/1"
MAX_BATCH_LINE = 10_000
BATCH_SIZE = 256  # titles encoded together by --batch (one call: ~3.5x faster per title)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _dump(payload: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(payload, ensure_ascii=False, default=_json_default) + "\n")


# --- load-data ---------------------------------------------------------------------------------

def cmd_load_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from knowledge.loaders.pipeline import STEPS, load_all

    source = Path(args.data_dir) if args.data_dir else cli_settings().data_dir
    catalog = Path(args.catalog) if args.catalog else None
    engine = make_engine(args.database)
    with tqdm(total=len(STEPS), desc="Loading", unit="source", disable=args.quiet,
              file=sys.stderr) as bar:
        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        report = load_all(engine, source, catalog, on_step=step)
    if not args.quiet:
        print("Preparing the title resolver's meaning index (var/cache/; a minute or two the "
              "first time)…", file=sys.stderr)
    _index(args.database)  # encodes the titles and trains the classifier now, not at start-up
    if args.json:
        _dump({"schema": "pathfinder.load/1", **report.as_dict()}, sys.stdout)
    else:
        width = max(len(t) for t in report.rows)
        print("Rows loaded:")
        for table, count in report.rows.items():
            print(f"  {table:<{width}}  {count:>7,}")
        print(f"Skipped rows: {len(report.errors)}")
        for error in report.errors[:20]:
            print(f"  {error}")
        if len(report.errors) > 20:
            print(f"  … and {len(report.errors) - 20} more (use --json for all)")
    return 0


# --- resolve -----------------------------------------------------------------------------------

def _resolution_json(resolution: Any) -> dict[str, Any]:
    return {
        "schema": RESOLVE_SCHEMA,
        "query": resolution.query,
        "lang": resolution.lang,
        "status": resolution.status,
        "candidates": [
            {"noc": c.noc, "title": c.title, "score": round(c.score, 1),
             "matched_title": c.matched_title}
            for c in resolution.candidates
        ],
    }


def _batch_lines(source: TextIO) -> Iterator[str]:
    for line in source:
        yield line.rstrip("\n")[:MAX_BATCH_LINE]


def cmd_resolve(args: argparse.Namespace) -> int:
    from itertools import islice

    from knowledge.resolver import resolve_title, resolve_titles

    index = _index(args.database)
    if args.batch:
        with contextlib.ExitStack() as stack:
            source = sys.stdin if args.batch == "-" else stack.enter_context(
                open(args.batch, encoding="utf-8", errors="replace"))
            lines = _batch_lines(source)
            while chunk := list(islice(lines, BATCH_SIZE)):
                for resolution in resolve_titles(chunk, args.lang, args.top, index=index):
                    _dump(_resolution_json(resolution), sys.stdout)
        return 0
    if args.title is None:
        print("error: give a TITLE or --batch FILE", file=sys.stderr)
        return 2
    resolution = resolve_title(args.title, args.lang, args.top, index=index)
    if args.json:
        _dump(_resolution_json(resolution), sys.stdout)
        return 0
    labels = {"clear": "Clear match", "ambiguous": "Ambiguous: ask which one",
              "none": "No match"}
    print(f"{labels[resolution.status]} ({resolution.lang})")
    for c in resolution.candidates:
        print(f"  {c.noc}  {c.score:5.1f}  {c.title}   [matched: {c.matched_title}]")
    return 0 if resolution.status != "none" else 1


def _index(database: str | None) -> Any:
    from knowledge.resolver import index_from_database

    try:
        return index_from_database(database)
    except LookupError as exc:
        raise SystemExit(str(exc)) from exc


# --- occupation --------------------------------------------------------------------------------

def cmd_occupation(args: argparse.Namespace) -> int:
    from knowledge.occupations import occupation_profile

    with session_factory(make_engine(args.database))() as session:
        profile = occupation_profile(session, args.noc, args.region)
    if profile is None:
        print(f"error: {args.noc!r} is not a NOC 2021 unit group in the knowledge base",
              file=sys.stderr)
        return 2
    payload = {"schema": OCCUPATION_SCHEMA, **asdict(profile)}
    if args.json:
        _dump(payload, sys.stdout)
        return 0
    print(f"{profile.noc}  {profile.title_en}\n       {profile.title_fr}")
    print(f"TEER {profile.teer}")
    if profile.wage:
        w = profile.wage
        note = " (no figure for the region asked; wider region shown)" if w.is_fallback else ""
        print(f"Wages, {w.region_name} {w.year}{note}: low ${w.low}, median ${w.median}, "
              f"high ${w.high} an hour — {w.source}")
    else:
        print("Wages: no figure in the data")
    if profile.outlook:
        o = profile.outlook
        print(f"Outlook {o.period} ({o.region_name}): {o.label_en} / {o.label_fr} — {o.source}")
    else:
        print("Outlook: none published for this unit group")
    if profile.skills:
        print("Most needed: " + ", ".join(f"{s.name_en} ({s.level})" for s in profile.skills))
    return 0


# --- run ---------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    from bot.cluster import ClusterConfig, shared_services
    from bot.run import run
    from bot.stack import StackConfig, StackError

    replicas = args.replicas or cli_settings().replicas
    try:
        database, shared = args.database, None
        if replicas > 1:
            if args.tracker_db:
                raise StackError("--tracker-db is the SQLite file of one engine; replicas "
                                 "share PATHFINDER_TRACKER_DB_URL's PostgreSQL database.")
            database, shared = shared_services(cli_settings(), args.database, args.queue,
                                               args.exchange)
        config = StackConfig(
            root=PROJECT_ROOT, host=args.host, web_port=None if args.no_web else args.port,
            telegram_port=args.telegram_port if args.telegram else None,
            rasa_port=args.rasa_port, actions_port=args.actions_port,
            actions_workers=args.actions_workers,
            model=Path(args.model) if args.model else None,
            tracker_db=Path(args.tracker_db) if args.tracker_db else None,
            log_dir=Path(args.log_dir) if args.log_dir else None, database_url=database,
            unresponsive_after_s=args.restart_after, shared=shared)
        state_file = Path(args.state_file)
        if shared is None:
            return run(config, state_file=state_file)
        return run(ClusterConfig(config, replicas), state_file=state_file)
    except StackError as exc:
        # A setting some service cannot start with (the Stack checks each one's before it
        # starts any, e.g. --telegram without TELEGRAM_BOT_TOKEN): nothing was started.
        print(f"error: {exc}", file=sys.stderr)
        return 2


# --- status ------------------------------------------------------------------------------------

STATUS_SCHEMA = "pathfinder.status/1"
STATUS_UNHEALTHY = 3  # exit code: it runs, but a process does not answer


def cmd_status(args: argparse.Namespace) -> int:
    from bot.run import NotRunning, status, status_table

    try:
        processes = status(Path(args.state_file))
    except NotRunning as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        _dump({"schema": STATUS_SCHEMA, "processes": processes}, sys.stdout)
    else:
        print(status_table(processes))
    return 0 if all(p["healthy"] for p in processes) else STATUS_UNHEALTHY


# --- catalog import ----------------------------------------------------------------------------

def cmd_catalog_import(args: argparse.Namespace) -> int:
    from knowledge.catalog_import import ImportRefused, import_programs
    from knowledge.resolver import index_from_database

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    engine = make_engine(args.database)
    try:
        with session_factory(engine)() as session:
            report = import_programs(session, content, path.name, args.format,
                                     args.institution, index_from_database(args.database))
    except (ImportRefused, LookupError) as exc:
        print(f"{path.name}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.json:
        _dump({"schema": "pathfinder.catalog-import/1", **report.as_dict()}, sys.stdout)
    elif report.ok:
        print(f"Imported {path.name}: {len(report.added)} added, {len(report.updated)} "
              f"updated, {report.suggestions} tag suggestions to review.")
    else:
        for error in report.errors:
            print(error, file=sys.stderr)
        print(f"Nothing imported: {len(report.errors)} malformed row(s).", file=sys.stderr)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathfinder", description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: PATHFINDER_DATABASE_URL "
                        "or SQLite under var/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load-data", help="build the knowledge base from data/")
    p.add_argument("--data-dir", help="folder with the open-data files (default: data/)")
    p.add_argument("--catalog", help="folder with institutions.csv, skills.csv and "
                   "programs.json|csv (default: data/catalog, the SAMPLE catalog)")
    p.add_argument("--json", action="store_true", help="print the load report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_load_data)

    p = sub.add_parser("resolve", help="resolve a job title to NOC 2021 occupations")
    p.add_argument("title", nargs="?", help="the job title, as a person would type it")
    p.add_argument("--lang", choices=["en", "fr"], help="language of the title (default: detect)")
    p.add_argument("--top", type=int, default=5, help="number of candidates (default 5)")
    p.add_argument("--json", action="store_true", help="one JSON object (schema "
                   f"{RESOLVE_SCHEMA})")
    p.add_argument("--batch", metavar="FILE", help="one title per line ('-' = stdin); "
                   "prints one JSON line per title")
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("occupation", help="titles, TEER, wages, outlook and skills of a NOC")
    p.add_argument("noc", help="five-digit NOC 2021 code, e.g. 33102")
    p.add_argument("--region", default="ER35", help="Job Bank economic region code "
                   "(ER35 Ontario, ER3530 Toronto, ...; default ER35)")
    p.add_argument("--json", action="store_true", help=f"JSON (schema {OCCUPATION_SCHEMA})")
    p.set_defaults(func=cmd_occupation)

    p = sub.add_parser("run", help="start Pathfinder: actions server, Rasa engine and web "
                       "app with the chat page; Ctrl-C stops them all")
    p.add_argument("--host", default="127.0.0.1", help="interface the public services (web "
                   "app, Rasa's REST channel) listen on (default 127.0.0.1; 0.0.0.0 to allow "
                   "other machines); the actions server stays on 127.0.0.1")
    p.add_argument("--port", "--web-port", type=int, default=8000, dest="port",
                   help="web app and chat page port (default 8000)")
    p.add_argument("--rasa-port", type=int, default=5005, help="Rasa engine (default 5005)")
    p.add_argument("--actions-port", type=int, default=5055,
                   help="actions server (default 5055; replicas' are on free ports)")
    p.add_argument("--actions-workers", type=int, default=1, help="actions server worker "
                   "processes (default 1; 2 serves ~1.5x more turns/s under load)")
    p.add_argument("--no-web", action="store_true", help="do not start the web app")
    p.add_argument("--telegram", action="store_true", help="also start the Telegram "
                   "connector in polling mode (needs TELEGRAM_BOT_TOKEN)")
    p.add_argument("--telegram-port", type=int, default=8081, help="the Telegram connector's "
                   "health endpoint (default 8081)")
    p.add_argument("--model", help="Rasa model (default models/pathfinder.tar.gz)")
    p.add_argument("--tracker-db", help="SQLite file for conversations (default: the file "
                   "of PATHFINDER_TRACKER_DB_URL, var/tracker.db)")
    p.add_argument("--log-dir", help="one log file per service (default var/log)")
    p.add_argument("--restart-after", type=float, default=30.0, metavar="SECONDS",
                   help="restart a service that has not answered its health check for this "
                   "long (default 30)")
    p.add_argument("--replicas", type=_replicas, metavar="N", help="N Rasa engines, actions "
                   "servers and web apps behind HAProxy on the same public ports, sharing "
                   "PostgreSQL, Redis and RabbitMQ; each replica on free loopback ports "
                   "(default: PATHFINDER_REPLICAS, 1: one of each, as above; README, "
                   "'Several replicas')")
    p.add_argument("--queue", default="rasa_core_events", help="with --replicas: the "
                   "RabbitMQ queue of Rasa's events (default rasa_core_events)")
    p.add_argument("--exchange", default="rasa-exchange", help="with --replicas: the "
                   "RabbitMQ fanout exchange the engines publish to (default rasa-exchange)")
    _state_file_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", help="the processes of the running `pathfinder run`: role, "
                       "port, pid and whether each answers its health check now (exit 1: "
                       f"nothing runs; {STATUS_UNHEALTHY}: a process does not answer)")
    p.add_argument("--json", action="store_true", help=f"JSON (schema {STATUS_SCHEMA})")
    _state_file_option(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("catalog", help="institutions' program catalog")
    catalog_sub = p.add_subparsers(dest="catalog_command", required=True)
    p = catalog_sub.add_parser("import", help="import programs from a CSV or JSON file, all "
                               "or nothing (format: README, 'Importing programs')")
    p.add_argument("file", help="programs .csv or .json")
    p.add_argument("--institution", help="refuse rows of any other institution")
    p.add_argument("--format", choices=["csv", "json"], help="default: from the file name")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_catalog_import)

    from bot.console.commands import add_parsers as add_console_parsers

    add_console_parsers(sub)  # staff add, conversations purge

    from bot.events.cli import add_parsers as add_events_parsers

    add_events_parsers(sub)  # events consume
    return parser


def _replicas(value: str) -> int:
    """--replicas: PATHFINDER_REPLICAS' parser, its message without the variable's name."""
    from knowledge.settings import REPLICAS, SettingsError

    try:
        replicas: int = REPLICAS.parse("--replicas", value)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--replicas ")) from None
    return replicas


def _state_file_option(parser: argparse.ArgumentParser) -> None:
    from bot.run import STATE_FILE

    parser.add_argument("--state-file", default=str(STATE_FILE), help="where `run` lists its "
                        "processes for `status` (default var/run/processes.json)")


def make_private(folder: Path) -> None:
    """Take group and other permissions off ``folder`` and everything in it (what an older
    version, or a permissive umask, left readable). Symbolic links are not followed."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for path in (folder, *folder.rglob("*")):
        with contextlib.suppress(OSError):  # vanished meanwhile, or not ours: leave it
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
                path.chmod(stat.S_IMODE(mode) & ~0o077)


def main(argv: Sequence[str] | None = None) -> int:
    # First, so every file this process and its children (Rasa, the web app) create inherits it.
    os.umask(PRIVATE_UMASK)
    make_private(VAR_DIR)
    args = build_parser().parse_args(argv)
    try:
        cli_settings()  # every setting of the command, checked before it does anything
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
