"""``pathfinder run``: start the actions server, the Rasa engine and the web app, show the chat
URL, restart a service that stops answering, and stop everything on Ctrl-C or SIGTERM. The
events consumer (bot/events/) runs in a thread of this process, keeping the staff console's
conversation summaries current.

A service that exits ends the run (its log says why). One that is alive but no longer answers
its health check for ``StackConfig.unresponsive_after_s`` (a frozen event loop: every learner
on every channel waits) is killed and started again, while the others keep serving.

With ``--replicas N`` (a :class:`bot.cluster.ClusterConfig`) it runs bot/cluster.py's
replicas behind HAProxy instead, and the events consumer in a process of its own: there a
process that exits is started again too, since the other replicas serve meanwhile.

While it runs, a state file (``var/run/processes.json``, its owner's only) lists every
process with its role, port, pid and health URL (no secret): ``pathfinder status`` reads it
and asks each process's health itself (:func:`status`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from bot.cluster import Cluster, ClusterConfig, describe
from bot.stack import (
    LABELS,
    ROLES,
    ManagedProcess,
    Stack,
    StackConfig,
    StackError,
    http_get,
    secret_key_for,
    write_private,
)
from knowledge.settings import PROJECT_ROOT

WATCH_INTERVAL_S = 1.0
HEALTH_EVERY_S = 5.0
STATE_FILE = PROJECT_ROOT / "var" / "run" / "processes.json"
STATE_SCHEMA = "pathfinder.processes/1"
PROBE_TIMEOUT_S = 3.0


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same way out as Ctrl-C: the `finally` that stops every service.
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(config: StackConfig | ClusterConfig, out: TextIO | None = None,
        state_file: Path = STATE_FILE) -> int:
    """Run the stack (or, given a ClusterConfig, the replicas) until interrupted; 0 after
    Ctrl-C/SIGTERM, 1 if a service fails."""
    stream = out or sys.stdout

    def say(message: str) -> None:
        print(message, file=stream, flush=True)

    if isinstance(config, ClusterConfig):
        return _run_cluster(config, say, state_file)
    # Raises StackError, before anything starts, for a setting some service cannot start with.
    stack = Stack(config, on_progress=say)
    claim_state(state_file)
    events: threading.Event | None = None
    with _sigterm_interrupts():
        try:
            try:
                stack.start()
            except StackError as exc:
                say(f"Could not start Pathfinder: {exc}")
                return 1
            events = _start_events_consumer(stack)
            _announce(stack, config, say)
            _write_state(state_file, _stack_processes(stack))
            try:
                failed = _watch(stack, say, state_file)
            except StackError as exc:
                say(f"Could not restart a service: {exc}")
                return 1
            say(f"The {LABELS[failed]} stopped unexpectedly; see "
                f"{config.log_path / failed}.log. Stopping the other services.")
            return 1
        except KeyboardInterrupt:
            say("\nStopping Pathfinder…")
            return 0
        finally:
            if events is not None:
                events.set()
            stack.stop()
            release_state(state_file)
            say("All Pathfinder services are stopped.")


def _run_cluster(config: ClusterConfig, say: Callable[[str], None], state_file: Path) -> int:
    cluster = Cluster(config, on_progress=say)  # raises StackError: nothing was started
    claim_state(state_file)
    with _sigterm_interrupts():
        try:
            try:
                cluster.start()
            except StackError as exc:
                say(f"Could not start Pathfinder: {exc}")
                return 1
            _announce_cluster(cluster, say)
            _write_state(state_file, _cluster_processes(cluster))
            while True:
                if cluster.supervise(time.monotonic()):
                    _write_state(state_file, _cluster_processes(cluster))
                time.sleep(WATCH_INTERVAL_S)
        except KeyboardInterrupt:
            say("\nStopping Pathfinder…")
            return 0
        finally:
            cluster.stop()
            release_state(state_file)
            say("All Pathfinder services are stopped.")


def _start_events_consumer(stack: Stack) -> threading.Event:
    """The events consumer (bot/events/), in a thread of this process, once the web app has
    migrated the database: it keeps the console's summaries current from the tracker store
    this stack's engine writes. Set the event to stop it."""
    from bot.events.consumer import start_thread
    from knowledge.settings import database_url

    config = stack.config
    _thread, stop = start_thread(f"sqlite:///{config.tracker_db_path}",
                                 config.database_url or database_url(),
                                 secret_key_for(config).encode("utf-8"))
    return stop


def _announce(stack: Stack, config: StackConfig, say: Callable[[str], None]) -> None:
    say("")
    if config.web_port is not None:
        say(f"Pathfinder is running. Chat with it at {_browser_url(stack.web_url)}")
    say(f"  Rasa REST webhook: {stack.rasa_url}/webhooks/rest/webhook")
    say(f"  Actions server:    {stack.actions_url}")
    if "telegram" in stack.services:
        say("  Telegram:          the connector is polling Telegram for your bot's messages")
    say(f"  Logs:              {config.log_path}")
    say("Press Ctrl-C to stop.")


def _announce_cluster(cluster: Cluster, say: Callable[[str], None]) -> None:
    config = cluster.config
    say("")
    if config.stack.web_port is not None:
        say(f"Pathfinder is running, {config.replicas} replicas behind HAProxy. Chat with it "
            f"at {_browser_url(cluster.web_url)}")
    say(f"  Rasa REST webhook: {cluster.rasa_url}/webhooks/rest/webhook")
    for line in describe(cluster):
        say(line)
    if any("telegram" in stack.services for stack in cluster.stacks):
        say("  Telegram:          the connector is polling Telegram for your bot's messages")
    say(f"  Logs:              {config.stack.log_path}")
    say("`pathfinder status` lists every process. Press Ctrl-C to stop.")


def _browser_url(url: str) -> str:
    return url.replace("//127.0.0.1:", "//localhost:")


def _watch(stack: Stack, say: Callable[[str], None], state_file: Path) -> str:
    """Block until a service exits on its own (its name); restart those that stop answering."""
    failing_since: dict[str, float] = {}
    next_check = time.monotonic() + HEALTH_EVERY_S
    while True:
        failed = stack.poll()
        if failed is not None:
            return failed
        now = time.monotonic()
        if now >= next_check:
            failing_since = {name: failing_since.get(name, now) for name in stack.unhealthy()}
            for name, since in list(failing_since.items()):
                if now - since >= stack.config.unresponsive_after_s:
                    say(f"The {LABELS[name]} has not answered its health check for "
                        f"{now - since:.0f} s; restarting it.")
                    stack.restart_service(name)
                    del failing_since[name]
                    _write_state(state_file, _stack_processes(stack))
            next_check = time.monotonic() + HEALTH_EVERY_S
        time.sleep(WATCH_INTERVAL_S)


# --- the state file, and `pathfinder status` --------------------------------------------------

class NotRunning(Exception):
    """No `pathfinder run` is running (for this state file)."""


def _entry(role: str, replica: int | None, process: ManagedProcess) -> dict[str, Any]:
    return {"role": role, "replica": replica, "port": process.port,
            "pid": process.popen.pid if process.popen is not None else None,
            "health_url": process.health_url}


def _stack_processes(stack: Stack) -> list[dict[str, Any]]:
    # The events consumer is a thread of this process (its health: this process's).
    return [_entry(ROLES[name], None, stack.process(name)) for name in stack.services] + [
        {"role": "events", "replica": None, "port": None, "pid": os.getpid(),
         "health_url": None}]


def _cluster_processes(cluster: Cluster) -> list[dict[str, Any]]:
    return [_entry(m.role, m.replica, m.process) for m in cluster.members]


def _write_state(path: Path, processes: list[dict[str, Any]]) -> None:
    """Replace the state file whole (a reader never sees half of it)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    write_private(temporary, json.dumps(
        {"schema": STATE_SCHEMA, "pid": os.getpid(), "processes": processes}, indent=1) + "\n")
    os.replace(temporary, path)


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("schema") == STATE_SCHEMA else None


def process_alive(pid: int | None) -> bool:
    """Whether ``pid`` runs (not a zombie, not stopped: a stopped one answers nothing)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: only whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X", "T", "t")


def claim_state(path: Path) -> None:
    """Refuse to start while another run writes this state file (two runs would each list
    their own processes in it; `--state-file` names another)."""
    state = _read_state(path)
    if state is not None and state.get("pid") != os.getpid() and process_alive(state["pid"]):
        raise StackError(f"Another `pathfinder run` (pid {state['pid']}) is running and "
                         f"keeps its processes in {path}: `pathfinder status` lists them. "
                         "Stop it first, or give this run another --state-file.")


def release_state(path: Path) -> None:
    """Remove the state file if this process wrote it."""
    state = _read_state(path)
    if state is not None and state.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def status(path: Path = STATE_FILE) -> list[dict[str, Any]]:
    """Every process of the running `pathfinder run`, each with ``healthy``: it runs and its
    health check answers 200 now (one without a health URL: it runs). NotRunning when
    nothing runs."""
    state = _read_state(path)
    if state is None:
        raise NotRunning(f"Pathfinder is not running (no state file at {path}; "
                         "`pathfinder run` writes it).")
    if not process_alive(state.get("pid")):
        raise NotRunning(f"Pathfinder is not running: the `pathfinder run` of {path} "
                         f"(pid {state.get('pid')}) has stopped.")

    def probe(entry: dict[str, Any]) -> dict[str, Any]:
        healthy = process_alive(entry.get("pid"))
        url = entry.get("health_url")
        if healthy and url:
            healthy = http_get(url, timeout=PROBE_TIMEOUT_S)[0] == 200
        return {"role": entry["role"], "replica": entry.get("replica"),
                "port": entry.get("port"), "pid": entry.get("pid"), "healthy": healthy}

    entries = [entry for entry in state.get("processes", []) if isinstance(entry, dict)]
    with ThreadPoolExecutor(max_workers=max(1, len(entries))) as pool:
        return list(pool.map(probe, entries))


def status_table(processes: list[dict[str, Any]]) -> str:
    """``pathfinder status`` without --json."""
    rows = [("role", "replica", "port", "pid", "healthy")] + [
        (p["role"], str(p["replica"] or "-"), str(p["port"] or "-"), str(p["pid"] or "-"),
         "yes" if p["healthy"] else "NO") for p in processes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                        strict=True)).rstrip()
                     for row in rows)
