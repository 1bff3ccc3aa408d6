"""``pathfinder run --replicas N``: N Rasa engines, N actions servers and N web apps on one
machine behind HAProxy, sharing PostgreSQL, Redis and RabbitMQ.

Each replica is a :class:`bot.stack.Stack` on loopback ports (its actions server, its
engine, which calls that actions server, and its web app), with ``StackConfig.shared``
naming the stores every engine uses: Rasa's SQL tracker store on PostgreSQL, Redis for
Rasa's lock store (a conversation's turns one after the other, whichever engine takes
them) and RabbitMQ for Rasa's Pika event broker. HAProxy serves the public ports (web app,
Rasa's REST channel, as one engine's stack does), and a loopback frontend through which
the web apps and the Telegram connector relay turns, so that a dead engine's conversations
go on on another. The events consumer reads the broker's queue in a process of its own.

A replica's process that exits, or stops answering its health check for
``unresponsive_after_s``, is started again while the others serve (:meth:`Cluster.supervise`).

Before anything starts, :func:`prepare_shared` checks that each shared service answers and
makes the database ready: created if missing, migrated, the knowledge base loaded if empty.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from bot.stack import (
    INTERNAL_HOST,
    LABELS,
    POLL_S,
    RESTART_GRACE_S,
    ROLES,
    ManagedProcess,
    SharedServices,
    Stack,
    StackConfig,
    StackError,
    app_python,
    client_host,
    free_port,
    http_get,
    rasa_token_for_run,
    secret_key_for,
    write_private,
)
from knowledge.settings import (
    DATABASE_URL,
    EVENT_BROKER_URL,
    RASA_TOKEN_ENV,
    REDIS_URL,
    SECRET_KEY_ENV,
    TRACKER_DB_URL,
    TRUSTED_PROXIES,
    CliSettings,
)

HAPROXY = Path("/usr/sbin/haproxy")  # Debian's haproxy (make setup installs it)
# The standard local addresses, used when no setting names another (PostgreSQL with trust
# authentication for the local user postgres, as on every machine of this project).
LOCAL_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathfinder"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
LOCAL_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
CONNECT_TIMEOUT_S = 5
# The balancer's own loopback page: health (HAProxy answers it itself) and read-only stats.
BALANCER_HEALTH_PATH = "/health"
BALANCER_STATS_PATH = "/stats"
HEALTH_EVERY_S = 5.0
START_TIMEOUT_S = 300.0     # a restarted engine loads its model in about a minute
MAX_BACKOFF_S = 60.0        # between starts of a process that keeps failing
BALANCED_WITHIN_S = 30.0    # the balancer marks a server up within a few seconds of ours
BALANCED_BACKENDS = ("engines", "web")


@dataclass(frozen=True)
class ClusterConfig:
    """``stack``: what every replica's stack is made from (the public ports, host, model,
    log folder, knowledge base, ...); each replica gets loopback ports of its own."""

    stack: StackConfig
    replicas: int
    haproxy: Path = HAPROXY

    @property
    def shared(self) -> SharedServices:
        assert self.stack.shared is not None, "a cluster's stack config names its stores"
        return self.stack.shared

    @property
    def database_url(self) -> str:
        assert self.stack.database_url is not None, "a cluster's knowledge base is named"
        return self.stack.database_url


def shared_services(settings: CliSettings, database: str | None, queue: str,
                    exchange: str) -> tuple[str, SharedServices]:
    """The knowledge base's URL and the stores of ``run --replicas``: each setting (or
    ``--database``) when given, else the standard local address. PATHFINDER_DATABASE_URL
    and PATHFINDER_TRACKER_DB_URL declare SQLite files as their defaults, for one engine;
    replicas share one PostgreSQL database instead, unless told otherwise."""
    knowledge_base = database or DATABASE_URL.given() or LOCAL_DATABASE_URL
    return knowledge_base, SharedServices(
        tracker_store_url=TRACKER_DB_URL.given() or knowledge_base,
        redis_url=settings.redis_url or REDIS_URL.given() or LOCAL_REDIS_URL,
        broker_url=settings.event_broker_url or EVENT_BROKER_URL.given() or LOCAL_BROKER_URL,
        queue=queue, exchange=exchange)


# --- the shared services, before anything starts ------------------------------------------

def _where(url: str) -> str:
    """host:port/database of a URL, without its user or password (for messages)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or ''}{parts.path}".replace(":/", "/")


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                             socket_timeout=CONNECT_TIMEOUT_S).ping()
    except redis.RedisError as exc:
        raise StackError(f"Redis does not answer at {_where(url)} ({type(exc).__name__}): "
                         f"start it (.ci/run shows how) or set {REDIS_URL.name}.") from None


def check_broker(url: str) -> None:
    import pika

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = CONNECT_TIMEOUT_S
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError as exc:
        raise StackError(f"RabbitMQ does not answer at {_where(url)} ({type(exc).__name__}): "
                         f"start it (.ci/run shows how) or set {EVENT_BROKER_URL.name}.") \
            from None


def ensure_database(url: str, variable: str) -> bool:
    """Create the PostgreSQL database of ``url`` if it is missing (connected to the server's
    ``postgres`` database with the same user); True when it was created."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise StackError(f"Replicas share one PostgreSQL database: {variable} must be a "
                         "postgresql:// URL naming a database (SQLite is for one engine).")
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with admin.connect() as connection:
            exists = "SELECT 1 FROM pg_database WHERE datname = :name"
            if connection.scalar(text(exists), {"name": name}):
                return False
            quoted = admin.dialect.identifier_preparer.quote(name)
            try:
                connection.execute(text(f"CREATE DATABASE {quoted}"))
            except ProgrammingError:  # another run made it meanwhile
                if not connection.scalar(text(exists), {"name": name}):
                    raise
                return False
            return True
    except OperationalError as exc:
        raise StackError(f"PostgreSQL does not answer at {_where(url)}, or refuses this user "
                         f"({type(exc.orig).__name__}): start it (.ci/run shows how) or set "
                         f"{variable}.") from None
    finally:
        admin.dispose()


def prepare_shared(root: Path, database_url: str, shared: SharedServices,
                   say: Callable[[str], None]) -> None:
    """Check that Redis and RabbitMQ answer; create the database(s) if missing, migrate the
    knowledge base and load it if it is empty, once, before the replicas start (their web
    apps would each migrate at once, and race)."""
    from sqlalchemy import select

    from knowledge.db import make_engine, migrate
    from knowledge.models import Occupation

    check_redis(shared.redis_url)
    check_broker(shared.broker_url)
    for url, variable in ((database_url, DATABASE_URL.name),
                          (shared.tracker_store_url, TRACKER_DB_URL.name)):
        if ensure_database(url, variable):
            say(f"Created the PostgreSQL database {_where(url)}.")
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            empty = connection.scalar(select(Occupation.noc).limit(1)) is None
    finally:
        engine.dispose()
    if empty:
        say(f"Loading the knowledge base into {_where(database_url)} (data/, and the title "
            "resolver's index: a minute or two the first time)…")
        # `pathfinder load-data` itself, in a process of its own: this one does not keep
        # the half gigabyte of its data and sentence encoder for the whole run. The URL
        # (its password) goes in the environment, not on the command line.
        loaded = subprocess.run(
            [app_python(root), "-m", "bot.cli", "load-data", "--quiet"], cwd=root,
            env=_environment(**{DATABASE_URL.name: database_url}), capture_output=True,
            text=True, check=False)
        if loaded.returncode != 0:
            raise StackError(f"`pathfinder load-data` failed (code {loaded.returncode}):\n"
                             + "\n".join((loaded.stdout + loaded.stderr).splitlines()[-20:]))


# --- the balancer ---------------------------------------------------------------------------

def balancer_config(host: str, web_port: int | None, rasa_port: int, relay_port: int,
                    admin_port: int, webs: list[int], engines: list[int]) -> str:
    """HAProxy's configuration: the public ports on ``host`` (web app, Rasa's REST channel),
    the relays' loopback frontend, and the balancer's own loopback page (health, stats)."""
    def servers(kind: str, ports: list[int]) -> str:
        return "".join(f"    server {kind}-{number} {INTERNAL_HOST}:{port} check\n"
                       for number, port in enumerate(ports, 1))

    web = "" if web_port is None else (
        "frontend web\n"
        f"    bind {host}:{web_port}\n"
        "    # The web apps count per-client limits by it (PATHFINDER_TRUSTED_PROXIES).\n"
        "    option forwardfor\n"
        "    default_backend web\n\n"
        "backend web\n"
        "    balance roundrobin\n"
        "    option httpchk GET /health\n"
        "    http-check expect status 200\n"
        + servers("web", webs) + "\n")
    return (
        "# Generated by bot/cluster.py for this run of `pathfinder run --replicas`.\n"
        "global\n"
        "    # No request log (its lines would show the ?token= of Rasa's HTTP API calls):\n"
        "    # in the foreground HAProxy writes its warnings (a server down, up again) to\n"
        "    # stderr, the balancer's log.\n"
        "    maxconn 4096\n\n"
        "defaults\n"
        "    mode http\n"
        "    # A new connection to the server for each request: Rasa (Sanic) and uvicorn close\n"
        "    # idle ones after 5 s, and a request sent as they do fails (a 502 for the\n"
        "    # learner). On loopback a connection costs a fraction of a millisecond.\n"
        "    option http-server-close\n"
        "    timeout connect 2s\n"
        "    timeout http-request 10s\n"
        "    # Longer than a relay waits for a turn (connectors/rasa_client.py, 45 s).\n"
        "    timeout client 65s\n"
        "    timeout server 65s\n"
        "    timeout queue 30s\n"
        "    timeout check 2s\n"
        "    # A request that could not reach its server, or whose server closed the\n"
        "    # connection without answering a byte (killed), goes to another one: a dead\n"
        "    # engine's turns move to another replica. Nothing else is sent twice, and a\n"
        "    # turn the dead engine had stored is recognised by the message id our relays\n"
        "    # send (bot/engine/channels.py).\n"
        "    retries 2\n"
        "    retry-on conn-failure empty-response\n"
        "    option redispatch 1\n"
        "    default-server inter 2s fall 2 rise 2\n\n"
        + web +
        "frontend rasa\n"
        f"    bind {host}:{rasa_port}\n"
        "    default_backend engines\n\n"
        "# The relays' way to the engines (the web apps', Telegram's): loopback only.\n"
        "frontend relay\n"
        f"    bind {INTERNAL_HOST}:{relay_port}\n"
        "    default_backend engines\n\n"
        "backend engines\n"
        "    balance roundrobin\n"
        "    # Rasa answers / once its model is loaded.\n"
        "    option httpchk GET /\n"
        "    http-check expect status 200\n"
        + servers("engine", engines) + "\n"
        "# The balancer's own page, loopback only: health, and read-only statistics.\n"
        "listen admin\n"
        f"    bind {INTERNAL_HOST}:{admin_port}\n"
        f"    monitor-uri {BALANCER_HEALTH_PATH}\n"
        "    stats enable\n"
        f"    stats uri {BALANCER_STATS_PATH}\n"
        "    stats hide-version\n")


# --- the cluster ----------------------------------------------------------------------------

@dataclass
class Member:
    """One supervised process of the cluster, and where its supervision stands."""

    role: str                   # engine, actions, web, telegram, balancer, events
    replica: int | None         # 1..N for a replica's process
    process: ManagedProcess
    starting_since: float | None = None    # launched again, not yet healthy
    failing_since: float | None = None     # running, its health check failing since
    relaunch_at: float | None = None       # stopped, waiting before it starts again
    failed_starts: int = 0                 # in a row: the wait before the next start

    @property
    def label(self) -> str:
        label = LABELS.get(self.process.name, self.process.name)
        return label if self.replica is None else f"{label} of replica {self.replica}"


class Cluster:
    """The replicas, the balancer in front of them and the events consumer."""

    def __init__(self, config: ClusterConfig,
                 on_progress: Callable[[str], None] | None = None) -> None:
        if not config.haproxy.is_file():
            raise StackError(f"No HAProxy at {config.haproxy}: `make setup` installs Debian's "
                             "haproxy (apt-get install haproxy).")
        self.config = config
        self._progress = on_progress or (lambda _message: None)
        self.rasa_token = rasa_token_for_run()  # every relay may reach every engine
        self.relay_port = free_port()
        self.admin_port = free_port()
        self.stacks = [
            Stack(self._replica_config(number), rasa_token=self.rasa_token,
                  on_progress=self._replica_progress(number))
            for number in range(1, config.replicas + 1)]
        self.balancer = self._balancer()
        self.events = self._events()
        self.members = [Member("balancer", None, self.balancer)] + [
            Member(ROLES[name], number, stack.process(name))
            for number, stack in enumerate(self.stacks, 1) for name in stack.services] + [
            Member("events", None, self.events)]
        self._next_health = 0.0
        self._stopped = True

    # --- URLs --------------------------------------------------------------------------------

    @property
    def rasa_url(self) -> str:
        c = self.config.stack
        return f"http://{client_host(c.host)}:{c.rasa_port}"

    @property
    def web_url(self) -> str:
        c = self.config.stack
        if c.web_port is None:
            raise StackError("this cluster runs without the web app (web_port=None)")
        return f"http://{client_host(c.host)}:{c.web_port}"

    @property
    def stats_url(self) -> str:
        return f"http://{INTERNAL_HOST}:{self.admin_port}{BALANCER_STATS_PATH}"

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Prepare the shared services, then start the balancer, the events consumer and
        the replicas (these side by side: each engine loads its model for about a minute)."""
        c = self.config
        if not c.stack.model_path.is_file():
            raise StackError(f"No Rasa model at {c.stack.model_path}: run `make train`.")
        for member in self.members:  # before a minute of loading, as one stack does
            member.process.check_port()
        self._stopped = False
        atexit.register(self.stop)
        try:
            prepare_shared(c.stack.root, c.database_url, c.shared, self._progress)
            deadline = time.monotonic() + timeout
            self._progress(f"Starting the {self.balancer.label} on port "
                           f"{self.balancer.port}…")
            write_private(self._balancer_file, balancer_config(
                c.stack.host, c.stack.web_port, c.stack.rasa_port, self.relay_port,
                self.admin_port, [s.config.web_port for s in self.stacks
                                  if s.config.web_port is not None],
                [s.config.rasa_port for s in self.stacks]))
            self.balancer.launch()
            self.balancer.wait_healthy(deadline)
            self.events.launch()
            self._start_replicas(timeout)
            if not self.events.running():
                self.events.wait_healthy(deadline)  # raises, with the tail of its log
            # The balancer's own checks (2 in a row, 2 s apart) come after ours: until it has
            # every server up it answers 503, which the relays' one retry does not outlast.
            self.wait_balanced(max(deadline - time.monotonic(), BALANCED_WITHIN_S))
        except BaseException:
            self.stop()
            raise

    def balancer_rows(self) -> list[dict[str, str]]:
        """The balancer's figures, a row per frontend, backend and server (its stats CSV)."""
        status, body = http_get(f"{self.stats_url};csv", timeout=5)
        if status != 200:
            return []
        lines = body.decode("utf-8", "replace").splitlines()
        if not lines:
            return []
        header = lines[0].lstrip("# ").split(",")
        return [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]

    def wait_balanced(self, timeout: float = BALANCED_WITHIN_S) -> float:
        """Wait until the balancer has every engine and web app up; the seconds it took.
        Raises StackError when it has not within ``timeout``."""
        started = time.monotonic()
        while True:
            servers = [row for row in self.balancer_rows()
                       if row.get("pxname") in BALANCED_BACKENDS
                       and row.get("svname") not in ("FRONTEND", "BACKEND")]
            if servers and all(row.get("status") == "UP" for row in servers):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                down = sorted(f"{r.get('pxname')}/{r.get('svname')}" for r in servers
                              if r.get("status") != "UP")
                raise StackError(f"The balancer still has servers down after {timeout:.0f} s: "
                                 f"{', '.join(down) or 'no servers listed'}")
            time.sleep(POLL_S)

    def _start_replicas(self, timeout: float) -> None:
        """Every process of every replica at once: none needs another to start (an engine
        calls its actions server only for a turn, a web app relays through the balancer),
        and the engines' minute of loading is the web apps' too."""
        failures: list[BaseException] = []

        def start(stack: Stack, name: str) -> None:
            try:
                stack.start_service(name, timeout)
            except BaseException as exc:  # noqa: BLE001 (raised below, in the caller's thread)
                failures.append(exc)

        threads = [threading.Thread(target=start, args=(stack, name), daemon=True,
                                    name=f"start-{name}-{number}")
                   for number, stack in enumerate(self.stacks, 1) for name in stack.services]
        for thread in threads:
            thread.start()
        # The first failure is the answer (the caller stops everything, which ends the
        # other threads' waits), not the last start's deadline.
        while not failures and any(thread.is_alive() for thread in threads):
            time.sleep(POLL_S)
        if failures:
            raise failures[0]

    def stop(self) -> None:
        """Stop the balancer first (no new requests), then the replicas side by side, the
        events consumer last (it writes what the engines published); safe to call twice."""
        self.balancer.terminate()
        threads = [threading.Thread(target=stack.stop, daemon=True) for stack in self.stacks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.events.terminate()
        if not self._stopped:
            self._stopped = True
            atexit.unregister(self.stop)

    def supervise(self, now: float) -> bool:
        """One round of supervision (every second or so): start again a process that exited,
        that did not become healthy in time, or whose health check has failed for
        ``unresponsive_after_s``. True when a process was started (its pid changed)."""
        changed = False
        health_due = now >= self._next_health
        for member in self.members:
            process = member.process
            if member.relaunch_at is not None:
                if now >= member.relaunch_at:
                    changed |= self._launch(member, now)
                continue
            if not process.running():
                code = None if process.popen is None else process.popen.returncode
                self._progress(f"The {member.label} exited (code {code}); starting it again "
                               "while the others serve.")
                changed |= self._restart(member, now, failed=member.starting_since is not None)
                continue
            if member.starting_since is not None:
                if process.is_healthy():
                    self._progress(f"The {member.label} is ready again "
                                   f"({now - member.starting_since:.0f} s).")
                    member.starting_since = None
                    member.failed_starts = 0
                elif now - member.starting_since > START_TIMEOUT_S:
                    self._progress(f"The {member.label} did not become ready in "
                                   f"{START_TIMEOUT_S:.0f} s; starting it again.")
                    changed |= self._restart(member, now, failed=True)
                continue
            if health_due:
                if process.is_healthy():
                    member.failing_since = None
                    continue
                member.failing_since = member.failing_since or now
                if now - member.failing_since >= self.config.stack.unresponsive_after_s:
                    self._progress(f"The {member.label} has not answered its health check "
                                   f"for {now - member.failing_since:.0f} s; restarting it.")
                    changed |= self._restart(member, now, failed=False)
        if health_due:
            self._next_health = now + HEALTH_EVERY_S
        return changed

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals ---------------------------------------------------------------------------

    def _restart(self, member: Member, now: float, failed: bool) -> bool:
        """Stop what is left of the process (no grace: a frozen one would not stop) and start
        it again, at once the first time, then after a wait that doubles with each start that
        failed in a row. True when it was started now."""
        member.process.terminate(grace=RESTART_GRACE_S)
        member.failing_since = None
        member.starting_since = None
        member.failed_starts = member.failed_starts + 1 if failed else 0
        wait = min(MAX_BACKOFF_S, 2.0 ** member.failed_starts) if member.failed_starts else 0
        if wait:
            self._progress(f"Waiting {wait:.0f} s before starting the {member.label} again.")
            member.relaunch_at = now + wait
            return False
        return self._launch(member, now)

    def _launch(self, member: Member, now: float) -> bool:
        """Start the process; True when it was (its port may be taken meanwhile: then it is
        tried again later)."""
        member.relaunch_at = None
        try:
            member.process.launch()
        except StackError as exc:
            self._progress(str(exc))
            member.failed_starts += 1
            member.relaunch_at = now + min(MAX_BACKOFF_S, 2.0 ** member.failed_starts)
            return False
        member.starting_since = now
        return True

    def _replica_progress(self, number: int) -> Callable[[str], None]:
        return lambda message: self._progress(f"[replica {number}] {message}")

    @property
    def _balancer_file(self) -> Path:
        return self.config.stack.log_path / "haproxy.cfg"

    def _replica_config(self, number: int) -> StackConfig:
        base = self.config.stack
        # The balancer is each web app's only client: its X-Forwarded-For names the visitor.
        proxies = ",".join([*(str(network) for network in TRUSTED_PROXIES.read()),
                            INTERNAL_HOST])
        return replace(
            base, host=INTERNAL_HOST, rasa_port=free_port(), actions_port=free_port(),
            web_port=free_port() if base.web_port is not None else None,
            # One Telegram connector (two would poll Telegram for the same updates).
            telegram_port=base.telegram_port if number == 1 else None,
            log_dir=base.log_path / f"replica-{number}",
            relay_rasa_url=f"http://{INTERNAL_HOST}:{self.relay_port}",
            web_env={**base.web_env, TRUSTED_PROXIES.name: proxies,
                     REDIS_URL.name: self.config.shared.redis_url})

    def _balancer(self) -> ManagedProcess:
        c = self.config.stack
        public = [port for port in (c.web_port, c.rasa_port) if port is not None]
        health = f"http://{INTERNAL_HOST}:{self.admin_port}{BALANCER_HEALTH_PATH}"
        return ManagedProcess(
            "balancer", [str(self.config.haproxy), "-db", "-f", str(self._balancer_file)],
            c.root, _environment(), c.log_path / "balancer.log",
            lambda: http_get(health)[0] == 200, public[0], c.host,
            other_ports=tuple(public[1:]), health_url=health)

    def _events(self) -> ManagedProcess:
        c, shared = self.config.stack, self.config.shared
        env = _environment(**{DATABASE_URL.name: self.config.database_url,
                              EVENT_BROKER_URL.name: shared.broker_url,
                              SECRET_KEY_ENV: secret_key_for(c), "PYTHONUNBUFFERED": "1"})
        events: ManagedProcess | None = None

        def alive() -> bool:  # it listens on no port: alive is all one can ask of it
            return events is not None and events.running()

        events = ManagedProcess(
            "events", [app_python(c.root), "-m", "bot.cli", "events", "consume", "--broker",
                       "--queue", shared.queue, "--exchange", shared.exchange],
            c.root, env, c.log_path / "events.log", alive, None, INTERNAL_HOST)
        return events


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without the engine's token (only the processes that
    need it get it), plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if name != RASA_TOKEN_ENV}
    env.update(extra)
    return env


def describe(cluster: Cluster) -> list[str]:
    """What `pathfinder run` says about a started cluster (no password)."""
    shared = cluster.config.shared
    lines = []
    for number, stack in enumerate(cluster.stacks, 1):
        c = stack.config
        web = f", web app {c.web_port}" if c.web_port is not None else ""
        lines.append(f"  Replica {number}:         engine {c.rasa_port}, actions server "
                     f"{c.actions_port}{web} (127.0.0.1; logs {c.log_path})")
    lines.append(f"  Shared:            PostgreSQL {_where(shared.tracker_store_url)}, Redis "
                 f"{_where(shared.redis_url)}, RabbitMQ {_where(shared.broker_url)} "
                 f"(queue {json.dumps(shared.queue)})")
    lines.append(f"  Balancer stats:    {cluster.stats_url}")
    return lines
