"""Load on the whole deployment, with a real load tool: how many learners it holds.

    .venv/bin/python bench/load.py                        # 1 replica, steps 50, 100, ... 600
    .venv/bin/python bench/load.py --replicas 2           # 2 replicas behind HAProxy
    .venv/bin/python bench/load.py --replicas 1,2         # both, one after the other, compared
    .venv/bin/python bench/load.py --steps 50,100 --step-seconds 60
    .venv/bin/python bench/load.py --soak                 # steps on 2 replicas, then the soak
    .venv/bin/python bench/load.py --soak --learners 320 --soak-seconds 600
    .venv/bin/python bench/load.py --replicas 2 --out var/bench/load   # keep logs, CSVs

What runs: ``--replicas 1`` is the stack of ``pathfinder run`` (bot.stack.Stack: actions
server, Rasa engine, web app, SQLite tracker store) with the events consumer in a thread of
this process, as ``pathfinder run`` has it; the knowledge base is a copy of yours (the
consumer writes the console's summaries), in a temporary folder. ``--replicas N`` (N >= 2)
is bot.cluster.Cluster, as ``pathfinder run --replicas N`` starts it: N replicas behind
HAProxy, the events consumer in a process of its own, and a PostgreSQL database, a Redis
database, a RabbitMQ queue and exchange of this run's own (``pathfinder_load_<random>``;
the servers are ``--postgres-url``, ``--redis-url``, ``--broker-url``), created on start
(the knowledge base loaded into the database: a minute or two) and removed at the end; its
supervisor restarts a process that exits. Nothing listens beyond 127.0.0.1; every port is a
free one, so it never meets a ``pathfinder run`` of yours. Before anything is measured the
bench waits until the balancer has every server up (a few seconds after the cluster says
it is ready) and sends each script once per replica through each door (first turns fill
caches). Logs, Locust's CSVs and the learners' records go to a temporary folder, or under
``--out``.

Locust, headless (bench/locustfile.py), runs scripted EN/FR learners, half over Rasa's REST
channel and half over the widget's API (both through the balancer with replicas), 5-15 s of
think time between messages, each client resending once with the same message id as the
product's clients do. At each step's number of learners (spawned 10 a second) it runs for
``--step-seconds`` once every learner is spawned; the stats are reset then, so a step's
figures are its steady state. The steps stop at the first one missed.

The figures of a step: turns answered, errors (an HTTP error, no message, or the engine's
apology for a failed action, after the client's resend: what the learner saw, with their
kinds), p50/p95 of a turn as the learner waits for it (resend included), turns/s, CPU per
turn (CPU time of every process of the deployment: each replica's engine, actions server
and web app, the balancer and the events consumer; over the steady part, divided by its
turns; not the PostgreSQL, Redis and RabbitMQ servers', which are the machine's and count
among other jobs'), the peak memory of one replica (resident memory of its engine + actions
server + web app together, the largest replica's, sampled every second) and how busy the
machine was (cores: the deployment's, Locust's, and other jobs' (this script's own left
out): on 2 shared cores another job's CPU is latency the deployment did not cause, so read
a step's p95 beside it). The most learners held is the largest step with p95 <= 500 ms and 0
errors; with several replica counts a table compares them.

Target (issue 14): >= 400 concurrent learners at p95 <= 500 ms, for 1 and for 2 replicas,
printed PASS or FAIL. Locust itself runs on the same 2 cores and takes a share of them.

``--soak`` (N >= 2 replicas, default 2): the learners of ``--learners`` (default: 80 % of
the most held, found by running the steps first) for ``--soak-seconds`` (default 600); at a
third of the way one engine (replica 1's) is killed with SIGKILL, and the supervisor starts
it again. Locust records what each learner sent (PATHFINDER_LOAD_RECORDS); at the end every
message sent is looked up in the tracker store (PostgreSQL's ``events`` table, as Rasa reads
a tracker: by timestamp): turns sent, stored (distinct messages of those sent), apologised
and not stored (the learner was answered "please try again in a moment": told that the turn
did not go through, as the engine answers a turn it could not store), lost (not stored, and
the learner not told so: answered as if it was, or an error, silence or no end at all),
duplicated, out of order (conversations whose stored order is not the order sent), errors
seen by learners and their kinds (an apology is one), and how many fall in the kill window
(a turn in flight at the kill, or sent in the 5 s the balancer needs to mark the engine
down); also the clients' resends, the relays' retries (the web apps' logs), the balancer's
retries and redispatches, and the p50/p95 before the kill, until the engine is back, and
after. PASS needs 0 lost, 0 duplicated, 0 out of order and 0 errors outside the kill window.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversation import percentile  # noqa: E402
from bot.stack import (  # noqa: E402
    ROLES,
    SharedServices,
    Stack,
    StackConfig,
    free_port,
    secret_key_for,
    sqlite_file,
)
from knowledge.settings import LOAD_RECORDS  # noqa: E402

LOCUST = ROOT / ".venv" / "bin" / "locust"
RECORDS_ENV = LOAD_RECORDS.name  # what bench/locustfile.py reads
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
P95_LIMIT_MS = 500.0
TARGET_LEARNERS = 400
SPAWN_PER_S = 10.0  # learners started per second, so 400 start in ~40 s
# After its time is up Locust lets each learner finish the turn it is in (a turn waits at
# most 60 s + a resend): no message is cut off half-sent.
STOP_TIMEOUT_S = 130
SOAK_SHARE = 0.8
KILL_GRACE_S = 5.0  # HAProxy marks a dead engine down after 2 failed checks 2 s apart
SAMPLE_S = 1.0
RESTART_WAIT_S = 300.0  # after the soak, how long to wait for the killed engine
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379"
LOCAL_BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes: CPU and memory from /proc ---------------------------------------------------

def proc_table(pgids: set[int]) -> dict[int, tuple[float, int]]:
    """CPU seconds and resident bytes of the live processes of each process group, from one
    scan of /proc."""
    found = {pgid: (0.0, 0) for pgid in pgids}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue  # gone since it was listed
        fields = stat[stat.rindex(")") + 2:].split()
        pgid = int(fields[2])
        if pgid in found and fields[0] not in ("Z", "X"):
            cpu, rss = found[pgid]
            found[pgid] = (cpu + (int(fields[11]) + int(fields[12])) / CLK_TCK,
                           rss + int(fields[21]) * PAGE)
    return found


def thread_cpu_s(native_id: int | None) -> float:
    """CPU seconds of one thread of this process (the events consumer with 1 replica)."""
    if native_id is None:
        return 0.0
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (every core), from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


Key = tuple[int | None, str]  # (replica or None for shared, role)


class Deployment:
    """What the bench runs against: its public URLs, its processes, its tracker store."""

    replicas: int
    rasa_url: str
    web_url: str
    tracker_store_url: str
    ready_s: float = 0.0

    def groups(self) -> dict[Key, int]:
        raise NotImplementedError

    def extra_cpu_s(self) -> float:
        """CPU of a part that is no process of its own (the events consumer's thread)."""
        return 0.0

    def cpu_s(self) -> dict[Key, float]:
        groups = self.groups()
        table = proc_table(set(groups.values()))
        cpu = {key: table[pgid][0] for key, pgid in groups.items()}
        cpu[(None, "events")] = cpu.get((None, "events"), 0.0) + self.extra_cpu_s()
        return cpu


class Sampler:
    """Peak resident memory of each replica (its processes together) and of each process,
    sampled every SAMPLE_S in a thread while a step runs."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.replica_peak: dict[int, int] = {}
        self.role_peak: dict[Key, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def _run(self) -> None:
        while not self._stop.is_set():
            groups = self.deployment.groups()
            table = proc_table(set(groups.values()))
            per_replica: Counter[int] = Counter()
            for key, pgid in groups.items():
                rss = table[pgid][1]
                self.role_peak[key] = max(self.role_peak.get(key, 0), rss)
                if key[0] is not None:
                    per_replica[key[0]] += rss
            for replica, rss in per_replica.items():
                self.replica_peak[replica] = max(self.replica_peak.get(replica, 0), rss)
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the deployments --------------------------------------------------------------------------

def _copy_sqlite(source: Path, target: Path) -> None:
    with contextlib.closing(sqlite3.connect(source)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class Single(Deployment):
    """One replica: bot.stack.Stack and the events consumer in a thread, as `pathfinder run`."""

    def __init__(self, run_dir: Path) -> None:
        from knowledge.settings import database_url

        self.replicas = 1
        knowledge = database_url()
        source = sqlite_file(knowledge)
        if source is not None:
            # The events consumer writes the console's summaries into the knowledge base:
            # into a copy, not into yours.
            if not source.is_file():
                raise SystemExit(f"No knowledge base at {source}: run `make setup`.")
            copy = run_dir / "pathfinder.sqlite"
            _copy_sqlite(source, copy)
            knowledge = f"sqlite:///{copy}"
        else:
            say("The knowledge base is PATHFINDER_DATABASE_URL's (not SQLite): the events "
                "consumer will write the bench's conversation summaries into it.")
        self.knowledge = knowledge
        tracker_db = run_dir / "tracker-1.db"
        self.config = StackConfig(root=ROOT, rasa_port=free_port(), actions_port=free_port(),
                                  web_port=free_port(), tracker_db=tracker_db,
                                  log_dir=run_dir / "logs-1", database_url=knowledge)
        self.stack = Stack(self.config, on_progress=say)
        self.rasa_url, self.web_url = self.stack.rasa_url, self.stack.web_url
        self.tracker_store_url = f"sqlite:///{tracker_db}"
        self._events: tuple[threading.Thread, threading.Event] | None = None

    def __enter__(self) -> Single:
        from bot.events.consumer import start_thread

        started = time.monotonic()
        self.stack.start()
        self.ready_s = time.monotonic() - started
        # As bot/run.py's _start_events_consumer: once the web app has migrated.
        self._events = start_thread(self.tracker_store_url, self.knowledge,
                                    secret_key_for(self.config).encode("utf-8"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._events is not None:
            thread, stop = self._events
            stop.set()
            thread.join(30)
        self.stack.stop()

    def groups(self) -> dict[Key, int]:
        return {(1, ROLES[name]): pgid for name, pgid in self.stack.pids().items()}

    def extra_cpu_s(self) -> float:
        return thread_cpu_s(self._events[0].native_id if self._events else None)

    def web_logs(self) -> list[Path]:
        return [self.config.log_path / "web.log"]


class Replicated(Deployment):
    """N replicas: bot.cluster.Cluster on a database, Redis database, queue and exchange of
    this run's own, supervised in a thread (the supervisor of `pathfinder run --replicas`)."""

    def __init__(self, replicas: int, run_dir: Path, args: argparse.Namespace) -> None:
        from sqlalchemy.engine import make_url

        from bot.cluster import Cluster, ClusterConfig

        self.replicas = replicas
        own = uuid.uuid4().hex[:10]
        self.database_url = make_url(args.postgres_url).set(
            database=f"pathfinder_load_{own}").render_as_string(hide_password=False)
        self.queue, self.exchange = f"pathfinder_load_{own}", f"pathfinder-load-{own}"
        self.broker_url = args.broker_url
        # A Redis database of its own, as tests/test_cluster.py's (lock keys are per
        # conversation and expire; the rate limits' too).
        redis_db = args.redis_db if args.redis_db is not None else random.randrange(8, 16)
        shared = SharedServices(tracker_store_url=self.database_url,
                                redis_url=f"{args.redis_url.rstrip('/')}/{redis_db}",
                                broker_url=args.broker_url, queue=self.queue,
                                exchange=self.exchange)
        stack = StackConfig(root=ROOT, host="127.0.0.1", web_port=free_port(),
                            rasa_port=free_port(), log_dir=run_dir / f"logs-{replicas}",
                            database_url=self.database_url, shared=shared)
        self.progress: list[tuple[float, str]] = []
        self.cluster = Cluster(ClusterConfig(stack, replicas), on_progress=self._progress)
        self.rasa_url, self.web_url = self.cluster.rasa_url, self.cluster.web_url
        self.tracker_store_url = self.database_url
        self._stop = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True,
                                            name="supervisor")

    def _progress(self, message: str) -> None:
        self.progress.append((time.time(), message))
        say(message)

    def _supervise(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.cluster.supervise(time.monotonic())
            except Exception as exc:  # noqa: BLE001 (said; the run goes on, as `pathfinder run`)
                say(f"Supervision failed: {exc}")

    def __enter__(self) -> Replicated:
        started = time.monotonic()
        try:
            self.cluster.start()
        except BaseException:
            self._remove_own()
            raise
        # Cluster.start returned once the balancer had every server up.
        self._supervisor.start()
        self.ready_s = time.monotonic() - started
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join(30)
        try:
            self.cluster.stop()
        finally:
            self._remove_own()

    def _remove_own(self) -> None:
        """Drop this run's database, delete its queue and exchange (as the test fixture)."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" '
                                        "WITH (FORCE)"))
        except Exception as exc:  # noqa: BLE001 (said: the operator removes it)
            say(f"Could not drop the database {url.database}: {exc}")
        finally:
            admin.dispose()
        try:
            import pika

            connection = pika.BlockingConnection(pika.URLParameters(self.broker_url))
            try:
                channel = connection.channel()
                channel.queue_delete(self.queue)
                channel.exchange_delete(self.exchange)
            finally:
                connection.close()
        except Exception as exc:  # noqa: BLE001
            say(f"Could not delete the queue {self.queue} / exchange {self.exchange}: {exc}")
        say(f"Removed the database {url.database}, the queue and the exchange.")

    def groups(self) -> dict[Key, int]:
        found = {}
        for member in self.cluster.members:
            popen = member.process.popen  # the supervisor may replace it meanwhile
            if popen is not None and popen.poll() is None:
                found[(member.replica, member.role)] = popen.pid
        return found

    def engine(self, replica: int) -> Any:
        return next(m for m in self.cluster.members
                    if m.role == "engine" and m.replica == replica)

    def web_logs(self) -> list[Path]:
        return [stack.config.log_path / "web.log" for stack in self.cluster.stacks]

    def balancer_rows(self) -> list[dict[str, str]]:
        return self.cluster.balancer_rows()

    def balancer_retries(self) -> tuple[int, int]:
        """Retries and redispatches of the balancer's engines backend."""
        for row in self.balancer_rows():
            if row.get("pxname") == "engines" and row.get("svname") == "BACKEND":
                return (int(row.get("wretr") or 0), int(row.get("wredis") or 0))
        return (0, 0)

def warm_up(dep: Deployment) -> None:
    """Each script once per replica through each door, before anything is measured: a
    process's first turns fill its caches (the step's learners would pay for them)."""
    import urllib.request

    from bench.conversation import SCRIPTS

    def post(url: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(url, json.dumps(body).encode("utf-8"),
                                         {"Content-Type": "application/json"})
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=60):
            pass

    started = time.monotonic()
    for _ in range(dep.replicas):
        for script in SCRIPTS.values():
            rest, web = f"load-warmup-{uuid.uuid4().hex}", f"web-{uuid.uuid4().hex}"
            for text in script:
                post(f"{dep.rasa_url}/webhooks/rest/webhook", {"sender": rest, "message": text})
                post(f"{dep.web_url}/api/conversations/{web}/messages", {"message": text})
    say(f"Warmed up ({time.monotonic() - started:.0f} s).")


@contextlib.contextmanager
def deployment(replicas: int, run_dir: Path, args: argparse.Namespace) -> Iterator[Any]:
    say(f"Starting {replicas} replica{'s' if replicas > 1 else ''}…")
    chosen: Single | Replicated = (Single(run_dir) if replicas == 1
                                   else Replicated(replicas, run_dir, args))
    with chosen:
        say(f"{replicas} replica{'s' if replicas > 1 else ''} ready in {chosen.ready_s:.0f} s; "
            "warming up (each script through each door, once per replica)…")
        warm_up(chosen)
        yield chosen
    say(f"Stopped the {replicas} replica{'s' if replicas > 1 else ''}.")


# --- Locust -----------------------------------------------------------------------------------

@dataclass
class LocustRun:
    prefix: Path
    wall_s: float = 0.0
    cpu_s: float = 0.0  # Locust's own
    returncode: int = 0


def run_locust(dep: Deployment, learners: int, seconds: float, prefix: Path,
               records: Path, during: Callable[[float], None]) -> LocustRun:
    """Locust headless for ``seconds`` after the spawn; ``during(elapsed)`` is called about
    5 times a second while it runs."""
    spawn_s = learners / SPAWN_PER_S
    records.mkdir(parents=True, exist_ok=True)
    log = open(f"{prefix}-locust.log", "wb")  # noqa: SIM115 (closed below)
    started = time.monotonic()
    popen = subprocess.Popen(
        [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
         "-u", str(learners), "-r", str(SPAWN_PER_S), "-t", f"{int(spawn_s + seconds)}s",
         "--stop-timeout", str(STOP_TIMEOUT_S), "--reset-stats", "--csv", str(prefix),
         "--rasa-url", dep.rasa_url, "--web-url", dep.web_url, "--loglevel", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, RECORDS_ENV: str(records)},
        start_new_session=True)
    deadline = started + spawn_s + seconds + STOP_TIMEOUT_S + 120
    try:
        while True:
            pid, status, usage = os.wait4(popen.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                say("Locust did not stop in time: killing it.")
                os.killpg(popen.pid, signal.SIGKILL)
            during(time.monotonic() - started)
            time.sleep(0.2)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
        raise
    finally:
        log.close()
    popen.returncode = os.waitstatus_to_exitcode(status)
    run = LocustRun(prefix, time.monotonic() - started, usage.ru_utime + usage.ru_stime,
                    popen.returncode)
    if run.returncode not in (0, 1):  # 1: some requests failed, which is a figure
        tail = Path(f"{prefix}-locust.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Locust failed ({run.returncode}): {tail}")
    return run


def _aggregated(prefix: Path) -> dict[str, str]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
                return row
    raise RuntimeError("Locust wrote no aggregated row")


def _failures(prefix: Path) -> list[str]:
    path = Path(f"{prefix}_failures.csv")
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as rows:
        return [f"{r['Name']}: {_kind(r['Error'])} x{r['Occurrences']}"
                for r in csv.DictReader(rows)]


def _kind(error: str) -> str:
    """Locust's text of a TurnFailed, e.g. "TurnFailed('HTTP 502')", as its kind."""
    found = re.fullmatch(r"\w+\(['\"](.*)['\"]\)", error)
    return found.group(1) if found else error


def read_records(folder: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """What the learners sent (in the order sent) and how each turn ended, by message id."""
    sends: list[dict[str, Any]] = []
    dones: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("sent-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed Locust
            if record.get("k") == "send":
                sends.append(record)
            elif record.get("k") == "done":
                dones[record["id"]] = record
    sends.sort(key=lambda r: r["t"])
    return sends, dones


# --- the steps --------------------------------------------------------------------------------

@dataclass
class Step:
    learners: int
    turns: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    turns_per_s: float = 0.0
    cpu_ms_per_turn: float = 0.0
    cpu_by_role: dict[str, float] = field(default_factory=dict)  # ms per turn
    deployment_cores: float = 0.0
    locust_cores: float = 0.0
    machine_cores: float = 0.0
    bench_cores: float = 0.0  # this script's own (sampling), less the events consumer's
    load1: float = 0.0
    resent: int = 0
    replica_peak: dict[int, int] = field(default_factory=dict)
    role_peak: dict[Key, int] = field(default_factory=dict)
    error_kinds: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.turns > 0 and self.errors == 0 and self.p95_ms <= P95_LIMIT_MS

    @property
    def others_cores(self) -> float:
        return max(0.0, self.machine_cores - self.deployment_cores - self.locust_cores
                   - self.bench_cores)


def run_step(dep: Deployment, learners: int, seconds: float, out_dir: Path) -> Step:
    prefix = out_dir / f"step-{dep.replicas}-{learners}"
    spawn_s = learners / SPAWN_PER_S
    steady: dict[str, Any] = {}

    def during(elapsed: float) -> None:
        # The steady state only: from the end of the spawn (when Locust resets its stats).
        if not steady and elapsed >= spawn_s:
            steady.update(cpu=dep.cpu_s(), busy=machine_busy_s(), own=_own_cpu_s(),
                          at=time.monotonic())

    with Sampler(dep) as sampler:
        run = run_locust(dep, learners, seconds, prefix, out_dir / f"records-{prefix.name}",
                         during)
    if not steady:
        during(spawn_s)
    cpu_after, busy_after, own_after = dep.cpu_s(), machine_busy_s(), _own_cpu_s()
    wall = time.monotonic() - steady["at"]
    row = _aggregated(prefix)
    step = Step(learners, turns=int(row["Request Count"]), errors=int(row["Failure Count"]),
                p50_ms=float(row["50%"] or 0), p95_ms=float(row["95%"] or 0),
                turns_per_s=float(row["Requests/s"] or 0), replica_peak=sampler.replica_peak,
                role_peak=sampler.role_peak, error_kinds=_failures(prefix),
                load1=os.getloadavg()[0])
    # Per process group present before and after (none restarts during a step).
    by_role: Counter[str] = Counter()
    for key, cpu in cpu_after.items():
        by_role[key[1]] += max(0.0, cpu - steady["cpu"].get(key, cpu))
    turns = max(1, step.turns)
    step.cpu_by_role = {role: cpu / turns * 1000 for role, cpu in by_role.items()}
    step.cpu_ms_per_turn = sum(by_role.values()) / turns * 1000
    step.deployment_cores = sum(by_role.values()) / max(wall, 1e-9)
    step.machine_cores = (busy_after - steady["busy"]) / max(wall, 1e-9)
    step.locust_cores = run.cpu_s / max(run.wall_s, 1e-9)
    events = cpu_after.get((None, "events"), 0.0) - steady["cpu"].get((None, "events"), 0.0)
    own = own_after - steady["own"] - (events if dep.replicas == 1 else 0.0)
    step.bench_cores = max(0.0, own) / max(wall, 1e-9)
    _sends, dones = read_records(out_dir / f"records-{prefix.name}")
    step.resent = sum(1 for d in dones.values() if d.get("attempts", 1) > 1)
    return step


def _mb(n: int) -> str:
    return f"{n / 1024**2:.0f} MB"


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


@dataclass
class Result:
    replicas: int
    ready_s: float
    steps: list[Step]

    @property
    def best(self) -> Step | None:
        held = [s for s in self.steps if s.held]
        return max(held, key=lambda s: s.learners) if held else None

    @property
    def replica_peak(self) -> int:
        return max((max(s.replica_peak.values(), default=0) for s in self.steps), default=0)

    def role_peak(self, role: str, shared: bool = False) -> int:
        return max((rss for s in self.steps for (replica, name), rss in s.role_peak.items()
                    if name == role and (replica is None) == shared), default=0)

    @property
    def cpu_ms_per_turn(self) -> float:
        cpu = [s.cpu_ms_per_turn for s in self.steps if s.turns]
        return statistics.median(cpu) if cpu else 0.0


def report(result: Result) -> list[str]:
    n = result.replicas
    lines = [f"{n} replica{'s' if n > 1 else ''} (ready in {result.ready_s:.0f} s)",
             f"{'learners':>8} {'turns':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'turns/s':>7} {'CPU ms/turn':>11} {'replica RSS':>11}  "
             f"cores: ours / Locust / others (load)"]
    for s in result.steps:
        peak = max(s.replica_peak.values(), default=0)
        lines.append(f"{s.learners:>8} {s.turns:>6} {s.errors:>6} {s.p50_ms:>7.0f} "
                     f"{s.p95_ms:>7.0f} {s.turns_per_s:>7.2f} {s.cpu_ms_per_turn:>11.1f} "
                     f"{_mb(peak):>11}  {s.deployment_cores:.2f} / {s.locust_cores:.2f} / "
                     f"{s.others_cores:.2f} ({s.load1:.1f}){'' if s.held else '  (missed)'}")
        if s.resent:
            lines.append(f"{'':>10}turns resent once by the learner's client: {s.resent}")
        lines += [f"{'':>10}{kind}" for kind in s.error_kinds[:5]]
    best = result.best
    most = best.learners if best else 0
    verdict = "PASS" if most >= TARGET_LEARNERS else "FAIL"
    lines.append(f"Most learners held at p95 <= {P95_LIMIT_MS:.0f} ms and 0 errors: {most} "
                 f"(target >= {TARGET_LEARNERS}: {verdict})")
    if result.steps:
        roles = Counter[str]()
        for s in result.steps:
            roles.update(s.cpu_by_role)
        parts = ", ".join(f"{role} {cpu / len(result.steps):.1f}"
                          for role, cpu in roles.most_common())
        lines.append(f"CPU per turn, median over the steps: {result.cpu_ms_per_turn:.1f} ms "
                     f"(mean by process: {parts})")
        lines.append(
            f"Memory per replica (peak, engine + actions + web): {_gb(result.replica_peak)} "
            f"(engine {_gb(result.role_peak('engine'))}, actions "
            f"{_gb(result.role_peak('actions'))}, web {_gb(result.role_peak('web'))}, each "
            "its own peak)")
        if n > 1:
            lines.append(f"Shared: balancer {_mb(result.role_peak('balancer', True))}, "
                         f"events consumer {_mb(result.role_peak('events', True))}")
        else:
            lines.append("The events consumer is a thread of this process (its CPU is "
                         "counted, its memory is not)")
    return lines


def _others(result: Result) -> str:
    cores = [s.others_cores for s in result.steps]
    return f"{statistics.median(cores):.2f}" if cores else "-"


def comparison(results: list[Result]) -> list[str]:
    def at_best(result: Result, get: Callable[[Step], str]) -> str:
        return get(result.best) if result.best else "-"

    rows: list[tuple[str, Callable[[Result], str]]] = [
        ("most learners held", lambda r: str(r.best.learners if r.best else 0)),
        (f"target >= {TARGET_LEARNERS}", lambda r: "PASS" if r.best and
         r.best.learners >= TARGET_LEARNERS else "FAIL"),
        ("p50 / p95 there (ms)", lambda r: at_best(r, lambda s: f"{s.p50_ms:.0f} / "
                                                   f"{s.p95_ms:.0f}")),
        ("turns/s there", lambda r: at_best(r, lambda s: f"{s.turns_per_s:.2f}")),
        ("CPU per turn (ms, median)", lambda r: f"{r.cpu_ms_per_turn:.1f}"),
        ("memory per replica (peak)", lambda r: _gb(r.replica_peak)),
        ("ready in (s)", lambda r: f"{r.ready_s:.0f}"),
        ("other jobs' cores (median)", _others),
    ]
    head = "".join(f"{f'{r.replicas} replica' + ('s' if r.replicas > 1 else ''):>14}"
                   for r in results)
    lines = [f"{'':28}{head}"]
    for label, get in rows:
        lines.append(f"{label:28}" + "".join(f"{get(r):>14}" for r in results))
    return lines


def run_steps(dep: Deployment, learners: list[int], seconds: float, out_dir: Path) -> Result:
    steps: list[Step] = []
    for n in learners:
        say(f"{dep.replicas} replica(s): {n} learners for {seconds:.0f} s (after "
            f"{n / SPAWN_PER_S:.0f} s of spawn)…")
        step = run_step(dep, n, seconds, out_dir)
        steps.append(step)
        say(f"  p50 {step.p50_ms:.0f} ms, p95 {step.p95_ms:.0f} ms, {step.errors} errors, "
            f"{step.turns_per_s:.2f} turns/s, {step.cpu_ms_per_turn:.0f} ms CPU per turn, "
            f"others' cores {step.others_cores:.2f}")
        if not step.held:
            break
    return Result(dep.replicas, dep.ready_s, steps)


# --- the soak ---------------------------------------------------------------------------------

# How bench/locustfile.py records a turn answered with the engine's apology alone
# (utter_action_failed): "apology (utter_action_failed)".
APOLOGY_ERROR_PREFIX = "apology"


@dataclass
class Stored:
    sent: int = 0
    stored: int = 0          # distinct messages of those sent found in the store
    apologised: int = 0      # not stored; the learner got the apology (told to try again)
    lost: int = 0            # not stored, and the learner was not told so:
    lost_answered: int = 0   # answered as if it had been stored,
    lost_failed: int = 0     # an error or silence (HTTP error, no answer, not JSON),
    lost_unended: int = 0    # or no end recorded (in flight when Locust stopped)
    duplicated: int = 0      # extra copies
    out_of_order: int = 0    # conversations
    altered: int = 0         # stored with another text
    unrecorded: int = 0      # user messages of these conversations never recorded as sent
    conversations: int = 0

    @property
    def whole(self) -> bool:
        """Every message stored once and in order, save those the learner was told to send
        again (the apology): the soak's first verdict."""
        return self.lost == self.duplicated == self.out_of_order == 0


def stored_turns(store_url: str, sends: list[dict[str, Any]],
                 dones: dict[str, dict[str, Any]]) -> Stored:
    """Every message sent looked up in the tracker store, by its message id."""
    from sqlalchemy import create_engine, text

    senders = {record["sender"] for record in sends}
    stored_by_sender: dict[str, list[tuple[str | None, str | None]]] = {}
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT sender_id, data FROM events WHERE type_name = 'user' "
                "ORDER BY timestamp, id"))
            for sender, data in rows:
                if sender in senders:
                    event = json.loads(data)
                    stored_by_sender.setdefault(sender, []).append(
                        (event.get("message_id"), event.get("text")))
    finally:
        engine.dispose()
    return count_stored(sends, stored_by_sender, dones)


def count_stored(sends: list[dict[str, Any]],
                 stored_by_sender: dict[str, list[tuple[str | None, str | None]]],
                 dones: dict[str, dict[str, Any]]) -> Stored:
    """What became of each message sent (``sends``: the learners' "send" records), given
    the user messages the store holds per conversation, in the store's order ((message id,
    text)), and how each turn ended for the learner (``dones``: "done" records by id)."""
    by_sender: dict[str, list[dict[str, Any]]] = {}
    for record in sends:
        by_sender.setdefault(record["sender"], []).append(record)
    found = Stored(sent=len(sends), conversations=len(by_sender))
    for sender, sent in by_sender.items():
        sent.sort(key=lambda r: r["seq"])
        stored = stored_by_sender.get(sender, [])
        texts = {record["id"]: record["text"] for record in sent}
        counts = Counter(mid for mid, _text in stored)
        found.unrecorded += sum(1 for mid, _text in stored if mid not in texts)
        found.altered += sum(1 for mid, body in stored if mid in texts and body != texts[mid])
        for record in sent:
            copies = counts[record["id"]]
            if copies:
                found.stored += 1
                found.duplicated += copies - 1
                continue
            done = dones.get(record["id"])
            error = None if done is None else done.get("error")
            if isinstance(error, str) and error.startswith(APOLOGY_ERROR_PREFIX):
                found.apologised += 1
                continue
            found.lost += 1
            if done is None:
                found.lost_unended += 1
            elif error is None:
                found.lost_answered += 1
            else:
                found.lost_failed += 1
        order = list(dict.fromkeys(mid for mid, _text in stored if mid in texts))
        if order != [record["id"] for record in sent if counts[record["id"]]]:
            found.out_of_order += 1
    return found


def stored_lines(stored: Stored) -> list[str]:
    """The soak's lines on what the tracker store holds of the messages sent."""
    lines = [
        f"  turns stored:         {stored.stored} (each message sent found in the tracker "
        "store, by its message id)",
        f"  apologised, not stored: {stored.apologised} (the learner was answered \"please "
        "try again in a moment\" and knows to send it again: not lost; among the errors "
        "seen by learners)",
        f"  lost:                 {stored.lost} (not stored, and the learner was not told "
        f"so: answered as if stored {stored.lost_answered}, an error or silence "
        f"{stored.lost_failed}, never ended (Locust stopped first) {stored.lost_unended})",
        f"  duplicated:           {stored.duplicated}",
        f"  out of order:         {stored.out_of_order} conversations",
    ]
    if stored.altered or stored.unrecorded:
        lines.append(f"  also: {stored.altered} stored with another text, {stored.unrecorded} "
                     "stored user messages never recorded as sent")
    return lines


def verdict_line(stored: Stored, errors: int, window_errors: int) -> str:
    """The soak's last line: PASS or FAIL for each target."""
    return (f"  every message stored exactly once, in order, unless the learner was told to "
            f"send it again (0 lost, duplicated or out of order): "
            f"{'PASS' if stored.whole else 'FAIL'}; 0 errors outside the kill window: "
            f"{'PASS' if errors == window_errors else 'FAIL'}; errors in the kill "
            f"window: {window_errors}")


def _relay_retries(logs: list[Path]) -> int:
    count = 0
    for path in logs:
        with contextlib.suppress(OSError):
            count += path.read_text(encoding="utf-8", errors="replace").count(
                "sending it again")
    return count


def _latency(dones: list[dict[str, Any]]) -> str:
    ms = [d["ms"] for d in dones if d.get("error") is None]
    if not ms:
        return "-"
    return f"{statistics.median(ms):.0f} / {percentile(ms, 95):.0f} ms ({len(ms)})"


def soak(dep: Replicated, learners: int, seconds: float, out_dir: Path) -> list[str]:
    spawn_s = learners / SPAWN_PER_S
    kill_after = spawn_s + seconds / 3
    records = out_dir / "records-soak"
    killed: dict[str, float] = {}
    relay_before = _relay_retries(dep.web_logs())
    balancer_before = dep.balancer_retries()

    def during(elapsed: float) -> None:
        if not killed and elapsed >= kill_after:
            popen = dep.engine(1).process.popen
            if popen is None or popen.poll() is not None:
                return  # not running now (restarting): tried again in a moment
            pgid = popen.pid
            killed["t"] = time.time()
            os.killpg(pgid, signal.SIGKILL)
            say(f"Killed the Rasa engine of replica 1 (SIGKILL to process group {pgid}).")

    say(f"Soak: {learners} learners for {seconds:.0f} s on {dep.replicas} replicas; the "
        f"engine of replica 1 is killed {kill_after:.0f} s in.")
    started = time.time()
    run = run_locust(dep, learners, seconds, out_dir / "soak", records, during)
    t_kill = killed.get("t")
    ready_at = None
    if t_kill is not None:
        deadline = time.monotonic() + RESTART_WAIT_S
        while ready_at is None and time.monotonic() < deadline:
            ready_at = next((t for t, message in dep.progress if t > t_kill
                             and "Rasa engine of replica 1 is ready again" in message), None)
            if ready_at is None:
                time.sleep(1)
    sends, dones = read_records(records)
    stored = stored_turns(dep.tracker_store_url, sends, dones)
    relays = _relay_retries(dep.web_logs()) - relay_before
    retries, redispatches = (a - b for a, b in zip(dep.balancer_retries(), balancer_before,
                                                  strict=True))
    sent_at = {r["id"]: r["t"] for r in sends}
    ended = list(dones.values())

    def in_window(done: dict[str, Any]) -> bool:
        if t_kill is None:
            return False
        sent = sent_at.get(done["id"], done["t"])
        return sent <= t_kill + KILL_GRACE_S and done["t"] >= t_kill

    door = {r["id"]: r["door"] for r in sends}
    errors = [d for d in ended if d.get("error")]
    window_errors = [d for d in errors if in_window(d)]
    resent = [d for d in ended if d.get("attempts", 1) > 1]
    kinds = Counter(f"{door.get(d['id'], '?')} {d['error']}" for d in errors)
    in_flight = 0 if t_kill is None else sum(
        1 for r in sends if r["t"] <= t_kill and dones.get(r["id"], {}).get("t", 1e18) >= t_kill)
    span = (max((d["t"] for d in ended), default=0.0)
            - min((r["t"] for r in sends), default=0.0))
    resent_kinds = Counter(d.get("resent_after") for d in resent)
    cut_off = sum(1 for r in sends if r["id"] not in dones)
    doors = Counter(r["door"] for r in sends)
    kill_text = ("no kill (the soak ended first)" if t_kill is None else
                 f"engine of replica 1 killed {t_kill - started:.0f} s in; "
                 + (f"ready again {ready_at - t_kill:.0f} s later" if ready_at else
                    f"not ready again {RESTART_WAIT_S:.0f} s after the soak"))
    before = [d for d in ended if t_kill is None or sent_at.get(d["id"], 0) < t_kill]
    during_restart = [d for d in ended if t_kill is not None and t_kill <= sent_at.get(
        d["id"], 0) < (ready_at or float("inf"))]
    after = [d for d in ended if ready_at is not None and sent_at.get(d["id"], 0) >= ready_at]
    lines = [
        f"Soak: {dep.replicas} replicas, {learners} learners for {seconds:.0f} s (after "
        f"{spawn_s:.0f} s of spawn; {run.wall_s:.0f} s in all); {kill_text}",
        f"  turns sent:           {stored.sent} (REST {doors['rest']}, widget "
        f"{doors['widget']}; {stored.conversations} conversations; "
        f"{len(ended) / max(span, 1e-9):.2f} turns/s)",
        *stored_lines(stored),
        f"  cut off by the end:   {cut_off} (sent, never ended: Locust's stop; stored or not)",
        f"  errors seen by learners: {len(errors)}"
        + (f" ({', '.join(f'{k} x{v}' for k, v in kinds.most_common())})" if errors else "")
        + f"; in the kill window: {len(window_errors)}, outside: "
        f"{len(errors) - len(window_errors)}",
        f"  kill window: turns in flight at the kill ({in_flight}, on either engine) and "
        f"those sent in the {KILL_GRACE_S:.0f} s after it",
        f"  resent once by the learner's client: {len(resent)}"
        + (f" (after {', '.join(f'{k} x{v}' for k, v in resent_kinds.most_common())}; "
           f"answered on the resend: {sum(1 for d in resent if not d.get('error'))}; in the "
           f"kill window: {sum(1 for d in resent if in_window(d))})" if resent else ""),
        f"  relays' retries (web apps' logs): {relays}; the balancer's retries / redispatches "
        f"to another engine: {retries} / {redispatches}",
        f"  p50 / p95 (answered turns): all {_latency(ended)}; before the kill "
        f"{_latency(before)}; kill to ready again {_latency(during_restart)}; after "
        f"{_latency(after)}",
        verdict_line(stored, len(errors), len(window_errors)),
    ]
    return lines


# --- main -------------------------------------------------------------------------------------

def _counts(value: str) -> list[int]:
    try:
        counts = [int(n) for n in value.split(",") if n.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"a comma-separated list of whole numbers >= 1, "
                                         f"not {value!r}")
    return counts


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: the same way out as Ctrl-C, through every finally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=_counts, default=None,
                        help="replicas, or several to compare, one after the other: 1, 2 or "
                        "1,2 (default 1; with --soak 2)")
    parser.add_argument("--steps", type=_counts, default=[50, 100, 200, 300, 400, 500, 600],
                        help="learners at each step, comma-separated "
                        "(default 50,100,200,300,400,500,600)")
    parser.add_argument("--step-seconds", type=float, default=90.0,
                        help="steady-state seconds per step, after the spawn (default 90)")
    parser.add_argument("--soak", action="store_true",
                        help="the soak, on >= 2 replicas, with one engine killed")
    parser.add_argument("--learners", type=int,
                        help="learners of the soak (default: 80%% of the most held, found "
                        "by running the steps first)")
    parser.add_argument("--soak-seconds", type=float, default=600.0,
                        help="seconds of the soak, after the spawn (default 600)")
    parser.add_argument("--out", type=Path,
                        help="keep the logs, Locust's CSVs and the learners' records here "
                        "(default: a temporary folder, removed at the end)")
    parser.add_argument("--postgres-url", default=LOCAL_POSTGRES,
                        help="PostgreSQL server where replicas get a database of this run's "
                        "own (any database of it in the URL; default the local one)")
    parser.add_argument("--redis-url", default=LOCAL_REDIS,
                        help="Redis server, without the database (default the local one)")
    parser.add_argument("--redis-db", type=int,
                        help="Redis database of the replicas (default a random one, 8-15)")
    parser.add_argument("--broker-url", default=LOCAL_BROKER,
                        help="RabbitMQ (default the local one, as guest)")
    args = parser.parse_args(argv)
    counts = args.replicas or ([2] if args.soak else [1])
    if args.soak and (len(counts) != 1 or counts[0] < 2):
        parser.error("--soak runs on one number of replicas, at least 2 (--replicas 2)")
    if args.learners is not None and not args.soak:
        parser.error("--learners is the soak's (with --soak)")
    if not LOCUST.is_file():
        print(f"Locust is missing from .venv ({LOCUST}): run `make setup`.", file=sys.stderr)
        return 2
    say(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}.")

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    results: list[Result] = []
    soak_lines: list[str] = []
    try:
        with contextlib.ExitStack() as cleanup:
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                run_dir = Path(tempfile.mkdtemp(prefix="pf-load-", dir=args.out))
                say(f"Logs, Locust's CSVs and records: {run_dir}")
            else:
                run_dir = Path(cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="pf-load-")))
            for replicas in counts:
                with deployment(replicas, run_dir, args) as dep:
                    if not (args.soak and args.learners):
                        results.append(run_steps(dep, args.steps, args.step_seconds, run_dir))
                    if args.soak:
                        learners = args.learners
                        if learners is None:
                            best = results[-1].best
                            if best is None:
                                say("No step was held: no load to soak at (give --learners).")
                                break
                            learners = max(1, round(SOAK_SHARE * best.learners))
                        soak_lines = soak(dep, learners, args.soak_seconds, run_dir)
    except KeyboardInterrupt:
        say("Interrupted: everything this run started is stopped.")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print()
    for result in results:
        for line in report(result):
            print(line)
        print()
    if len(results) > 1:
        for line in comparison(results):
            print(line)
        print()
    for line in soak_lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
