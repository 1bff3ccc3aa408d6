"""Load on the whole stack, with a real load tool: how many learners it holds.

    .venv/bin/python bench/load.py                        # steps of 25, 50, 100, 200, 400 learners
    .venv/bin/python bench/load.py --steps 50,100 --step-seconds 60

Starts the stack of `pathfinder run` (actions server, Rasa engine, web app; SQLite) on free
ports, then runs Locust headless (bench/locustfile.py: scripted EN/FR learners, half over
Rasa's REST channel, half over the widget's API, 5-15 s of think time between messages) at
each step's number of learners. Stats are reset once every learner is spawned, so a step's
figures are its steady state. For each step it prints p50/p95 turn latency, errors (an HTTP
error or an empty answer), turns/s, the stack's CPU per turn (every process of every service,
from /proc) and each service's peak memory. The most learners held is the largest step with
p95 <= 500 ms and no error; the run stops at the first step that misses.

Target (issue 14): >= 400 concurrent learners at p95 <= 500 ms on this 2-core machine, for 1
and for 2 replicas. Locust itself runs on the same machine and its CPU is printed too: on two
cores it takes a share the stack would otherwise have.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversation import RssSampler, group_cpu_s  # noqa: E402
from bot.stack import Stack, StackConfig, free_port  # noqa: E402

LOCUST = ROOT / ".venv" / "bin" / "locust"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
P95_LIMIT_MS = 500.0
TARGET_LEARNERS = 400
SPAWN_PER_S = 10.0  # learners started per second, so a step starts in at most ~40 s


@dataclass
class Step:
    learners: int
    turns: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    turns_per_s: float = 0.0
    cpu_ms_per_turn: float = 0.0
    locust_core_share: float = 0.0  # Locust's CPU over its run, in cores
    peak_rss: dict[str, int] = field(default_factory=dict)
    error_kinds: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.turns > 0 and self.errors == 0 and self.p95_ms <= P95_LIMIT_MS


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
        return [f"{r['Name']}: {r['Error']} x{r['Occurrences']}" for r in csv.DictReader(rows)]


def run_step(stack: Stack, learners: int, seconds: float, out_dir: Path) -> Step:
    prefix = out_dir / f"step-{learners}"
    spawn_s = learners / SPAWN_PER_S
    pgids = list(stack.pids().items())
    samplers = {name: RssSampler(pgid) for name, pgid in pgids}
    for sampler in samplers.values():
        sampler.__enter__()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    locust = subprocess.Popen(
        [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
         "-u", str(learners), "-r", str(SPAWN_PER_S), "-t", f"{int(spawn_s + seconds)}s",
         "--reset-stats", "--csv", str(prefix), "--rasa-url", stack.rasa_url,
         "--web-url", stack.web_url, "--loglevel", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    # Measure the steady state only: from the end of the spawn to the end of the run.
    time.sleep(spawn_s)
    cpu_steady = sum(group_cpu_s(pgid) for _name, pgid in pgids)
    stderr = locust.communicate(timeout=spawn_s + seconds + 120)[1]
    wall = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = sum(group_cpu_s(pgid) for _name, pgid in pgids)
    for sampler in samplers.values():
        sampler.__exit__(None, None, None)
    if locust.returncode not in (0, 1):  # 1: some requests failed, which is a figure
        raise RuntimeError(f"Locust failed ({locust.returncode}): {stderr[-2000:]}")
    row = _aggregated(prefix)
    step = Step(learners, turns=int(row["Request Count"]), errors=int(row["Failure Count"]),
                p50_ms=float(row["50%"] or 0), p95_ms=float(row["95%"] or 0),
                turns_per_s=float(row["Requests/s"] or 0),
                peak_rss={name: s.peak for name, s in samplers.items()},
                error_kinds=_failures(prefix))
    # CPU of the steady part only (the spawn's turns are not in the reset stats).
    step.cpu_ms_per_turn = (cpu_after - cpu_steady) / max(1, step.turns) * 1000
    locust_cpu = (children.ru_utime + children.ru_stime
                  - children_before.ru_utime - children_before.ru_stime)
    step.locust_core_share = locust_cpu / max(wall, 1e-9)
    return step


def _mb(n: int) -> str:
    return f"{n / 1024**2:.0f} MB"


def report(steps: list[Step], replicas: int) -> list[str]:
    lines = [f"Replicas: {replicas}",
             f"{'learners':>8} {'turns':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'turns/s':>7} {'CPU ms/turn':>11}  peak memory"]
    for s in steps:
        memory = ", ".join(f"{name} {_mb(rss)}" for name, rss in s.peak_rss.items())
        lines.append(f"{s.learners:>8} {s.turns:>6} {s.errors:>6} {s.p50_ms:>7.0f} "
                     f"{s.p95_ms:>7.0f} {s.turns_per_s:>7.2f} {s.cpu_ms_per_turn:>11.1f}  "
                     f"{memory}{'' if s.held else '  (missed)'}")
        lines += [f"{'':>10}{kind}" for kind in s.error_kinds[:5]]
    held = [s.learners for s in steps if s.held]
    best = max(held, default=0)
    verdict = "PASS" if best >= TARGET_LEARNERS else "FAIL"
    lines.append(f"Most learners held at p95 <= {P95_LIMIT_MS:.0f} ms and 0 errors: {best} "
                 f"(target >= {TARGET_LEARNERS}: {verdict})")
    cpu = [s.cpu_ms_per_turn for s in steps if s.turns]
    if cpu:
        share = statistics.median(s.locust_core_share for s in steps)
        lines.append(f"CPU per turn, median over the steps: {statistics.median(cpu):.1f} ms "
                     f"(Locust itself used {share:.2f} of a core)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="25,50,100,200,400",
                        help="learners at each step, comma-separated (default 25,50,100,200,400)")
    parser.add_argument("--step-seconds", type=float, default=90.0,
                        help="steady-state seconds per step, after the spawn (default 90)")
    args = parser.parse_args(argv)
    if not LOCUST.is_file():
        print(f"Locust is missing from .venv ({LOCUST}): run `make setup`.", file=sys.stderr)
        return 2
    learners = [int(n) for n in args.steps.split(",") if n.strip()]

    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="pf-load-") as tmp:
        run_dir = Path(tmp)
        config = StackConfig(root=ROOT, rasa_port=free_port(), actions_port=free_port(),
                             web_port=free_port(), tracker_db=run_dir / "tracker.db",
                             log_dir=run_dir / "logs")
        with Stack(config, on_progress=lambda m: print(f"  {m}", flush=True)) as stack:
            for n in learners:
                print(f"{n} learners for {args.step_seconds:.0f} s…", flush=True)
                step = run_step(stack, n, args.step_seconds, run_dir)
                steps.append(step)
                print(f"  p95 {step.p95_ms:.0f} ms, {step.errors} errors, "
                      f"{step.turns_per_s:.2f} turns/s", flush=True)
                if not step.held:
                    break
    print()
    for line in report(steps, replicas=1):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
