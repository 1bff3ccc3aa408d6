"""Benchmark of the job-title resolver: build time, accuracy, speed against naive baselines.

    .venv/bin/python bench/resolver.py            # or: python3 bench/resolver.py
    .venv/bin/python bench/resolver.py --seed 1 --rounds 9 --baseline-queries 20

Pinned to one CPU core (``os.sched_setaffinity``), single process, no result cache. Prints:

* index build time, size and (tracemalloc) memory;
* accuracy (a): noisy queries made from titles that are in the index (targets: top-1 >= 90%,
  top-3 >= 97%); (b): the same queries against an index built WITHOUT those titles (honest
  "unseen title" figure, no target); both with the clear/ambiguous/none split;
* the hand-written realistic queries (bench/resolver_eval.py HAND_SET), each with its result;
* speed: median queries/s over several rounds of the whole noisy set, and for two naive
  baselines scanning the same index strings on a small subset: ``difflib.get_close_matches``
  and a rapidfuzz ``process.extractOne`` full scan.
"""

from __future__ import annotations

import argparse
import difflib
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    from rapidfuzz import fuzz, process
except ModuleNotFoundError:  # the resolver needs it too
    raise SystemExit("rapidfuzz is not installed for this Python: run .venv/bin/python "
                     "bench/resolver.py (or pip install rapidfuzz)") from None

from bench.resolver_eval import (  # noqa: E402
    HAND_SET,
    EvalItem,
    build_eval_set,
    evaluate,
    evaluate_hand,
    held_out_index,
    load_rows,
)
from knowledge.resolver import TitleIndex  # noqa: E402


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {0})
        return "pinned to CPU 0"
    except (AttributeError, OSError) as exc:  # not Linux, or CPU 0 not allowed
        return f"not pinned ({exc.__class__.__name__})"


def pct(x: float) -> str:
    return f"{100.0 * x:5.1f}%"


def report_accuracy(label: str, index: TitleIndex, items: list[EvalItem]) -> dict[str, float]:
    overall = evaluate(index, items).as_dict()
    print(f"  {label}: top-1 {pct(overall['top1'])}  top-3 {pct(overall['top3'])}  "
          f"(n={overall['n']})")
    for lang in ("en", "fr"):
        part = evaluate(index, [i for i in items if i.lang == lang]).as_dict()
        print(f"      {lang}: top-1 {pct(part['top1'])}  top-3 {pct(part['top3'])}  "
              f"(n={part['n']})")
    print(f"      status: clear {pct(overall['clear_rate'])} (top-1 right when clear: "
          f"{pct(overall['clear_precision'])}), none {pct(overall['none_rate'])}")
    return overall


def qps(fn, queries: list[str], rounds: int) -> tuple[float, list[float]]:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for q in queries:
            fn(q)
        rates.append(len(queries) / (time.perf_counter() - start))
    return statistics.median(rates), rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--en", type=int, default=2000, help="English eval titles")
    parser.add_argument("--fr", type=int, default=1000, help="French eval titles")
    parser.add_argument("--rounds", type=int, default=7, help="speed rounds (median)")
    parser.add_argument("--baseline-queries", type=int, default=10,
                        help="queries for the difflib baseline (slow: ~1 s each)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc build")
    args = parser.parse_args(argv)

    print(f"Pathfinder title resolver benchmark ({pin_one_core()}, Python "
          f"{sys.version.split()[0]})")
    groups, titles = load_rows()
    print(f"data: {len(groups)} unit groups, {len(titles)} example titles (EN+FR)")

    # --- build ---------------------------------------------------------------------------
    start = time.perf_counter()
    index = TitleIndex.build(groups, titles)
    build_s = time.perf_counter() - start
    print("\nIndex")
    print(f"  build time: {build_s:.2f} s")
    print(f"  {len(index)} indexed titles (gender variants, acronym readings, unit group "
          f"titles), {len(index.idf)} tokens, {len(index.speller or ())} typo-dictionary keys")
    if not args.no_memory:
        tracemalloc.start()
        kept = TitleIndex.build(groups, titles)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  memory (tracemalloc): {current / 2**20:.0f} MiB held by the index, "
              f"{peak / 2**20:.0f} MiB peak while building")
        del kept

    # --- accuracy ----------------------------------------------------------------------------
    items = build_eval_set(args.seed, args.en, args.fr, titles)
    print(f"\nAccuracy (seed {args.seed}; {len(items)} noisy queries, labels = every NOC the "
          "source title is published under)")
    report_accuracy("(a) titles in the index", index, items)
    held = held_out_index(groups, titles, items)
    report_accuracy("(b) unseen titles (index built without them)", held, items)

    print("\nHand-written queries")
    results = evaluate_hand(index, HAND_SET)
    for case, codes, status, ok in results:
        expect = "/".join(sorted(case.expected)) or "-"
        want = f"{expect}{'' if case.within == 1 else f' in top {case.within}'}"
        if case.status:
            want += f", {case.status}"
        print(f"  {'ok ' if ok else 'BAD'} {case.query!r:40} {case.lang or '--'}  want {want:28} "
              f"got {status:9} {' '.join(codes)}")
    passed = sum(ok for *_rest, ok in results)
    print(f"  {passed}/{len(results)} as expected")

    # --- speed --------------------------------------------------------------------------------
    queries = [item.query for item in items]
    for q in queries[:200]:  # warm-up (no cache exists: this only warms the interpreter)
        index.resolve(q)
    ours, rates = qps(index.resolve, queries, args.rounds)
    print(f"\nSpeed (single process, one core; {len(queries)} noisy queries per round)")
    print(f"  Pathfinder resolver: {ours:8.0f} queries/s median of {args.rounds} rounds "
          f"(min {min(rates):.0f}, max {max(rates):.0f}; {1e6 / ours:.0f} us/query)")

    choices = index.texts  # the same index strings, folded
    owner = index.nocs

    def difflib_resolve(q: str) -> str | None:
        from knowledge.resolver.normalize import normalize

        hit = difflib.get_close_matches(normalize(q), choices, n=1, cutoff=0.6)
        return owner[choices.index(hit[0])] if hit else None

    def rapidfuzz_resolve(q: str) -> str | None:
        from knowledge.resolver.normalize import normalize

        hit = process.extractOne(normalize(q), choices, scorer=fuzz.WRatio, score_cutoff=60)
        return owner[hit[2]] if hit else None

    subset = items[:: max(1, len(items) // args.baseline_queries)][: args.baseline_queries]
    for name, fn, n in (("difflib.get_close_matches scan", difflib_resolve, len(subset)),
                        ("rapidfuzz extractOne(WRatio) scan", rapidfuzz_resolve,
                         min(len(items), 10 * len(subset)))):
        sample = items[:: max(1, len(items) // n)][:n]
        start = time.perf_counter()
        hits = sum(fn(item.query) in item.labels for item in sample)
        rate = len(sample) / (time.perf_counter() - start)
        print(f"  {name}: {rate:8.2f} queries/s on {len(sample)} queries "
              f"(top-1 {pct(hits / len(sample))} on them) -> resolver is {ours / rate:,.0f}x "
              "faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
