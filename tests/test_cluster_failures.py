"""`pathfinder run --replicas 2` (bot/cluster.py) when a service it depends on fails, against
the real services, as a learner and an operator notice it (issue 14): the actions server
killed, PostgreSQL stopped and started again, Redis killed and started again, RabbitMQ out
of reach. Each time the learner gets a polite answer or a normal one, never silence nor an
error; once the service is back the turns are normal without anyone restarting anything
(the supervisor restarts what died); and the conversation's tracker holds each turn once,
in order (the engines read each one's message id back), whose events, for RabbitMQ, reach
the console's summaries once the broker is back.

The machine's PostgreSQL, Redis and RabbitMQ are shared with other work, so the cluster's
own are what a test takes away: a PostgreSQL server of its own (initdb in a temporary
folder, as the user postgres when the tests run as root) that it stops and starts, a
redis-server of its own that it kills and starts, and the shared RabbitMQ behind a TCP
proxy in this process that it cuts (every connection reset, new ones refused) and opens.
One cluster for the module: the tests leave every service running again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.stack import free_port
from knowledge.models import ConversationSummary
from tests.cluster_support import (
    BROKER_URL,
    RESTART_TIMEOUT_S,
    TURN_TIMEOUT_S,
    Running,
    engine_url,
    require_broker,
    require_haproxy_and_model,
    running_cluster,
    tracker,
)
from tests.conftest import TEST_RASA_TOKEN, unavailable
from tests.test_run import alive

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER_BIN = "redis-server"
BROKER_ADDRESS = ("127.0.0.1", 5672)  # BROKER_URL's
# Answered with the actions server's work (action_resolve_job), as tests/test_channels.py.
NEEDS_ACTIONS = "I am a cashier"
SUMMARY_TIMEOUT_S = 90
T = TypeVar("T")


# --- the services a test may take away ------------------------------------------------------

class PrivatePostgres:
    """A PostgreSQL 15 server of the module's own, on a free loopback port, trust
    authentication for the user postgres; its files in a temporary folder."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="pathfinder-failures-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:  # initdb refuses root: the folder is postgres's
            shutil.chown(self.folder, "postgres", "postgres")
        self._tool("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # Durability is not what is tested: fsync off keeps the shared disk out of it.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300")
        self._tool("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"),
                   "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stops the server as `systemctl restart` would: every session ended."""
        self._tool("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._tool("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _tool(self, name: str, *args: str) -> None:
        argv = [str(POSTGRES_BIN / name), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, argv, done.stdout,
                                                done.stderr)


class PrivateRedis:
    """A redis-server of the module's own, on a free loopback port, keeping nothing on disk
    (a restart loses Rasa's lock tickets, as a restart of a Redis without persistence
    does)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 (while it runs)
        self.popen = subprocess.Popen(
            [REDIS_SERVER_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    break
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.1)
        client.close()

    def kill(self) -> None:
        """kill -9: what the cluster sees when Redis crashes."""
        if self.popen is not None:
            self.popen.kill()
            self.popen.wait(timeout=30)
            self.popen = None
        if self._log is not None:
            self._log.close()
            self._log = None


class TcpProxy:
    """A TCP proxy from a free loopback port to ``target``, in a thread of this process:
    :meth:`cut` resets every connection through it and refuses new ones (to its clients,
    the server is gone), :meth:`open` lets them through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="tcp-proxy")
        self._thread.start()

    def open(self) -> None:
        self._call(self._open())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _open(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port,
                                                      reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()  # the port refuses connections from now on
            self._server = None
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted as it was cut
            _reset(writer)
            return
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        pair = {writer, upstream}
        self._writers |= pair
        try:
            await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))
        finally:
            for one in pair:
                self._writers.discard(one)
                one.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:  # reset by the other side, or by a cut
        pass
    finally:
        writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset, as a dead server's host answers, not an orderly goodbye."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class Services:
    postgres: PrivatePostgres
    redis: PrivateRedis
    broker: TcpProxy  # in front of the shared RabbitMQ

    @property
    def broker_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.broker.port}/%2F"


def _requirements() -> None:
    require_haproxy_and_model()
    for tool in ("initdb", "pg_ctl"):
        if not (POSTGRES_BIN / tool).is_file():
            unavailable(f"no {POSTGRES_BIN / tool}: the PostgreSQL 15 server package")
    if shutil.which(REDIS_SERVER_BIN) is None:
        unavailable("no redis-server on PATH: the Redis server package")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root without a user postgres for initdb")
        if shutil.which("runuser") is None:
            unavailable("running as root without runuser (initdb refuses root)")
    require_broker(BROKER_URL)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    _requirements()
    with ExitStack() as cleanup:
        postgres = PrivatePostgres()
        cleanup.callback(postgres.remove)
        postgres.start()
        private_redis = PrivateRedis(tmp_path_factory.mktemp("redis"))
        cleanup.callback(private_redis.kill)
        private_redis.start()
        broker = TcpProxy(BROKER_ADDRESS)
        cleanup.callback(broker.close)
        broker.open()
        yield Services(postgres, private_redis, broker)


@pytest.fixture(scope="module")
def cluster(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_cluster(tmp_path_factory.mktemp("cluster"), postgres_url=services.postgres.url,
                         redis_url=services.redis.url, broker_url=services.broker_url,
                         # The default: a restarted actions server's first turns wait
                         # 15-40 s for its index (see the actions server's test).
                         broker_admin_url=BROKER_URL, restart_after_s=30) as running:
        yield running


@pytest.fixture(scope="module")
def apologies(cluster: Running) -> set[str]:
    """utter_action_failed in each language, as the engines' domain has it: the polite
    answer of a turn that could not be served."""
    response = httpx.get(f"{engine_url(cluster, 1)}/domain", params={"token": TEST_RASA_TOKEN},
                         headers={"Accept": "application/json"}, timeout=30)
    assert response.status_code == 200, response.text
    texts = {variant["text"] for variant in response.json()["responses"]["utter_action_failed"]}
    assert len(texts) == 2
    return texts


@pytest.fixture(scope="module")
def french_apology(cluster: Running, apologies: set[str]) -> str:
    """utter_action_failed's French variant (the one conditioned on language fr)."""
    response = httpx.get(f"{engine_url(cluster, 1)}/domain", params={"token": TEST_RASA_TOKEN},
                         headers={"Accept": "application/json"}, timeout=30)
    [text] = [variant["text"] for variant in response.json()["responses"]["utter_action_failed"]
              if any(c.get("name") == "language" and c.get("value") == "fr"
                     for c in variant.get("condition") or [])]
    assert text in apologies
    return text


# --- a learner ------------------------------------------------------------------------------

@dataclass
class Answer:
    message_id: str
    texts: list[str]
    apologised: bool  # the polite "please try again in a moment"


@dataclass
class Learner:
    """One conversation, each turn with a message id as the relays send it (so that a turn
    sent again is stored once: connectors/rasa_client.py); ``stored``: the ids of the turns
    the tracker must hold, in order."""

    apologies: set[str]
    sender: str = field(default_factory=lambda: f"failures-{uuid.uuid4().hex[:12]}")
    stored: list[str] = field(default_factory=list)
    retry: list[tuple[str, str]] = field(default_factory=list)  # apologised: sent again

    def say(self, url: str, message: str, message_id: str | None = None) -> Answer:
        """One turn: the learner is answered (200, not silence), politely or normally."""
        message_id = message_id or f"m-{uuid.uuid4().hex[:16]}"
        response = httpx.post(f"{url}/webhooks/rest/webhook", timeout=TURN_TIMEOUT_S, json={
            "sender": self.sender, "message": message, "metadata": {"message_id": message_id}})
        assert response.status_code == 200, f"{message!r}: {response.status_code} " \
                                            f"{response.text}"
        messages = response.json()
        assert messages, f"silence for {message!r}"
        texts = [m["text"] for m in messages if m.get("text")]
        return Answer(message_id, texts, bool(texts) and texts[-1] in self.apologies)

    def normal(self, url: str, message: str, message_id: str | None = None) -> Answer:
        """A turn answered as usual, and stored."""
        answer = self.say(url, message, message_id)
        assert not set(answer.texts) & self.apologies, (message, answer)
        if answer.message_id not in self.stored:
            self.stored.append(answer.message_id)
        return answer

    def during_outage(self, url: str, message: str) -> None:
        """A turn while a store is away: answered politely, then sent again once it is back
        (the same id: stored once whatever became of the first attempt); or answered
        normally, and then stored."""
        answer = self.say(url, message)
        if not answer.apologised:
            assert not set(answer.texts) & self.apologies, (message, answer)
            self.stored.append(answer.message_id)
            return
        self.retry.append((message, answer.message_id))

    def send_again(self, url: str) -> None:
        """The turns apologised for, sent again as they were: now answered normally."""
        for message, message_id in self.retry:
            self.normal(url, message, message_id)
        self.retry.clear()

    def assert_whole(self, *engines: str) -> dict[str, Any]:
        """Each engine reads the conversation back with every stored turn once, in order."""
        found: dict[str, Any] = {}
        for url in engines:
            found = tracker(url, self.sender)
            ids = [e.get("message_id") for e in found["events"] if e["event"] == "user"]
            assert ids == self.stored, f"{url}: {ids} != {self.stored}"
        return found


def answered_normally(url: str, apologies: set[str], message: str, timeout: float) -> None:
    """Turns of new conversations (a turn still running holds none of the next one's) until
    one is answered normally, each one answered meanwhile."""
    deadline = time.monotonic() + timeout
    while Learner(apologies).say(url, message).apologised:
        assert time.monotonic() < deadline, f"{message!r} was never answered normally"
        time.sleep(2)


def both_engines(cluster: Running) -> tuple[str, str]:
    return engine_url(cluster, 1), engine_url(cluster, 2)


def pids(cluster: Running) -> dict[tuple[str, int | None], int]:
    return {(p["role"], p["replica"]): p["pid"] for p in cluster.processes()}


def summary_turns(cluster: Running, sender: str) -> int:
    """The user turns of the conversation's summary in the console (0: none yet)."""
    engine = create_engine(cluster.database_url)
    try:
        with Session(engine) as session:
            row = session.get(ConversationSummary, sender)
            return 0 if row is None else int(row.user_turns)
    finally:
        engine.dispose()


def wait_for_summary(cluster: Running, sender: str, turns: int) -> None:
    deadline = time.monotonic() + SUMMARY_TIMEOUT_S
    while (found := summary_turns(cluster, sender)) != turns:
        assert time.monotonic() < deadline, f"the console's summary has {found} turns of " \
                                            f"{turns}"
        time.sleep(0.5)


# --- the tests ------------------------------------------------------------------------------

def test_a_replica_whose_actions_server_died_apologises_the_other_answers_and_it_is_restarted(
        cluster: Running, apologies: set[str]) -> None:
    """kill -9 replica 1's actions server: its engine answers the turns that need actions
    politely (and stores them), replica 2 answers them normally, and once the supervisor
    has started the actions server again replica 1 answers normally too."""
    learner = Learner(apologies)
    one, two = both_engines(cluster)
    learner.normal(one, "Hello")
    killed, since = cluster.kill("actions", 1)

    answer = learner.say(one, NEEDS_ACTIONS)
    assert answer.apologised and len(answer.texts) == 1, answer
    learner.stored.append(answer.message_id)  # Rasa went on without the action: stored
    learner.normal(two, NEEDS_ACTIONS)

    cluster.run.wait_for("The actions server of replica 1 exited", timeout=30, since=since)
    cluster.run.wait_for("The actions server of replica 1 is ready again",
                         timeout=RESTART_TIMEOUT_S, since=since)
    restarted = cluster.process("actions", 1)
    assert restarted["pid"] != killed["pid"] and restarted["healthy"]
    assert not alive({killed["pid"]})
    # A started actions server builds its occupation index (15-40 s on this machine) before
    # it can serve, and a turn that comes meanwhile waits for it (actions/context.py,
    # warm_up): answered politely, or late. Other learners' turns until one is answered
    # normally, then this learner's is normal at once.
    answered_normally(one, apologies, NEEDS_ACTIONS, RESTART_TIMEOUT_S)
    learner.normal(one, NEEDS_ACTIONS)
    learner.assert_whole(one, two)


def test_a_turn_while_postgresql_is_down_is_apologised_for_and_no_turn_is_lost(
        cluster: Running, services: Services, apologies: set[str],
        french_apology: str) -> None:
    """PostgreSQL stopped between two turns (every session ended) and started again: the
    turn in between is answered politely (not as the start of a new conversation, which
    would then be stored over the real one), in French to a learner speaking French (the
    conversation's language cannot be read meanwhile: the message's), the engines' next
    turns work on their first try (their pools' dead connections are not used), and the
    conversation goes on whole, its slots with it."""
    learner = Learner(apologies)
    one, two = both_engines(cluster)
    learner.normal(cluster.rasa_url, "Hello")
    learner.normal(cluster.rasa_url, "I am a welder")
    slots = tracker(one, learner.sender)["slots"]
    assert slots["current_noc"], slots
    french = Learner(apologies)
    french.normal(cluster.rasa_url, "Bonjour")
    before = pids(cluster)
    services.postgres.stop()
    try:
        learner.during_outage(cluster.rasa_url, "How much do welders earn?")
        Learner(apologies).say(cluster.rasa_url, "Hello")  # a new learner: not silence either
        assert french.say(cluster.rasa_url, "Je suis soudeur").texts == [french_apology]
    finally:
        services.postgres.start()
    learner.send_again(one)
    learner.normal(two, "What training do I need?")
    learner.normal(one, "Thank you")
    found = learner.assert_whole(one, two)
    assert found["slots"]["current_noc"] == slots["current_noc"]
    assert found["slots"]["language"] == slots["language"]
    assert pids(cluster) == before, "nothing had to be restarted"


def test_a_turn_while_redis_is_down_is_answered_and_the_lock_store_reconnects(
        cluster: Running, services: Services, apologies: set[str]) -> None:
    """Redis (Rasa's lock store, the web apps' rate limits) killed and started again, empty:
    a turn in between is answered politely, through the widget too, and the turns after it
    on either engine are normal."""
    learner = Learner(apologies)
    one, two = both_engines(cluster)
    learner.normal(cluster.rasa_url, "Hello")
    before = pids(cluster)
    services.redis.kill()
    try:
        learner.during_outage(cluster.rasa_url, "I am a welder")
        widget = f"{cluster.web_url}/api/conversations/web-{uuid.uuid4().hex}/messages"
        sent = httpx.post(widget, json={"message": "Hello"}, timeout=TURN_TIMEOUT_S)
        assert sent.status_code == 200 and sent.json()["messages"], sent.text
    finally:
        services.redis.start()
    learner.send_again(one)
    learner.normal(two, "How much do welders earn?")
    learner.normal(one, "Thank you")
    learner.assert_whole(one, two)
    assert pids(cluster) == before, "nothing had to be restarted"


def test_events_published_while_rabbitmq_is_out_of_reach_reach_the_console_later(
        cluster: Running, services: Services, apologies: set[str]) -> None:
    """RabbitMQ out of reach (every connection reset, none accepted): turns are answered
    normally (the broker is not on their way), and once it is back the engines publish the
    events they kept and the events consumer, connected again by itself, writes them: the
    console's summary of the conversation ends up with every turn."""
    learner = Learner(apologies)
    one, two = both_engines(cluster)
    learner.normal(cluster.rasa_url, "Hello")
    wait_for_summary(cluster, learner.sender, 1)
    before = pids(cluster)
    services.broker.cut()
    try:
        learner.normal(one, "I am a welder")
        learner.normal(two, "How much do welders earn?")
        assert summary_turns(cluster, learner.sender) == 1, "the broker was not cut"
    finally:
        services.broker.open()
    wait_for_summary(cluster, learner.sender, 3)
    learner.normal(cluster.rasa_url, "Thank you")
    wait_for_summary(cluster, learner.sender, 4)
    learner.assert_whole(one, two)
    assert pids(cluster) == before, "the engines and the consumer reconnected by themselves"
