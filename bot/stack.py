"""Start and stop Pathfinder's three processes: the actions server, the Rasa engine, the web app.

One process manager for ``pathfinder run`` and for the end-to-end tests, so both run the
services exactly the same way (``pathfinder run --replicas N`` runs N stacks on loopback,
bot/cluster.py, with ``StackConfig.shared`` naming the stores they share)::

    with Stack(StackConfig(root=PROJECT_ROOT), on_progress=print) as stack:
        httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={...})

Each service runs in its own process group (the actions server's Sanic forks workers), so
stopping a service stops everything it started. Logs go to one file per service in
``log_dir``; a service that dies or never becomes healthy raises ``StackError`` with the
tail of its log.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import unquote, urlencode, urlsplit

from bot.engine.serve import RASA_TELEMETRY_ENV
from knowledge.settings import (
    DEFAULT_TRACKER_DB,
    PROJECT_ROOT,
    RASA_TOKEN_ENV,
    SECRET_KEY_ENV,
    TRACKER_DB_URL,
    ActionsSettings,
    CliSettings,
    EngineSettings,
    SettingsError,
    WebSettings,
    cli_settings,
)

SERVICES = ("actions", "rasa", "web", "telegram")
LABELS = {"actions": "actions server", "rasa": "Rasa engine", "web": "web app",
          "telegram": "Telegram connector", "balancer": "load balancer (HAProxy)",
          "events": "events consumer"}
# What `pathfinder status` calls each service (bot/cluster.py's balancer and events are
# named so already).
ROLES = {"actions": "actions", "rasa": "engine", "web": "web", "telegram": "telegram"}
STOP_GRACE_S = 10.0
RESTART_GRACE_S = 2.0
# The actions server has no authentication of its own (any caller could run any action on
# any tracker it makes up): only the engine on this machine calls it, so it never listens on
# another interface, whatever --host says.
INTERNAL_HOST = "127.0.0.1"
LOG_TAIL_LINES = 40
POLL_S = 0.25


class StackError(RuntimeError):
    """A service could not start (port taken, crashed, not healthy in time)."""


@dataclass(frozen=True)
class SharedServices:
    """What the engines of several replicas share (``pathfinder run --replicas``): Rasa's SQL
    tracker store on PostgreSQL, Redis for Rasa's lock store (one conversation's turns one
    after the other, whichever engine takes them) and RabbitMQ for Rasa's Pika event broker
    (the events consumer reads its queue). The URLs may hold passwords: not in the repr."""

    tracker_store_url: str = field(repr=False)   # SQLAlchemy URL, PostgreSQL
    redis_url: str = field(repr=False)           # redis:// or rediss://
    broker_url: str = field(repr=False)          # amqp:// or amqps://
    queue: str                                   # the events consumer's queue
    exchange: str                                # the fanout exchange the engines publish to


@dataclass(frozen=True)
class StackConfig:
    root: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int | None = 8000          # None: no web app
    # The Telegram connector (polling mode; needs TELEGRAM_BOT_TOKEN) serves /health here.
    telegram_port: int | None = None     # None: no Telegram connector
    model: Path | None = None            # default root/models/pathfinder.tar.gz
    # The SQLite tracker store; default: the file of PATHFINDER_TRACKER_DB_URL, var/tracker.db.
    tracker_db: Path | None = None
    database_url: str | None = None      # PATHFINDER_DATABASE_URL for actions and web app
    log_dir: Path | None = None          # default root/var/log
    host: str = "127.0.0.1"
    actions_package: str = "actions"     # what `python -m actions.server --actions` loads
    actions_workers: int = 1             # Sanic workers of the actions server (each one
                                         # builds its own occupation index)
    # Extra environment for the Rasa engine (e.g. PATHFINDER_TURN_TIMEOUT_S).
    rasa_env: Mapping[str, str] = field(default_factory=dict)
    # A service whose health check has failed for this long is restarted (`pathfinder run`).
    unresponsive_after_s: float = 30.0
    # Extra environment for the web app (a replica's: the balancer as trusted proxy, Redis).
    web_env: Mapping[str, str] = field(default_factory=dict)
    # A replica's (bot/cluster.py): the stores its engine shares with the others, instead of
    # the SQLite tracker_db; None: this stack's engine keeps conversations alone.
    shared: SharedServices | None = None
    # Where the web app and the Telegram connector relay turns (a replica's: the balancer,
    # so that a dead engine's conversations go on on another); None: this stack's engine.
    relay_rasa_url: str | None = None

    def __post_init__(self) -> None:
        root = Path(self.root).resolve()
        # Frozen: fill in the defaults that depend on root once, here.
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "model", Path(self.model or root / "models/pathfinder.tar.gz"))
        if self.shared is None:  # a shared tracker store is no file
            object.__setattr__(self, "tracker_db", Path(self.tracker_db or tracker_db_file()))
        object.__setattr__(self, "log_dir", Path(self.log_dir or root / "var/log"))

    @property
    def model_path(self) -> Path:
        assert self.model is not None
        return self.model

    @property
    def tracker_db_path(self) -> Path:
        assert self.tracker_db is not None, "a replica's tracker store is shared, no file"
        return self.tracker_db

    @property
    def tracker_store_url(self) -> str:
        """The SQLAlchemy URL of the conversations this stack's engine writes."""
        if self.shared is not None:
            return self.shared.tracker_store_url
        return f"sqlite:///{self.tracker_db_path}"

    @property
    def log_path(self) -> Path:
        assert self.log_dir is not None
        return self.log_dir


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: connections in TIME_WAIT after a restart do not count as "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS reports free now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of a GET; (0, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (local URL)
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""
    except (OSError, ValueError):
        return 0, b""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class ManagedProcess:
    """One long-running command in its own process group, logging to a file."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_file: Path
    is_healthy: Callable[[], bool]
    port: int | None                    # None: it listens on no port (the events consumer)
    host: str
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    other_ports: tuple[int, ...] = ()   # more ports it listens on, on ``host`` (the balancer)
    # What `pathfinder status` probes (200: healthy); no secret in it. None: no HTTP health.
    health_url: str | None = None

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def launch(self) -> None:
        if self.running():
            return
        self.check_port()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_file, "ab")  # noqa: SIM115 (kept open while the process runs)
        self._log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {self.argv}\n".encode())
        self._log.flush()
        self.popen = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def check_port(self) -> None:
        ports = (() if self.port is None else (self.port,)) + self.other_ports
        for port in ports:
            if not port_is_free(self.host, port):
                raise StackError(
                    f"Port {port} on {self.host} is already in use, so the {self.label} "
                    f"cannot start. Stop the program using it (e.g. an earlier `pathfinder "
                    f"run`; `ss -ltnp 'sport = :{port}'` shows which) or choose another port.")

    def wait_healthy(self, deadline: float) -> None:
        while True:
            if self.popen is None or self.popen.poll() is not None:
                code = None if self.popen is None else self.popen.returncode
                raise StackError(f"The {self.label} exited (code {code}) while starting. "
                                 f"Last lines of {self.log_file}:\n{log_tail(self.log_file)}")
            if self.is_healthy():
                return
            if time.monotonic() > deadline:
                raise StackError(f"The {self.label} did not become ready in time. "
                                 f"Last lines of {self.log_file}:\n{log_tail(self.log_file)}")
            time.sleep(POLL_S)

    def terminate(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds, and wait
        until every process of the group is gone (forked workers too, not just the leader)."""
        popen, self.popen = self.popen, None
        if popen is not None:
            pgid = popen.pid
            _signal_group(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=grace)
            if not _wait_group_gone(pgid, max(0.0, grace / 2)):
                _signal_group(pgid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(timeout=5)
                _wait_group_gone(pgid, 5)
        if self._log is not None:
            self._log.close()
            self._log = None


def group_processes(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    if not Path("/proc/self/stat").exists():
        return False  # no /proc: rely on SIGKILL
    deadline = time.monotonic() + timeout
    while group_processes(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def index_tracker_store(tracker_db: Path) -> None:
    """Index events.sender_id: Rasa added the index without a migration (see RASA_NOTES)."""
    with contextlib.closing(sqlite3.connect(tracker_db, timeout=10)) as conn:
        has_events = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
        if has_events:
            conn.execute("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)")
            conn.commit()


def _settings() -> CliSettings:
    try:
        return cli_settings()
    except SettingsError as exc:
        raise StackError(str(exc)) from None


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL (``sqlite:////abs/path``: absolute), else None."""
    scheme, sep, rest = url.partition(":///")
    path = rest.split("?")[0]
    return Path(path) if sep and scheme.split("+")[0] == "sqlite" and path else None


def tracker_db_file() -> Path:
    """Where a stack's engine keeps conversations, when StackConfig does not say: the file of
    PATHFINDER_TRACKER_DB_URL (its parser has put a relative file under the project root),
    which the console and `pathfinder conversations purge` read too."""
    path = sqlite_file(_settings().tracker_db_url)
    if path is None or not path.is_absolute():  # not a file: sqlite:///:memory:, a file: URI
        raise StackError(f"{TRACKER_DB_URL.name} must be a sqlite:///FILE URL here: the engine "
                         "of pathfinder run keeps conversations in SQLite (--tracker-db FILE "
                         "chooses another file).")
    return path


def rasa_token_for_run() -> str:
    """The token that protects Rasa's HTTP API for this run: ``PATHFINDER_RASA_TOKEN``, else
    a new random one (only this run's processes know it)."""
    return _settings().rasa_token or secrets.token_urlsafe(32)


def secret_key_for(config: StackConfig) -> str:
    """The key of the conversation pseudonyms in program links: ``PATHFINDER_SECRET_KEY``,
    else the one kept in ``var/secret.key`` (made once, readable by its owner only), so
    that clicks still match their conversations after a restart."""
    key = link_key(config.root, _settings().secret_key)
    if not key:
        path = config.root / "var" / "secret.key"
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: never overwrite a key another run has just written (it would win).
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
        key = path.read_text(encoding="utf-8").strip()
    return key


def link_key(root: Path, given: bytes | None) -> str:
    """The key of the links' pseudonyms, without making one: ``given``
    (PATHFINDER_SECRET_KEY), else the one in ``root/var/secret.key``, else "" (none, or
    unreadable). `pathfinder events consume` and `conversations purge` read it so."""
    if given:
        return given.decode("utf-8")
    with contextlib.suppress(OSError):
        return (root / "var" / "secret.key").read_text(encoding="utf-8").strip()
    return ""


def app_python(root: Path) -> str:
    """The app environment's Python (.venv), else this one."""
    venv_python = root / ".venv/bin/python"
    return str(venv_python) if venv_python.exists() else sys.executable


def engine_argv(root: Path, *args: str) -> list[str]:
    """``rasa run --enable-api ARGS`` through bot.engine.serve, which adds the API's token
    from the environment (not argv: ``ps`` shows argv to every local user)."""
    return [str(root / ".venv-engine/bin/python"), "-m", "bot.engine.serve", "run",
            "--enable-api", *args]


def engine_env(token: str) -> dict[str, str]:
    """The environment an engine started by :func:`engine_argv` needs besides its own."""
    return {RASA_TOKEN_ENV: token,
            # Rasa 3.6 reports usage to Segment and its errors to Sentry unless told not to
            # (rasa/telemetry.py: error reporting starts only while telemetry is on, by this
            # variable, else by ~/.config/rasa/global.yml, yes by default). No data leaves
            # the machine (bot/engine/serve.py sets it too, for an engine started by hand).
            RASA_TELEMETRY_ENV: "false",
            # Sanic's own settings: its access log would hold the ?token= of API calls, and it
            # refuses a larger body with 413 before reading it (its default: 100 MB).
            "SANIC_ACCESS_LOG": "False",
            "SANIC_REQUEST_MAX_SIZE": str(_settings().max_body_bytes)}


ROOT_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"
ROOT_ENDPOINTS_INTRO = """\
# Where the Rasa engine finds the actions server and keeps conversations, for `rasa`
# commands run by hand from the repository root (`pathfinder run` writes its own file,
# var/log/endpoints.yml, with its ports and PATHFINDER_TRACKER_DB_URL's file).
#
# Written by bot/stack.py (root_endpoints_yaml) the one way every endpoints file is, and
# tests/test_settings.py fails when it is not current; to write it again:
#   .venv/bin/python -c 'import bot.stack; bot.stack.write_root_endpoints()'
# Rasa 3.6 expands ${VAR} in this file, but has no default syntax and refuses to start when
# a variable is unset: so it holds the defaults. A deployment passes its own file with
# `rasa run --endpoints FILE` (on PostgreSQL: dialect "postgresql", host, port, db,
# username, password).
"""


def endpoints_yaml(actions_port: int, stores: Path | SharedServices, intro: str) -> str:
    """Rasa's endpoints file, ``intro`` (comment lines) first: our actions server and our
    redacting tracker store, in ``stores``: a SQLite file (one engine), or the services
    replicas share (PostgreSQL, with Redis for the lock store and RabbitMQ for the event
    broker). The one way Pathfinder makes one: each run's (write_endpoints) and the
    repository's endpoints.yml (root_endpoints_yaml)."""
    # JSON strings are valid YAML scalars: paths with odd characters stay safe.
    text = (
        intro
        + "\n"
        "action_endpoint:\n"
        f"  url: {json.dumps(f'http://{INTERNAL_HOST}:{actions_port}/webhook')}\n"
        "  # No action reads the domain: without this Rasa serialises and posts all of it\n"
        "  # (every response, EN and FR) with each action call (actions/server.py).\n"
        "  enable_selective_domain: true\n"
        "\n"
        "# Rasa's SQL store (same table), redacting emails, phone numbers, etc. before it\n"
        "# writes (bot/engine/tracker_store.py).")
    if isinstance(stores, Path):
        return text + (
            " SQLite does not create the file's folder.\n"
            "tracker_store:\n"
            "  type: bot.engine.tracker_store.RedactingSQLTrackerStore\n"
            '  dialect: "sqlite"\n'
            f"  db: {json.dumps(stores.as_posix())}\n")
    return text + " Shared by every replica's engine.\n" + _shared_stores_yaml(stores)


def _yaml_keys(values: Mapping[str, object]) -> str:
    """``  key: value`` lines (JSON scalars are YAML), None values left out."""
    return "".join(f"  {key}: {json.dumps(value)}\n" for key, value in values.items()
                   if value is not None)


def _shared_stores_yaml(shared: SharedServices) -> str:
    """The tracker store, lock store and event broker sections of a replica's endpoints."""
    from sqlalchemy.engine import make_url

    tracker = make_url(shared.tracker_store_url)
    if tracker.get_backend_name() != "postgresql":
        raise StackError("Replicas share Rasa's tracker store on PostgreSQL: "
                         "PATHFINDER_TRACKER_DB_URL must be a postgresql:// URL.")
    redis = urlsplit(shared.redis_url)
    if redis.scheme not in ("redis", "rediss") or not redis.hostname:
        raise StackError("Rasa's lock store reaches Redis by host and port: "
                         "PATHFINDER_REDIS_URL must be a redis:// or rediss:// URL.")
    broker = urlsplit(shared.broker_url)
    # Rasa's broker puts USER:PASSWORD back into the URL itself: they stay URL-encoded.
    broker_user, _, broker_password = broker.netloc.rpartition("@")[0].partition(":")
    broker_port = broker.port or (5671 if broker.scheme == "amqps" else 5672)
    return (
        "tracker_store:\n"
        "  type: bot.engine.tracker_store.RedactingSQLTrackerStore\n"
        '  dialect: "postgresql"\n'  # the engine's driver, psycopg2
        # Rasa passes a custom store's `url` as its `host` (SQLTrackerStore's signature).
        + _yaml_keys({"url": tracker.host, "port": tracker.port, "db": tracker.database,
                      "username": tracker.username, "password": tracker.password,
                      "query": dict(tracker.query) or None})
        + "\n"
        "# One conversation's turns one after the other, whichever engine takes them\n"
        "# (Rasa's own Redis store is not atomic: bot/engine/lock_store.py).\n"
        "lock_store:\n"
        "  type: bot.engine.lock_store.AtomicRedisLockStore\n"
        + _yaml_keys({"url": redis.hostname, "port": redis.port or 6379,
                      "db": int(redis.path.strip("/") or 0),
                      "username": unquote(redis.username) if redis.username else None,
                      "password": unquote(redis.password) if redis.password else None,
                      "use_ssl": redis.scheme == "rediss" or None})
        + "\n"
        "# Every event, as stored, to the events consumer's queue (bot/events/amqp.py).\n"
        "event_broker:\n"
        "  type: pika\n"
        + _yaml_keys({"url": f"{broker.scheme}://{broker.hostname}:{broker_port}{broker.path}",
                      "port": broker_port, "username": broker_user or "guest",
                      "password": broker_password or "guest", "queues": [shared.queue],
                      "exchange_name": shared.exchange}))


def root_endpoints_yaml() -> str:
    """What the repository's endpoints.yml holds: StackConfig's default actions port and the
    default tracker store, relative to the root (where `rasa` commands run)."""
    return endpoints_yaml(StackConfig.actions_port, DEFAULT_TRACKER_DB, ROOT_ENDPOINTS_INTRO)


def write_root_endpoints() -> None:
    ROOT_ENDPOINTS.write_text(root_endpoints_yaml(), encoding="utf-8")


def write_endpoints(config: StackConfig) -> Path:
    """Rasa's endpoints file for this run (a replica's holds the shared stores' passwords:
    readable by its owner only, as everything under var/)."""
    path = config.log_path / "endpoints.yml"
    write_private(path, endpoints_yaml(
        config.actions_port, config.shared or config.tracker_db_path,
        "# Generated by bot/stack.py for this run; change StackConfig (or "
        "PATHFINDER_TRACKER_DB_URL) instead.\n"))
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``path`` readable by its owner only, whatever the umask (a file that may hold
    a password: an endpoints file, the balancer's configuration, the run's state)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def client_host(host: str) -> str:
    """The address a client on this machine reaches a server listening on ``host`` at."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


class Stack:
    """The actions server, the Rasa engine and (optionally) the web app, as a context manager."""

    def __init__(self, config: StackConfig,
                 on_progress: Callable[[str], None] | None = None,
                 rasa_token: str | None = None) -> None:
        self.config = config
        self._progress = on_progress or (lambda _message: None)
        # Read by every client of Rasa's HTTP API that this stack starts (web app, Telegram);
        # ``rasa_token``: the one of every replica of a cluster (a relay may reach any engine).
        self.rasa_token = rasa_token or rasa_token_for_run()
        # What the engine's relays (web app, Telegram) need: the token shows the REST channel
        # they may speak for web-/telegram- conversations; the key makes program links.
        self._client_secrets = {RASA_TOKEN_ENV: self.rasa_token,
                                SECRET_KEY_ENV: secret_key_for(config)}
        self._services: dict[str, ManagedProcess] = {}
        for name in SERVICES:
            if name == "web" and config.web_port is None:
                continue
            if name == "telegram" and config.telegram_port is None:
                continue
            self._services[name] = self._build(name)
            self._check_settings(name)
        self._stopped = True

    # --- URLs --------------------------------------------------------------------------------

    @property
    def rasa_url(self) -> str:
        return f"http://{client_host(self.config.host)}:{self.config.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{INTERNAL_HOST}:{self.config.actions_port}"

    @property
    def web_url(self) -> str:
        if self.config.web_port is None:
            raise StackError("this stack runs without the web app (web_port=None)")
        return f"http://{client_host(self.config.host)}:{self.config.web_port}"

    @property
    def relay_rasa_url(self) -> str:
        """Where this stack's web app and Telegram connector send turns."""
        return self.config.relay_rasa_url or self.rasa_url

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self._services)

    def process(self, name: str) -> ManagedProcess:
        """The service's process (bot/cluster.py supervises a replica's one by one)."""
        return self._service(name)

    def pids(self) -> dict[str, int]:
        """Process-group leader pid of each running service (process group id = pid)."""
        return {name: s.popen.pid for name, s in self._services.items()
                if s.popen is not None and s.running()}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 300) -> None:
        """Start every service in order, each once the previous one is healthy."""
        if not self.config.model_path.is_file():
            raise StackError(f"No Rasa model at {self.config.model_path}: run `make train`.")
        # Say which port is taken now, not after a minute of loading the model.
        for service in self._services.values():
            service.check_port()
        if self.config.shared is None:
            self.config.tracker_db_path.parent.mkdir(parents=True, exist_ok=True)
        self._stopped = False
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        try:
            for name in self._services:
                self._start(name, deadline)
        except BaseException:
            self.stop()
            raise

    def start_service(self, name: str, timeout: float = 300) -> None:
        self._start(name, time.monotonic() + timeout)

    def stop_service(self, name: str) -> None:
        self._service(name).terminate()

    def restart_service(self, name: str, timeout: float = 300) -> None:
        """Kill a service that no longer answers (no grace: a frozen one would not stop)
        and start it again."""
        self._service(name).terminate(grace=RESTART_GRACE_S)
        self._start(name, time.monotonic() + timeout)

    def is_running(self, name: str) -> bool:
        return self._service(name).running()

    def unhealthy(self) -> list[str]:
        """The running services whose health check does not answer now."""
        return [name for name, service in self._services.items()
                if service.running() and not service.is_healthy()]

    def stop(self) -> None:
        """Stop the services in reverse order; safe to call more than once."""
        for service in reversed(list(self._services.values())):
            service.terminate()
        if not self._stopped:
            self._stopped = True
            atexit.unregister(self.stop)

    def poll(self) -> str | None:
        """Name of a service that was started and has since exited, if any."""
        for name, service in self._services.items():
            if service.popen is not None and service.popen.poll() is not None:
                return name
        return None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- internals ---------------------------------------------------------------------------

    def _service(self, name: str) -> ManagedProcess:
        try:
            return self._services[name]
        except KeyError:
            raise StackError(f"unknown service {name!r}; this stack has "
                             f"{', '.join(self._services)}") from None

    def _start(self, name: str, deadline: float) -> None:
        service = self._service(name)
        if service.running():
            return
        note = " (loading the model takes about a minute)" if name == "rasa" else ""
        self._progress(f"Starting the {service.label} on port {service.port}{note}…")
        started = time.monotonic()
        if name == "rasa":
            write_endpoints(self.config)
        service.launch()
        service.wait_healthy(deadline)
        if name == "rasa" and self.config.shared is None:  # Rasa indexes a new table itself
            index_tracker_store(self.config.tracker_db_path)
        self._progress(f"The {service.label} is ready ({time.monotonic() - started:.1f} s).")

    def _env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        # Only the services that need a secret get it (see _client_secrets, engine_env).
        env.pop(RASA_TOKEN_ENV, None)
        env.pop(SECRET_KEY_ENV, None)
        if self.config.database_url:
            env["PATHFINDER_DATABASE_URL"] = self.config.database_url
        env.update(extra)
        return env

    def _check_settings(self, name: str) -> None:
        """What the service would refuse as it starts, said before any service starts (the
        engine's start alone takes a minute): its settings, from the environment it gets."""
        from connectors.telegram.settings import Settings as TelegramSettings  # needs httpx

        read: dict[str, Callable[[Mapping[str, str]], object]] = {
            "actions": ActionsSettings.from_env, "rasa": EngineSettings.from_env,
            "web": WebSettings.from_env, "telegram": TelegramSettings.from_env}
        try:
            read[name](self._service(name).env)
        except SettingsError as exc:
            raise StackError(f"The {LABELS[name]} cannot start: {exc}") from None

    def _app_python(self) -> str:
        return app_python(self.config.root)

    def _build(self, name: str) -> ManagedProcess:
        c = self.config
        log = c.log_path / f"{name}.log"
        if name == "actions":
            url = f"{self.actions_url}/health"
            return ManagedProcess(
                name, [self._app_python(), "-m", "actions.server", "--actions", c.actions_package,
                       "-p", str(c.actions_port)],
                c.root, self._env(SANIC_HOST=INTERNAL_HOST, PYTHONUNBUFFERED="1",
                                  ACTION_SERVER_SANIC_WORKERS=str(c.actions_workers)), log,
                lambda: http_get(url)[0] == 200, c.actions_port, INTERNAL_HOST, health_url=url)
        if name == "rasa":
            base = f"http://{client_host(c.host)}:{c.rasa_port}"
            # engine_env last: no rasa_env may undo the API's protection.
            env = self._env(**{"TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                               "PYTHONUNBUFFERED": "1", **c.rasa_env,
                               **engine_env(self.rasa_token)})
            # The custom NLU component and channel import bot.engine.* from the repo root.
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(c.root), env.get("PYTHONPATH", "")) if p)
            endpoints = c.log_path / "endpoints.yml"
            # No --cors: no web page may call the engine; the widget reaches it through the
            # web app.
            return ManagedProcess(
                name, engine_argv(c.root, "-m", str(c.model_path), "--endpoints", str(endpoints),
                                  "--credentials", str(c.root / "credentials.yml"),
                                  "-i", c.host, "-p", str(c.rasa_port)),
                c.root, env, log, lambda: self._rasa_ready(base), c.rasa_port, c.host,
                # Rasa answers / once its model is loaded (it loads before it listens).
                health_url=f"{base}/")
        if name == "web":
            assert c.web_port is not None
            url = f"http://{client_host(c.host)}:{c.web_port}/health"
            # The staff console reads the conversations this stack's Rasa writes.
            env = self._env(PATHFINDER_RASA_URL=self.relay_rasa_url, PYTHONUNBUFFERED="1",
                            **c.web_env, **self._client_secrets,
                            PATHFINDER_TRACKER_DB_URL=c.tracker_store_url)
            return ManagedProcess(
                name, [self._app_python(), "-m", "uvicorn", "bot.api.app:create_app",
                       "--factory", "--host", c.host, "--port", str(c.web_port),
                       # The client address is bot/api/client_address.py's to decide
                       # (PATHFINDER_TRUSTED_PROXIES): uvicorn would trust 127.0.0.1's
                       # X-Forwarded-For.
                       "--no-proxy-headers"],
                c.root, env, log, lambda: http_get(url)[0] == 200, c.web_port, c.host,
                health_url=url)
        if name == "telegram":
            assert c.telegram_port is not None
            url = f"http://{client_host(c.host)}:{c.telegram_port}/health"
            return ManagedProcess(
                name, [self._app_python(), "-m", "connectors.telegram", "--mode", "polling",
                       "--rasa-url", self.relay_rasa_url, "--host", c.host,
                       "--port", str(c.telegram_port)],
                c.root, self._env(PYTHONUNBUFFERED="1", **self._client_secrets), log,
                lambda: http_get(url)[0] == 200, c.telegram_port, c.host, health_url=url)
        raise StackError(f"unknown service {name!r}")

    def _rasa_ready(self, base: str) -> bool:
        if http_get(f"{base}/")[0] != 200:
            return False
        status, body = http_get(f"{base}/status?{urlencode({'token': self.rasa_token})}")
        if status != 200:
            return False  # 409 until the model is loaded
        with contextlib.suppress(ValueError):
            return bool(json.loads(body).get("model_file"))
        return False
