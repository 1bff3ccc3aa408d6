"""What the tests of `pathfinder run --replicas` (bot/cluster.py) share: a cluster of the test
module's own against real services (:func:`running_cluster`), and how a test reaches it, as
an operator (`pathfinder status`, the balancer's statistics) and as a learner (a turn, the
conversation's tracker). Used by tests/test_cluster.py and tests/test_cluster_failures.py.

A cluster gets a PostgreSQL database, a RabbitMQ queue and exchange of its own and free
public ports: it never meets a `pathfinder run` of the developer's. It is stopped, and its
database, queue and exchange removed, at the end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.cluster import HAPROXY, check_broker, check_redis
from bot.stack import StackError, free_port
from tests.conftest import MODEL, TEST_RASA_TOKEN, unavailable
from tests.test_run import RunProcess, alive

# Two engines load their models side by side (about two minutes on 2 busy cores).
START_TIMEOUT_S = 420
RESTART_TIMEOUT_S = 300
TURN_TIMEOUT_S = 60
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
REDIS_SERVER = "redis://127.0.0.1:6379"


@dataclass
class Running:
    run: RunProcess
    state_file: Path
    web_url: str
    rasa_url: str
    stats_url: str
    database_url: str

    def status(self, *args: str) -> tuple[int, str]:
        script = Path(sys.executable).with_name("pathfinder")
        done = subprocess.run([str(script), "status", "--state-file", str(self.state_file),
                               *args], capture_output=True, text=True, timeout=60, check=False)
        return done.returncode, done.stdout

    def processes(self) -> list[dict[str, Any]]:
        _code, out = self.status("--json")
        listed: list[dict[str, Any]] = json.loads(out)["processes"]
        return listed

    def process(self, role: str, replica: int | None) -> dict[str, Any]:
        return next(p for p in self.processes()
                    if p["role"] == role and p["replica"] == replica)

    def kill(self, role: str, replica: int) -> tuple[dict[str, Any], int]:
        """kill -9 a replica's process (its group), and wait until its port is closed: its
        status record, and how many lines the run had printed before the kill (the
        supervisor's lines about it come after)."""
        killed = self.process(role, replica)
        since = len(self.run.output)
        os.killpg(killed["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while port_open(killed["port"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        return killed, since

    def servers(self, backend: str) -> dict[str, dict[str, str]]:
        """The balancer's figures of each server of ``backend`` (its stats page's CSV)."""
        csv = httpx.get(f"{self.stats_url};csv", timeout=10).text.splitlines()
        header = csv[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in csv[1:]]
        return {row["svname"]: row for row in rows
                if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    def engine_stats(self) -> dict[str, int]:
        """Requests the balancer has sent to each engine."""
        return {name: int(row["stot"]) for name, row in self.servers("engines").items()}


# --- what a cluster needs -------------------------------------------------------------------

def require_haproxy_and_model() -> None:
    if not HAPROXY.is_file():
        unavailable(f"no HAProxy at {HAPROXY}: `make setup` installs Debian's haproxy")
    if not MODEL.is_file():
        pytest.skip(f"no Rasa model at {MODEL}: run `make train`")


def require_postgres(url: str) -> None:
    try:
        with create_engine(url, connect_args={"connect_timeout": 3}).connect():
            pass
    except Exception as exc:  # noqa: BLE001 (any failure: the server is not usable)
        pytest.skip(f"PostgreSQL is not reachable at {make_url(url).host} "
                    f"({type(exc).__name__})")


def require_redis(url: str) -> None:
    try:
        check_redis(url)
    except StackError as exc:
        pytest.skip(f"Redis is not reachable: {exc}")


def require_broker(url: str) -> None:
    try:
        check_broker(url)
    except StackError as exc:
        pytest.skip(f"RabbitMQ is not reachable: {exc}")


# --- the cluster ----------------------------------------------------------------------------

def _remove_queue_and_exchange(broker_url: str, queue: str, exchange: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
    finally:
        connection.close()


def _drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def running_cluster(tmp: Path, *, postgres_url: str, redis_url: str, broker_url: str,
                    broker_admin_url: str = BROKER_URL, restart_after_s: int = 10,
                    env: dict[str, str] | None = None) -> Iterator[Running]:
    """`pathfinder run --replicas 2` until the block ends, its knowledge base and tracker
    store in a new database on ``postgres_url``'s server, Rasa's lock store on
    ``redis_url``, its events on ``broker_url`` (a queue and exchange of its own, removed
    through ``broker_admin_url`` at the end); its supervisor restarts a process whose
    health check failed for ``restart_after_s``; ``env``: more settings of its processes."""
    own = uuid.uuid4().hex[:10]
    database_url = make_url(postgres_url).set(database=f"pathfinder_cluster_{own}") \
        .render_as_string(hide_password=False)
    queue, exchange = f"pathfinder_cluster_{own}", f"pathfinder-cluster-{own}"
    state_file = tmp / "processes.json"
    web, rasa = free_port(), free_port()
    settings = {"PATHFINDER_TRACKER_DB_URL": database_url, "PATHFINDER_REDIS_URL": redis_url,
                "PATHFINDER_EVENT_BROKER_URL": broker_url, **(env or {})}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        run = RunProcess("--replicas", "2", "--port", str(web), "--rasa-port", str(rasa),
                         "--log-dir", str(tmp / "logs"), "--state-file", str(state_file),
                         "--queue", queue, "--exchange", exchange,
                         "--restart-after", str(restart_after_s),
                         database_url=database_url)
    started = time.monotonic()
    try:
        run.wait_for("Press Ctrl-C", timeout=START_TIMEOUT_S)
        print(f"\n2 replicas started in {time.monotonic() - started:.0f} s")
        stats = next(line.split()[-1] for line in run.output if "Balancer stats:" in line)
        yield Running(run, state_file, f"http://127.0.0.1:{web}", f"http://127.0.0.1:{rasa}",
                      stats, database_url)
    finally:
        processes = run.service_processes()
        run.stop()
        assert not alive(processes), "every process of the cluster stopped"
        _drop_database(database_url)
        _remove_queue_and_exchange(broker_admin_url, queue, exchange)


# --- a learner's turns, and what the engines stored -----------------------------------------

def turn(base_url: str, sender: str, message: str) -> httpx.Response:
    response = httpx.post(f"{base_url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": message}, timeout=TURN_TIMEOUT_S)
    assert response.status_code == 200, response.text
    assert response.json(), f"no answer to {message!r}"
    return response


def tracker(engine_url: str, sender: str) -> dict[str, Any]:
    response = httpx.get(f"{engine_url}/conversations/{sender}/tracker",
                         params={"token": TEST_RASA_TOKEN}, timeout=TURN_TIMEOUT_S)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def engine_url(running: Running, replica: int) -> str:
    return f"http://127.0.0.1:{running.process('engine', replica)['port']}"
