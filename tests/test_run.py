"""Running Pathfinder: the Stack (bot/stack.py) and `pathfinder run` start the actions server,
the Rasa engine and the web app, answer a conversation, keep it in the tracker store, list
their processes for `pathfinder status`, and leave no process behind when stopped (Ctrl-C,
SIGTERM, or Stack.stop). Several replicas: tests/test_cluster.py."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bot import cli
from bot.stack import Stack, StackConfig, StackError, free_port
from knowledge.settings import PROJECT_ROOT

START_TIMEOUT_S = 300
needs_model = pytest.mark.usefixtures("model")  # tests/conftest.py: fails without one


# --- processes, from /proc -----------------------------------------------------------------

def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return fields[0], int(fields[1]), int(fields[2])


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def group_members(groups: set[int]) -> set[int]:
    """Live (not zombie) processes in the given process groups."""
    found = set()
    for pid in _all_pids():
        stat = _stat(pid)
        if stat and stat[0] not in "ZX" and stat[2] in groups:
            found.add(pid)
    return found


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if (stat := _stat(pid)) and stat[0] not in "ZX"}


def children_of(parent: int) -> set[int]:
    return {pid for pid in _all_pids() if (stat := _stat(pid)) and stat[1] == parent}


# --- conversation helpers ------------------------------------------------------------------

def greet(rasa_url: str, sender: str) -> list[str]:
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": "Hello"}, timeout=60)
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json() if m.get("text")]


def stored_user_messages(tracker_db: Path, sender: str) -> int:
    with sqlite3.connect(tracker_db) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
            (sender,)).fetchone()
    return int(count)


def sender_id_is_indexed(tracker_db: Path) -> bool:
    with sqlite3.connect(tracker_db) as conn:
        for _seq, name, *_rest in conn.execute("PRAGMA index_list(events)"):
            columns = [row[2] for row in conn.execute(f"PRAGMA index_info('{name}')")]
            if columns and columns[0] == "sender_id":
                return True
    return False


def config_for(tmp_path: Path, database_url: str, **overrides: object) -> StackConfig:
    settings: dict[str, object] = dict(
        root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
        web_port=free_port(), tracker_db=tmp_path / "tracker.db", log_dir=tmp_path / "logs",
        database_url=database_url)
    settings.update(overrides)
    return StackConfig(**settings)  # type: ignore[arg-type]


# --- Stack ---------------------------------------------------------------------------------

@needs_model
def test_stack_runs_a_conversation_and_stops_cleanly(tmp_path: Path, kb_url: str) -> None:
    config = config_for(tmp_path, kb_url)
    progress: list[str] = []
    stack = Stack(config, on_progress=progress.append)
    stack.start(timeout=START_TIMEOUT_S)
    try:
        groups = set(stack.pids().values())
        assert len(groups) == 3
        members = group_members(groups)
        # The actions server's Sanic forks a worker: the group holds more than the leader.
        assert len(members) > 3

        sender = f"run-{uuid.uuid4().hex[:12]}"
        assert greet(stack.rasa_url, sender)
        assert stored_user_messages(config.tracker_db_path, sender) == 1
        assert sender_id_is_indexed(config.tracker_db_path)

        page = httpx.get(f"{stack.web_url}/", timeout=30)
        assert page.status_code == 200 and "/widget/pathfinder-widget.js" in page.text
        # The web app relays the widget's messages to this stack's Rasa.
        reply = httpx.post(f"{stack.web_url}/api/conversations/web-{uuid.uuid4().hex}/messages",
                           json={"message": "hello"}, timeout=30)
        assert reply.status_code == 200 and reply.json()["messages"]
        assert httpx.get(f"{stack.web_url}/health", timeout=30).json() == {"status": "ok"}
    finally:
        stack.stop()
    assert not alive(members)
    assert any("ready" in line for line in progress)
    stack.stop()  # idempotent


def test_a_taken_port_is_reported_before_anything_starts(tmp_path: Path, kb_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        stack = Stack(config_for(tmp_path, kb_url, rasa_port=port))
        started = time.monotonic()
        with pytest.raises(StackError, match=f"Port {port} .* already in use"):
            stack.start()
        assert time.monotonic() - started < 5
        assert stack.pids() == {}


def test_a_missing_model_is_reported(tmp_path: Path, kb_url: str) -> None:
    stack = Stack(config_for(tmp_path, kb_url, model=tmp_path / "none.tar.gz"))
    with pytest.raises(StackError, match="make train"):
        stack.start()


# --- pathfinder run ------------------------------------------------------------------------

class RunProcess:
    """`pathfinder run` in a subprocess, on ``database_url``, its output read line by line."""

    def __init__(self, *args: str, database_url: str) -> None:
        script = Path(sys.executable).with_name("pathfinder")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
        # umask 022, a shell's usual: what `pathfinder run` creates must not depend on it.
        self.popen = subprocess.Popen(
            [*command, "--database", database_url, "run", *args], cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, umask=0o022)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT_S, since: int = 0) -> None:
        """Wait for a line with ``text`` (among the lines from number ``since`` on)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.output[since:]):
            remaining = deadline - time.monotonic()
            try:
                self.output.append(self.lines.get(timeout=max(remaining, 0.01)))
            except queue.Empty:
                self.stop()
                raise AssertionError(
                    f"no {text!r} in time; output:\n{''.join(self.output)}") from None

    def service_processes(self) -> set[int]:
        return group_members(children_of(self.popen.pid))

    def stop(self) -> None:
        """SIGTERM first, which stops every service `pathfinder run` started; SIGKILL only if
        that fails (it would leave the services running)."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def run_args(tmp_path: Path, web: int, rasa: int, actions: int) -> list[str]:
    # A state file of the test's own: a `pathfinder run` of the developer's may be running.
    return ["--port", str(web), "--rasa-port", str(rasa), "--actions-port", str(actions),
            "--tracker-db", str(tmp_path / "tracker.db"), "--log-dir", str(tmp_path / "logs"),
            "--state-file", str(tmp_path / "processes.json")]


def status(state_file: Path, *args: str) -> tuple[int, str, str]:
    """`pathfinder status` as an operator runs it: exit code, stdout, stderr."""
    script = Path(sys.executable).with_name("pathfinder")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    done = subprocess.run([*command, "status", "--state-file", str(state_file), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


@needs_model
def test_pathfinder_run_serves_the_chat_and_stops_on_ctrl_c(tmp_path: Path, kb_url: str) -> None:
    web, rasa, actions = free_port(), free_port(), free_port()
    run = RunProcess(*run_args(tmp_path, web, rasa, actions), database_url=kb_url)
    try:
        run.wait_for("Press Ctrl-C")
        assert any(f"http://localhost:{web}" in line for line in run.output)
        processes = run.service_processes()
        assert len(processes) > 3
        assert greet(f"http://127.0.0.1:{rasa}", f"run-{uuid.uuid4().hex[:12]}")

        # Every process, the events consumer (a thread of `run`'s) included, answers.
        state_file = tmp_path / "processes.json"
        code, out, _err = status(state_file, "--json")
        assert code == 0, out
        listed = json.loads(out)["processes"]
        assert {(p["role"], p["port"], p["healthy"]) for p in listed} == {
            ("actions", actions, True), ("engine", rasa, True), ("web", web, True),
            ("events", None, True)}
        assert {p["pid"] for p in listed} == children_of(run.popen.pid) | {run.popen.pid}
        assert oct(state_file.stat().st_mode & 0o777) == oct(0o600)
        code, out, _err = status(state_file)
        assert code == 0 and out.split()[:5] == ["role", "replica", "port", "pid", "healthy"]

        run.popen.send_signal(signal.SIGINT)
        assert run.popen.wait(timeout=60) == 0
        run.wait_for("stopped", timeout=5)
        assert not alive(processes)
        assert not state_file.exists()
        code, out, err = status(state_file, "--json")
        assert (code, out) == (1, "") and "Pathfinder is not running" in err
        # Conversations and logs are their owner's only.
        made = [tmp_path / "tracker.db", *(tmp_path / "logs").iterdir()]
        assert len(made) > 3
        assert {path.name: oct(path.stat().st_mode & 0o777) for path in made} == {
            path.name: oct(0o600 if path.is_file() else 0o700) for path in made}
    finally:
        run.stop()


@needs_model
def test_pathfinder_run_stops_cleanly_on_sigterm_while_starting(tmp_path: Path,
                                                                kb_url: str) -> None:
    run = RunProcess(*run_args(tmp_path, free_port(), free_port(), free_port()),
                     database_url=kb_url)
    try:
        run.wait_for("Starting the Rasa engine")
        time.sleep(2)  # Rasa is loading
        processes = run.service_processes()
        assert processes
        run.popen.send_signal(signal.SIGTERM)
        assert run.popen.wait(timeout=60) == 0
        assert not alive(processes)
    finally:
        run.stop()


def test_pathfinder_run_says_which_port_is_taken(tmp_path: Path, kb_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        run = RunProcess(*run_args(tmp_path, port, free_port(), free_port()),
                         database_url=kb_url)
        try:
            assert run.popen.wait(timeout=60) == 1
            run.wait_for("already in use", timeout=5)
            assert any(str(port) in line for line in run.output)
        finally:
            run.stop()


@needs_model
def test_pathfinder_run_restarts_an_engine_that_stops_answering(tmp_path: Path,
                                                               kb_url: str) -> None:
    """A frozen engine (here: stopped with SIGSTOP, as a busy event loop looks from outside)
    is killed and started again; the conversation goes on, and the other services were not
    touched."""
    web, rasa, actions = free_port(), free_port(), free_port()
    run = RunProcess(*run_args(tmp_path, web, rasa, actions), "--restart-after", "6",
                     database_url=kb_url)
    try:
        run.wait_for("Press Ctrl-C")
        sender = f"run-{uuid.uuid4().hex[:12]}"
        rasa_url = f"http://127.0.0.1:{rasa}"
        assert greet(rasa_url, sender)
        groups = children_of(run.popen.pid)
        engine = next(pid for pid in groups
                      if "bot.engine.serve" in Path(f"/proc/{pid}/cmdline").read_text())
        others = groups - {engine}
        os.killpg(engine, signal.SIGSTOP)
        run.wait_for("restarting it", timeout=60)
        run.wait_for("Rasa engine is ready", since=len(run.output))
        assert not alive({engine})
        assert alive(others) == others
        assert greet(rasa_url, sender)
        assert stored_user_messages(tmp_path / "tracker.db", sender) == 2
    finally:
        run.stop()


def test_status_says_when_nothing_runs(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """No state file, or one left by a run that has stopped: a clear message, exit 1."""
    state_file = tmp_path / "processes.json"
    assert cli.main(["status", "--state-file", str(state_file)]) == 1
    assert "Pathfinder is not running (no state file" in capsys.readouterr().err
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    state_file.write_text(json.dumps({"schema": "pathfinder.processes/1",
                                      "pid": int(dead.stdout), "processes": []}))
    assert cli.main(["status", "--json", "--state-file", str(state_file)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "has stopped" in err


def test_a_second_run_does_not_take_over_a_running_ones_state_file(
        tmp_path: Path, kb_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    state_file = tmp_path / "processes.json"
    state_file.write_text(json.dumps({"schema": "pathfinder.processes/1",
                                      "pid": os.getppid(), "processes": []}))
    assert cli.main(["--database", kb_url, "run",
                     *run_args(tmp_path, free_port(), free_port(), free_port())]) == 2
    assert f"Another `pathfinder run` (pid {os.getppid()})" in capsys.readouterr().err
    assert json.loads(state_file.read_text())["pid"] == os.getppid()


def test_the_engine_launcher_takes_its_token_from_the_environment_only() -> None:
    """No caller can hand the engine another token, CORS or JWT, not even abbreviated as
    argparse allows ("--cor")."""
    from bot.engine.serve import rasa_argv

    token = "-starts-with-a-dash-0123456789"
    assert rasa_argv(["run", "--enable-api"], token) == [
        "rasa", "run", "--enable-api", f"--auth-token={token}"]
    for smuggled in (["--cors", "*"], ["--cors=*"], ["--cor", "*"], ["--auth-token", "x"],
                     ["--auth", "x"], ["-t", "x"], ["--jwt-secret", "x"], ["--jwt-s=x"]):
        with pytest.raises(SystemExit, match="not accepted"):
            rasa_argv(["run", *smuggled], token)
