"""`pathfinder run --replicas 2` (bot/cluster.py) against the real services: PostgreSQL,
Redis, RabbitMQ and Debian's HAProxy, as an operator and a learner see it.

One cluster for the module (its engines take a minute or two to start, side by side), in a
PostgreSQL database, a Redis database, and a RabbitMQ queue and exchange of the test run's
own, on free public ports: it never meets a `pathfinder run` of the developer's. It is
stopped, and its database, queue and exchange removed, at the end. The engine killed by the
last test is started again by the cluster's supervisor while the test goes on on the other.

The functions first check what needs no service: the endpoints file of a replica, the
balancer's configuration (with HAProxy's own check), the settings of `--replicas`. The
cluster and the helpers to reach it are tests/cluster_support.py's; the shared services'
failures are tests/test_cluster_failures.py's."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.cluster import HAPROXY, balancer_config, check_redis, shared_services
from bot.console.conversations import Filters
from bot.console.summaries import SummaryStore
from bot.stack import SharedServices, StackError, endpoints_yaml
from knowledge.settings import PROJECT_ROOT, CliSettings, SettingsError
from tests.cluster_support import (
    BROKER_URL,
    REDIS_SERVER,
    RESTART_TIMEOUT_S,
    TURN_TIMEOUT_S,
    Running,
    engine_url,
    require_broker,
    require_haproxy_and_model,
    require_postgres,
    require_redis,
    running_cluster,
    tracker,
    turn,
)
from tests.conftest import POSTGRES_URL, unavailable
from tests.test_run import alive

ROLES = Counter({"engine": 2, "actions": 2, "web": 2, "balancer": 1, "events": 1})


# --- what needs no service --------------------------------------------------------------------

SHARED = SharedServices(
    tracker_store_url="postgresql+psycopg://rasa:p%40ss@db.internal:5433/talks?sslmode=require",
    redis_url="rediss://:red%21s@cache.internal:6380/3",
    broker_url="amqp://events:b%2Fq@mq.internal:5673/pathfinder", queue="q1", exchange="x1")


def test_a_replicas_endpoints_file_names_the_shared_stores() -> None:
    endpoints = YAML(typ="safe").load(endpoints_yaml(6055, SHARED, "# intro\n"))
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:6055/webhook"
    assert endpoints["tracker_store"] == {
        "type": "bot.engine.tracker_store.RedactingSQLTrackerStore", "dialect": "postgresql",
        "url": "db.internal", "port": 5433, "db": "talks", "username": "rasa",
        "password": "p@ss", "query": {"sslmode": "require"}}
    assert endpoints["lock_store"] == {
        "type": "bot.engine.lock_store.AtomicRedisLockStore", "url": "cache.internal",
        "port": 6380, "db": 3, "password": "red!s", "use_ssl": True}
    # Rasa's Pika broker puts the user and password back into the URL: still encoded.
    assert endpoints["event_broker"] == {
        "type": "pika", "url": "amqp://mq.internal:5673/pathfinder", "port": 5673,
        "username": "events", "password": "b%2Fq", "queues": ["q1"], "exchange_name": "x1"}


@pytest.mark.parametrize("field, value, expected", [
    ("tracker_store_url", "sqlite:///var/tracker.db", "PATHFINDER_TRACKER_DB_URL must be"),
    ("redis_url", "unix:///run/redis.sock", "PATHFINDER_REDIS_URL must be a redis://"),
])
def test_replicas_refuse_stores_they_cannot_share(field: str, value: str,
                                                  expected: str) -> None:
    shared = SharedServices(**{**SHARED.__dict__, field: value})
    with pytest.raises(StackError, match=expected):
        endpoints_yaml(6055, shared, "")


def test_the_shared_stores_are_the_settings_else_the_local_services(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATHFINDER_DATABASE_URL", "PATHFINDER_TRACKER_DB_URL",
                 "PATHFINDER_REDIS_URL", "PATHFINDER_EVENT_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    database, shared = shared_services(CliSettings.from_env({}), None, "q", "x")
    assert database == shared.tracker_store_url == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/pathfinder")
    assert (shared.redis_url, shared.broker_url) == (
        "redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672/%2F")
    monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL", "postgresql+psycopg://rasa@db/talks")
    monkeypatch.setenv("PATHFINDER_REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("PATHFINDER_EVENT_BROKER_URL", "amqp://u:secret@mq/%2F")
    database, shared = shared_services(CliSettings.from_env(), "postgresql://kb@db/kb", "q", "x")
    assert (database, shared.tracker_store_url) == ("postgresql://kb@db/kb",
                                                    "postgresql+psycopg://rasa@db/talks")
    assert (shared.redis_url, shared.broker_url) == ("redis://cache:6379/2",
                                                     "amqp://u:secret@mq/%2F")
    assert "secret" not in repr(shared)


def test_the_replicas_setting_is_checked() -> None:
    assert CliSettings.from_env({}).replicas == 1
    assert CliSettings.from_env({"PATHFINDER_REPLICAS": "3"}).replicas == 3
    with pytest.raises(SettingsError, match="PATHFINDER_REPLICAS must be a whole number"):
        CliSettings.from_env({"PATHFINDER_REPLICAS": "0"})


def test_the_balancer_configuration_is_valid_and_keeps_internals_on_loopback(
        tmp_path: Path) -> None:
    config = balancer_config("0.0.0.0", 8000, 5005, 41000, 41001, [42001, 42002],
                             [43001, 43002])
    binds = [line.split()[1] for line in config.splitlines() if line.strip().startswith("bind")]
    assert binds == ["0.0.0.0:8000", "0.0.0.0:5005", "127.0.0.1:41000", "127.0.0.1:41001"]
    servers = [line.split()[2] for line in config.splitlines()
               if line.strip().startswith("server ")]
    assert servers == ["127.0.0.1:42001", "127.0.0.1:42002", "127.0.0.1:43001",
                       "127.0.0.1:43002"]
    directives = [line.split()[0] for line in config.splitlines()
                  if line.strip() and not line.strip().startswith("#")]
    assert "log" not in directives, "no request log: it would show the ?token= of API calls"
    assert "stats admin" not in config
    if not HAPROXY.is_file():
        unavailable(f"no HAProxy at {HAPROXY}: `make setup` installs Debian's haproxy")
    (tmp_path / "haproxy.cfg").write_text(config)
    checked = subprocess.run([str(HAPROXY), "-c", "-f", str(tmp_path / "haproxy.cfg")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# What four engines do at once with one conversation's lock, each with a client of its own:
# read a number, wait, write it plus one, inside the lock. Prints the number, then how many
# turns failed, then how many lock keys are left.
LOCK_STRESS = """
import asyncio, sys, threading
from types import SimpleNamespace
import redis
from bot.engine.lock_store import AtomicRedisLockStore, KEY_PREFIX
db, conversation, turns = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
counter = redis.StrictRedis(db=db)
failed = []
async def engine():
    store = AtomicRedisLockStore(SimpleNamespace(url="127.0.0.1", kwargs={"db": db}))
    for _ in range(turns):
        try:
            async with store.lock(conversation):
                value = int(counter.get("test-counter:" + conversation) or 0)
                await asyncio.sleep(0.002)
                counter.set("test-counter:" + conversation, value + 1)
        except Exception as exc:
            failed.append(exc)
threads = [threading.Thread(target=asyncio.run, args=(engine(),)) for _ in range(4)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(int(counter.get("test-counter:" + conversation)), len(failed),
      len(counter.keys(KEY_PREFIX + conversation + "*")))
counter.delete("test-counter:" + conversation)
"""


def test_the_lock_store_serves_one_turn_of_a_conversation_at_a_time() -> None:
    """bot/engine/lock_store.py in the engine's environment, four engines' clients at once
    on one conversation: no turn runs beside another (no update is lost), none fails, and
    the last one leaves no key behind. (Rasa 3.6's RedisLockStore loses some here.)"""
    try:
        check_redis(REDIS_SERVER)
    except StackError as exc:
        pytest.skip(f"Redis is not reachable: {exc}")
    engine_python = PROJECT_ROOT / ".venv-engine" / "bin" / "python"
    if not engine_python.exists():
        unavailable(f"no engine environment at {engine_python}: run `make setup`")
    done = subprocess.run(
        [str(engine_python), "-c", LOCK_STRESS, str(random.randrange(8, 16)),
         f"test-{uuid.uuid4().hex}", "25"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["100", "0", "0"]


# --- the cluster --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_haproxy_and_model()
    require_postgres(POSTGRES_URL)
    require_redis(REDIS_SERVER)
    require_broker(BROKER_URL)
    with running_cluster(tmp_path_factory.mktemp("cluster"), postgres_url=POSTGRES_URL,
                         # A Redis database of its own: Rasa's lock keys are per conversation
                         # anyway.
                         redis_url=f"{REDIS_SERVER}/{random.randrange(8, 16)}",
                         broker_url=BROKER_URL) as running:
        yield running


def test_turns_right_after_start_are_served_by_the_balancer(cluster: Running) -> None:
    """First in the module, so it runs the moment `pathfinder run --replicas` says it is
    running: the balancer's own checks must be done by then, or it answers 503."""
    for number in range(4):  # round robin: both engines, both web apps
        turn(cluster.rasa_url, f"first-{uuid.uuid4().hex[:8]}-{number}", "hello")
        widget = httpx.post(f"{cluster.web_url}/api/conversations/web-{uuid.uuid4().hex}/"
                            "messages", json={"message": "hello"}, timeout=TURN_TIMEOUT_S)
        assert widget.status_code == 200 and widget.json()["messages"], widget.text


def test_status_lists_every_process_and_each_answers(cluster: Running) -> None:
    code, out = cluster.status("--json")
    assert code == 0, out
    processes = json.loads(out)["processes"]
    assert Counter(p["role"] for p in processes) == ROLES
    assert all(p["healthy"] for p in processes), processes
    assert all(p["pid"] and alive({p["pid"]}) for p in processes)
    by_role = {(p["role"], p["replica"]): p for p in processes}
    assert by_role["balancer", None]["port"] == int(cluster.web_url.rsplit(":", 1)[1])
    for role in ("engine", "actions", "web"):
        assert {by_role[role, 1]["replica"], by_role[role, 2]["replica"]} == {1, 2}
        assert by_role[role, 1]["port"] != by_role[role, 2]["port"]
    assert oct(cluster.state_file.stat().st_mode & 0o777) == oct(0o600)
    code, out = cluster.status()
    assert code == 0 and out.splitlines()[0].split() == ["role", "replica", "port", "pid",
                                                          "healthy"]
    assert len(out.splitlines()) == 1 + len(processes)


def test_rest_turns_through_the_balancer_are_answered_by_both_engines(
        cluster: Running) -> None:
    before = cluster.engine_stats()
    for _ in range(6):
        response = turn(cluster.rasa_url, f"cluster-{uuid.uuid4().hex[:12]}", "Hello")
        assert response.headers["content-language"] == "en"
    after = cluster.engine_stats()
    assert set(after) == {"engine-1", "engine-2"}
    assert all(after[name] - before[name] >= 2 for name in after), (before, after)


def test_the_widget_api_works_through_the_web_port(cluster: Running) -> None:
    conversation = f"{cluster.web_url}/api/conversations/web-{uuid.uuid4().hex}/messages"
    sent = httpx.post(conversation, json={"message": "Bonjour"}, timeout=TURN_TIMEOUT_S)
    assert sent.status_code == 200, sent.text
    assert sent.json()["lang"] == "fr" and sent.json()["messages"]
    history = httpx.get(conversation, timeout=TURN_TIMEOUT_S).json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "user"] == ["Bonjour"]
    assert any(m["sender"] == "bot" for m in history)


def test_two_messages_at_once_on_two_engines_are_processed_one_after_the_other(
        cluster: Running) -> None:
    """Rasa's lock store (Redis): the second turn waits for the first, whichever engine
    runs it, and reads the tracker the first one saved. Without it, both would start from
    the same tracker and one turn's events would be lost or mixed with the other's."""
    engines = [engine_url(cluster, 1), engine_url(cluster, 2)]
    sender = f"cluster-lock-{uuid.uuid4().hex[:12]}"
    sent: list[str] = []
    answers: list[int] = []
    for round_number in range(3):
        barrier = threading.Barrier(2)
        messages = [f"Hello {round_number}", f"I am a welder {round_number}"]

        def send(url: str, message: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()  # both sent at the same moment
            response = httpx.post(f"{url}/webhooks/rest/webhook", timeout=TURN_TIMEOUT_S,
                                  json={"sender": sender, "message": message})
            answers.append(response.status_code if response.json() else 0)

        threads = [threading.Thread(target=send, args=pair)
                   for pair in zip(engines, messages, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TURN_TIMEOUT_S)
        sent += messages
    assert answers == [200] * len(sent), "every turn answered"
    events = tracker(engines[0], sender)["events"]
    # Each turn whole: its user message, its replies, then listening, before the next one.
    turns: list[list[str]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([event["text"]])
        elif turns:
            turns[-1].append(event.get("name") or event["event"])
    assert sorted(one[0] for one in turns) == sorted(sent), "each turn stored once"
    for one in turns:
        assert "bot" in one and one[-1] == "action_listen", turns
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), "no turn's events among another's"


def test_the_events_consumer_fills_the_console_summaries(cluster: Running) -> None:
    sender = f"cluster-events-{uuid.uuid4().hex[:12]}"
    turn(cluster.rasa_url, sender, "I am a welder")
    engine = create_engine(cluster.database_url)
    deadline = time.monotonic() + 60
    listed: list[str] = []
    try:
        while sender not in listed and time.monotonic() < deadline:
            time.sleep(0.5)
            with Session(engine) as session:
                _total, page = SummaryStore(session).page(Filters(), 0.6, 0, 100)
            listed = [row.sender_id for row in page]
    finally:
        engine.dispose()
    assert sender in listed, "the events consumer did not write the conversation's summary"


def test_a_killed_engines_conversations_go_on_on_the_other_and_it_is_restarted(
        cluster: Running) -> None:
    """kill -9 one engine between two turns of a conversation: the learner's next turn is
    answered, by the other engine, with the conversation whole (its slots too), and the
    supervisor starts the killed one again while the other serves."""
    sender = f"cluster-kill-{uuid.uuid4().hex[:12]}"
    turn(cluster.rasa_url, sender, "Bonjour")
    turn(cluster.rasa_url, sender, "Je suis soudeur")
    slots = tracker(cluster.rasa_url, sender)["slots"]
    assert slots["language"] == "fr" and slots["current_noc"], slots
    # The learner types after the engine has died. (A request that reaches it in the few
    # milliseconds the kernel takes to close its sockets gets a 502 from HAProxy: the
    # relays' retry with the same message id is for such a turn in flight.)
    killed, since = cluster.kill("engine", 1)

    answered = turn(cluster.rasa_url, sender, "Combien gagnent les soudeurs ?")
    assert answered.headers["content-language"] == "fr"
    survivor = tracker(engine_url(cluster, 2), sender)
    assert [e["text"] for e in survivor["events"] if e["event"] == "user"] == [
        "Bonjour", "Je suis soudeur", "Combien gagnent les soudeurs ?"]
    assert survivor["slots"]["language"] == "fr"
    assert survivor["slots"]["current_noc"] == slots["current_noc"]

    cluster.run.wait_for("The Rasa engine of replica 1 exited", timeout=30, since=since)
    cluster.run.wait_for("The Rasa engine of replica 1 is ready again",
                         timeout=RESTART_TIMEOUT_S, since=since)
    restarted = cluster.process("engine", 1)
    assert restarted["pid"] != killed["pid"] and restarted["healthy"]
    assert all(p["healthy"] for p in cluster.processes())
    assert tracker(engine_url(cluster, 1), sender)["slots"]["current_noc"] == (
        slots["current_noc"])


def test_a_frozen_web_app_is_restarted_while_the_other_serves(cluster: Running) -> None:
    """A web app that stops answering (SIGSTOP: a frozen event loop looks so from outside):
    the balancer stops sending it visitors, the widget goes on through the other, and the
    supervisor kills and starts it again after --restart-after (10 s here)."""
    frozen = cluster.process("web", 2)
    since = len(cluster.run.output)
    os.killpg(frozen["pid"], signal.SIGSTOP)
    try:
        # A request it had already been given waits for it (HAProxy's `timeout server`);
        # once its health check has failed twice, it is given none.
        deadline = time.monotonic() + 30
        while not cluster.servers("web")["web-2"]["status"].startswith("DOWN"):
            assert time.monotonic() < deadline, "the balancer still sends visitors to web-2"
            time.sleep(0.5)
        conversation = f"{cluster.web_url}/api/conversations/web-{uuid.uuid4().hex}/messages"
        for _ in range(4):  # round robin would give web-2 every other one
            sent = httpx.post(conversation, json={"message": "Hello"}, timeout=TURN_TIMEOUT_S)
            assert sent.status_code == 200 and sent.json()["messages"], sent.text
        cluster.run.wait_for("The web app of replica 2 has not answered its health check",
                             timeout=60, since=since)
        cluster.run.wait_for("The web app of replica 2 is ready again",
                             timeout=RESTART_TIMEOUT_S, since=since)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(frozen["pid"], signal.SIGCONT)
    restarted = cluster.process("web", 2)
    assert restarted["pid"] != frozen["pid"] and restarted["healthy"]
    assert not alive({frozen["pid"]})
