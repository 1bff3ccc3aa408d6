"""Benchmark of whole conversations over Rasa's REST channel: Pathfinder against a bare Rasa bot.

    .venv/bin/python bench/conversation.py                # trains the bare bot the first time
    .venv/bin/python bench/conversation.py --users 20 --rounds 3 --json var/bench/conv.json
    .venv/bin/python bench/conversation.py --actions-workers 2   # actions server with 2 workers

Two systems, measured in the same run, one after the other (the machine has few cores):

* **pathfinder**: the full stack from bot/stack.py (actions server + Rasa engine with
  models/pathfinder.tar.gz, SQLite tracker store), without the web app.
* **bare**: a Rasa bot with the SAME NLU pipeline and policies (config.yml copied) and the
  same NLU training data (nlu/intents, nlu/lookups), but a trivial dialogue: every intent has
  one rule to one fixed response, ``utter_x``; no actions server. It is trained once into
  ``--work-dir`` (retrained only when its inputs change) and served with the same tracker
  store type. The difference between the two is what our dialogue and actions cost.

Scripted learner conversations (EN and FR, 6 turns each, the main learner path) are sent:

* latency: one user at a time, every script ``--latency-repeats`` times; p50/p95 per turn;
* throughput: ``--users`` concurrent users (httpx async), each running the scripts once;
  turns/s over the wall time; ``--rounds`` rounds, median reported;
* memory: RSS of the Rasa engine's process group (/proc), peak over the run;
* CPU per turn: CPU time of every process of the system (Rasa, and for Pathfinder the
  actions server) over the run, divided by the turns sent. Unlike wall time, it hardly
  moves when other jobs share the machine.

Targets (printed with PASS/FAIL): Pathfinder p95 <= 2 x bare p95; throughput >= 0.5 x bare;
Rasa RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.engine.serve import RASA_TELEMETRY_ENV  # noqa: E402
from bot.stack import (  # noqa: E402
    ManagedProcess,
    Stack,
    StackConfig,
    engine_argv,
    engine_env,
    free_port,
    group_processes,
    http_get,
    write_endpoints,
)

RASA = ROOT / ".venv-engine" / "bin" / "rasa"
ENGINE_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
              "PYTHONUNBUFFERED": "1",
              RASA_TELEMETRY_ENV: "false"}  # no usage events, no Sentry reports
TARGET_P95_RATIO = 2.0
TARGET_THROUGHPUT_RATIO = 0.5
TARGET_RSS_BYTES = 1.5 * 1024**3
TURN_TIMEOUT_S = 120

# The main learner path, as a learner would type it.
SCRIPTS: dict[str, list[str]] = {
    "en": [
        "Hi",
        "I work as a cashier and I want to become a bookkeeper",
        "something under $800, online please",
        "how much do bookkeepers make?",
        "anything cheaper?",
        "thanks, bye",
    ],
    "fr": [
        "Bonjour",
        "Je suis caissière et je veux devenir commis comptable",
        "moins de 800 $, en ligne",
        "combien gagne un commis comptable?",
        "quelque chose de moins cher?",
        "merci, au revoir",
    ],
}


# --- the bare bot ----------------------------------------------------------------------------

def _intents_and_entities(nlu_dir: Path) -> tuple[list[str], list[str]]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(nlu_dir.rglob("*.yml")))
    intents = sorted(set(re.findall(r"^\s*-\s*intent:\s*([\w-]+)", text, re.MULTILINE)))
    entities = set(re.findall(r"\]\((\w+)[:)]", text))
    entities |= set(re.findall(r'"entity"\s*:\s*"(\w+)"', text))
    entities |= set(re.findall(r"^\s*-\s*lookup:\s*(\w+)", text, re.MULTILINE))
    entities.add("language")  # added by the language detector in the pipeline
    return intents, sorted(entities)


def _bare_domain(intents: list[str], entities: list[str]) -> str:
    lines = ['version: "3.1"', "intents:"] + [f"  - {i}" for i in intents + ["nlu_fallback"]]
    lines += ["entities:"] + [f"  - {e}" for e in entities]
    lines += ["responses:", "  utter_x:", '    - text: "OK."',
              "session_config:", "  session_expiration_time: 60",
              "  carry_over_slots_to_new_session: true"]
    return "\n".join(lines) + "\n"


def _bare_rules(intents: list[str]) -> str:
    lines = ['version: "3.1"', "rules:"]
    for intent in intents + ["nlu_fallback"]:
        lines += [f"  - rule: {intent} -> utter_x", "    steps:", f"      - intent: {intent}",
                  "      - action: utter_x"]
    return "\n".join(lines) + "\n"


def bare_model(work_dir: Path, log: Any) -> Path:
    """Train (once) the bare bot: our pipeline and NLU data, one fixed response."""
    project = work_dir / "bare"
    data = project / "data"
    if data.exists():
        shutil.rmtree(data)
    for part in ("intents", "lookups"):
        shutil.copytree(ROOT / "nlu" / part, data / part)
    intents, entities = _intents_and_entities(data)
    (data / "rules.yml").write_text(_bare_rules(intents), encoding="utf-8")
    (project / "domain.yml").write_text(_bare_domain(intents, entities), encoding="utf-8")
    shutil.copy(ROOT / "config.yml", project / "config.yml")
    (project / "credentials.yml").write_text("rest:\n", encoding="utf-8")

    digest = hashlib.sha256()
    for path in sorted(p for p in project.rglob("*") if p.is_file() and "models" not in p.parts
                       and ".rasa" not in p.parts):
        digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    model = project / "models" / "bare.tar.gz"
    stamp = project / "models" / ".inputs"
    if model.is_file() and stamp.is_file() and stamp.read_text() == digest.hexdigest():
        log(f"Bare bot model is up to date ({model}).")
        return model
    log(f"Training the bare bot ({len(intents)} intents, same pipeline) into {model}…")
    started = time.monotonic()
    env = {**os.environ, **ENGINE_ENV, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(RASA), "train", "--data", "data", "--domain", "domain.yml", "--config",
         "config.yml", "--out", "models", "--fixed-model-name", "bare"],
        cwd=project, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not model.is_file():
        raise SystemExit(f"rasa train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    stamp.write_text(digest.hexdigest())
    log(f"Bare bot trained ({time.monotonic() - started:.0f} s).")
    return model


def bare_server(model: Path, run_dir: Path, port: int) -> ManagedProcess:
    project = model.parent.parent
    # The endpoints Pathfinder's stack writes, so both store conversations the same way
    # (the bare bot never calls its action endpoint).
    endpoints = write_endpoints(StackConfig(root=ROOT, tracker_db=run_dir / "bare-tracker.db",
                                            log_dir=run_dir / "bare"))
    # Started as the stack starts Pathfinder's engine (bot.engine.serve, same Sanic settings).
    token = secrets.token_urlsafe(32)
    env = {**os.environ, **ENGINE_ENV, **engine_env(token), "PYTHONPATH": str(ROOT)}
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        status, body = http_get(f"{base}/status?token={token}")
        return status == 200 and b"model_file" in body

    return ManagedProcess(
        "bare", engine_argv(ROOT, "-m", str(model), "--endpoints", str(endpoints),
                            "--credentials", str(project / "credentials.yml"),
                            "-i", "127.0.0.1", "-p", str(port)),
        project, env, run_dir / "bare-rasa.log", ready, port, "127.0.0.1")


# --- measuring -------------------------------------------------------------------------------

def _group_stats(pgid: int) -> list[list[str]]:
    """/proc/<pid>/stat fields (after the command name) of each live process in a group."""
    found = []
    for pid in group_processes(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # gone since it was listed
        found.append(stat[stat.rindex(")") + 2:].split())
    return found


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds used so far by the live processes of a process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f[11]) + int(f[12]) for f in _group_stats(pgid)) / ticks


def group_rss(pgid: int) -> int:
    """Resident memory (bytes) of every process in a process group."""
    return sum(int(f[21]) for f in _group_stats(pgid)) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Peak RSS of a process group, sampled in a thread while the benchmark runs."""

    def __init__(self, pgid: int, interval: float = 0.2) -> None:
        self.pgid, self.interval, self.peak = pgid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, group_rss(self.pgid))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Result:
    system: str
    latency_turns: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    throughput_rounds: list[float] = field(default_factory=list)
    throughput: float = 0.0
    users: int = 0
    errors: int = 0
    empty: int = 0
    rss_idle: int = 0
    rss_peak: int = 0
    turns_sent: int = 0
    cpu_ms_per_turn: float = 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _turn(client: httpx.AsyncClient, url: str, sender: str, text: str,
                result: Result) -> float:
    started = time.perf_counter()
    result.turns_sent += 1
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        ok = response.status_code == 200
        if ok and not response.json():
            result.empty += 1
    except httpx.HTTPError:
        ok = False
    elapsed = time.perf_counter() - started
    if not ok:
        result.errors += 1
    return elapsed


async def _conversation(client: httpx.AsyncClient, url: str, lang: str, tag: str,
                        result: Result) -> list[float]:
    sender = f"bench-{tag}-{uuid.uuid4().hex[:10]}"
    return [await _turn(client, url, sender, text, result) for text in SCRIPTS[lang]]


async def measure(system: str, rasa_url: str, users: int, rounds: int, repeats: int,
                  log: Any) -> Result:
    url = f"{rasa_url}/webhooks/rest/webhook"
    result = Result(system, users=users)
    limits = httpx.Limits(max_connections=users + 5)
    async with httpx.AsyncClient(timeout=TURN_TIMEOUT_S, limits=limits) as client:
        await _conversation(client, url, "en", "warmup", result)  # first-turn costs
        await _conversation(client, url, "fr", "warmup", result)
        result.errors = result.empty = 0
        latencies: list[float] = []
        for _ in range(repeats):
            for lang in SCRIPTS:
                latencies += await _conversation(client, url, lang, "latency", result)
        result.latency_turns = len(latencies)
        result.p50_ms = statistics.median(latencies) * 1000
        result.p95_ms = percentile(latencies, 95) * 1000
        log(f"  {system}: latency p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms "
            f"({len(latencies)} turns, one user)")
        for round_no in range(1, rounds + 1):
            started = time.perf_counter()
            done = await asyncio.gather(*(
                _conversation(client, url, "en" if i % 2 == 0 else "fr", f"load{i}", result)
                for i in range(users)))
            wall = time.perf_counter() - started
            turns = sum(len(d) for d in done)
            result.throughput_rounds.append(turns / wall)
            log(f"  {system}: round {round_no}: {turns} turns by {users} users in {wall:.1f} s "
                f"= {turns / wall:.2f} turns/s")
    result.throughput = statistics.median(result.throughput_rounds)
    return result


def run_system(system: str, rasa_url: str, pgid: int, all_pgids: list[int],
               args: argparse.Namespace, log: Any) -> Result:
    idle = group_rss(pgid)
    cpu_before = sum(group_cpu_s(g) for g in all_pgids)
    with RssSampler(pgid) as sampler:
        result = asyncio.run(measure(system, rasa_url, args.users, args.rounds,
                                     args.latency_repeats, log))
    cpu = sum(group_cpu_s(g) for g in all_pgids) - cpu_before
    result.cpu_ms_per_turn = cpu / max(1, result.turns_sent) * 1000
    result.rss_idle, result.rss_peak = idle, max(sampler.peak, idle)
    return result


# --- report ----------------------------------------------------------------------------------

def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def report(pf: Result, bare: Result) -> list[str]:
    p95_ratio = pf.p95_ms / bare.p95_ms if bare.p95_ms else float("inf")
    tp_ratio = pf.throughput / bare.throughput if bare.throughput else 0.0
    rows = [
        f"{'':24}{'pathfinder':>14}{'bare rasa':>14}{'ratio':>9}",
        f"{'latency p50 (ms)':24}{pf.p50_ms:14.0f}{bare.p50_ms:14.0f}"
        f"{pf.p50_ms / bare.p50_ms if bare.p50_ms else 0:9.2f}",
        f"{'latency p95 (ms)':24}{pf.p95_ms:14.0f}{bare.p95_ms:14.0f}{p95_ratio:9.2f}",
        f"{f'throughput, {pf.users} users (t/s)':24}{pf.throughput:14.2f}"
        f"{bare.throughput:14.2f}{tp_ratio:9.2f}",
        f"{'CPU per turn (ms)':24}{pf.cpu_ms_per_turn:14.1f}{bare.cpu_ms_per_turn:14.1f}"
        f"{pf.cpu_ms_per_turn / bare.cpu_ms_per_turn if bare.cpu_ms_per_turn else 0:9.2f}",
        f"{'Rasa RSS idle':24}{_gb(pf.rss_idle):>14}{_gb(bare.rss_idle):>14}",
        f"{'Rasa RSS peak':24}{_gb(pf.rss_peak):>14}{_gb(bare.rss_peak):>14}",
        f"{'errors / empty replies':24}{f'{pf.errors} / {pf.empty}':>14}"
        f"{f'{bare.errors} / {bare.empty}':>14}",
        "",
        f"p95 <= {TARGET_P95_RATIO:g} x bare: {'PASS' if p95_ratio <= TARGET_P95_RATIO else 'FAIL'}"
        f" ({p95_ratio:.2f})",
        f"throughput >= {TARGET_THROUGHPUT_RATIO:g} x bare: "
        f"{'PASS' if tp_ratio >= TARGET_THROUGHPUT_RATIO else 'FAIL'} ({tp_ratio:.2f})",
        f"Rasa RSS <= {_gb(int(TARGET_RSS_BYTES))}: "
        f"{'PASS' if pf.rss_peak <= TARGET_RSS_BYTES else 'FAIL'} ({_gb(pf.rss_peak)})",
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    parser.add_argument("--latency-repeats", type=int, default=3,
                        help="times each script runs for the one-user latency (default 3)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench" / "conversation",
                        help="where the bare bot is trained and kept")
    parser.add_argument("--actions-workers", type=int, default=1,
                        help="Sanic workers of Pathfinder's actions server (default 1)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    args.work_dir.mkdir(parents=True, exist_ok=True)
    model = bare_model(args.work_dir, log)
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="pf-bench-") as tmp:
        run_dir = Path(tmp)
        config = StackConfig(root=ROOT, rasa_port=free_port(), actions_port=free_port(),
                             web_port=None, tracker_db=run_dir / "tracker.db",
                             log_dir=run_dir / "logs", actions_workers=args.actions_workers)
        log("Pathfinder (actions server + Rasa engine):")
        with Stack(config, on_progress=lambda m: log(f"  {m}")) as stack:
            pids = stack.pids()
            results["pathfinder"] = run_system("pathfinder", stack.rasa_url, pids["rasa"],
                                               list(pids.values()), args, log)
        log("Bare Rasa bot (same pipeline, one fixed response):")
        server = bare_server(model, run_dir, free_port())
        try:
            started = time.monotonic()
            server.launch()
            server.wait_healthy(time.monotonic() + 600)
            log(f"  bare Rasa ready ({time.monotonic() - started:.1f} s)")
            assert server.popen is not None
            results["bare"] = run_system("bare", f"http://127.0.0.1:{server.port}",
                                         server.popen.pid, [server.popen.pid], args, log)
        finally:
            server.terminate()

    print()
    for line in report(results["pathfinder"], results["bare"]):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({k: asdict(v) for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
