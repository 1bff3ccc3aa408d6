"""Reading whole messages: per-slot precision and recall on bench/sets/messages.yml.

    .venv/bin/python bench/messages.py                  # test split first, then dev
    .venv/bin/python bench/messages.py --errors dev     # and every dev error (never test's)
    .venv/bin/python bench/messages.py --only dev       # dev alone (test's figures not shown)

The set (461 EN/FR learner, employer and other messages, labelled by hand from what each
message says, by an agent session acting as the annotator that never ran the system)
is read by nothing the assistant learns or is tuned from; its ``dev`` split may
be looked at while developing, its ``test`` split is only counted. ``knowledge.reading.
read_message`` reads each message alone (no conversation before it), as the first message
of a conversation, language given as the chat knows it.

Per slot: precision = right answers / answers given, recall = right answers / labels.
* current_job, target: right when the unit group read is one of the labelled ones (for an
  ambiguous answer, one of its choices); a target that is a field or skill is right when the
  skill read matches the labelled one (rapidfuzz token_set_ratio >= 80) or when its unit
  group is labelled.
* goal, each constraint and preference key: the value must be equal (amounts within 1%,
  weeks within 1; delivery and schedule as sets).
* questions: per kind (osap, cost, what_is, wage, outlook, other).
Target: >= 0.92 each (issue 13).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from knowledge.reading import MessageReading, read_message  # noqa: E402
from knowledge.resolver import TitleIndex, index_from_database  # noqa: E402

SET = ROOT / "bench" / "sets" / "messages.yml"
CONSTRAINT_KEYS = ("max_cost", "max_weeks", "max_hours", "delivery", "schedule", "language",
                   "region", "financial_aid")
QUESTION_KINDS = ("osap", "cost", "what_is", "wage", "outlook", "other")


def load(split: str | None) -> list[dict[str, Any]]:
    from ruamel.yaml import YAML

    rows = YAML(typ="safe").load(SET.read_text(encoding="utf-8"))
    return [r for r in rows if split is None or r["split"] == split]


@dataclass
class Slot:
    given: int = 0
    right_given: int = 0
    labelled: int = 0
    right_labelled: int = 0

    @property
    def precision(self) -> float:
        return self.right_given / self.given if self.given else 1.0

    @property
    def recall(self) -> float:
        return self.right_labelled / self.labelled if self.labelled else 1.0


@dataclass
class Figures:
    slots: dict[str, Slot] = field(default_factory=lambda: defaultdict(Slot))
    errors: list[str] = field(default_factory=list)

    def count(self, name: str, given: Any, label: Any, right: bool, text: str) -> None:
        slot = self.slots[name]
        if given is not None:
            slot.given += 1
            slot.right_given += right
        if label is not None:
            slot.labelled += 1
            slot.right_labelled += right
        if (given is not None or label is not None) and not right:
            self.errors.append(f"{name:16} want {label!r:34} got {given!r:34} | {text[:110]}")

    def explain(self, detail: str) -> None:
        """Add what was read to the last error (the unit groups of a job read wrong)."""
        self.errors[-1] += f"\n{'':21}{detail}"


def _same(key: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return False
    if key in ("delivery", "schedule"):
        return set(got) == set(want)
    if key == "max_cost":
        return abs(float(got) - float(want)) <= 0.01 * max(1.0, float(want))
    if key in ("max_weeks", "max_hours"):
        return abs(float(got) - float(want)) <= 1.0
    return bool(got == want)


def _limits(values: Any) -> dict[str, Any]:
    out = {}
    for key in CONSTRAINT_KEYS:
        value = getattr(values, key, None)
        if value in (None, ()):
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _job_right(mention: Any, label: dict[str, Any] | None) -> bool:
    if mention is None or label is None:
        return False
    nocs = set(label.get("noc") or ())
    if mention.nocs and nocs & set(mention.nocs[:1 if mention.clear else 3]):
        return True
    skill = label.get("skill")
    return bool(skill and mention.skill and fuzz.token_set_ratio(
        skill.lower(), mention.skill.lower()) >= 80)


def score(rows: list[dict[str, Any]], readings: list[MessageReading]) -> Figures:
    fig = Figures()
    for row, reading in zip(rows, readings, strict=True):
        text = row["text"]
        for name, mention, label in (("current_job", reading.current, row.get("current_job")),
                                     ("target", reading.target, row.get("target"))):
            right = _job_right(mention, label)
            fig.count(name, mention.text if mention else None,
                      label.get("text") if label else None, right, text)
            if not right and (mention is not None or label is not None):
                fig.explain(f"read {mention.nocs[:3] if mention else ()} "
                            f"clear={mention.clear if mention else None} "
                            f"skill={mention.skill if mention else None!r}; "
                            f"labelled {(label or {}).get('noc')} "
                            f"skill={(label or {}).get('skill')!r}")
        fig.count("goal", reading.goal, row.get("goal"),
                  reading.goal is not None and reading.goal == row.get("goal"), text)
        for kind, got_values, want_values in (
                ("constraint", _limits(reading.constraints), row.get("constraints") or {}),
                ("preference", _limits(reading.preferences), row.get("preferences") or {})):
            for key in CONSTRAINT_KEYS:
                got, want = got_values.get(key), want_values.get(key)
                fig.count(f"{kind}.{key}", got, want, _same(key, got, want), text)
        asked = set(reading.questions)
        wanted = set(row.get("questions") or ())
        for kind in QUESTION_KINDS:
            fig.count(f"question.{kind}", kind if kind in asked else None,
                      kind if kind in wanted else None, kind in asked and kind in wanted, text)
    return fig


def report(title: str, fig: Figures) -> None:
    print(f"\n{title}")
    print(f"  {'slot':24} {'precision':>9} {'recall':>7} {'given':>6} {'labels':>7}")
    for name in sorted(fig.slots):
        s = fig.slots[name]
        flag = "" if s.precision >= 0.92 and s.recall >= 0.92 else "   < 0.92"
        print(f"  {name:24} {s.precision:9.3f} {s.recall:7.3f} {s.given:6} {s.labelled:7}{flag}")
    constraint = [s for n, s in fig.slots.items() if n.startswith("constraint.")]
    given = sum(s.given for s in constraint)
    labelled = sum(s.labelled for s in constraint)
    print(f"  {'all constraints (micro)':24} "
          f"{sum(s.right_given for s in constraint) / max(given, 1):9.3f} "
          f"{sum(s.right_labelled for s in constraint) / max(labelled, 1):7.3f} "
          f"{given:6} {labelled:7}")


def read_all(rows: list[dict[str, Any]], index: TitleIndex) -> tuple[list[MessageReading],
                                                                      list[float]]:
    readings, times = [], []
    for row in rows:
        start = time.perf_counter()
        readings.append(read_message(row["text"], row.get("lang"), index=index))
        times.append(1000 * (time.perf_counter() - start))
    return readings, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", choices=("dev",), help="list the dev split's errors")
    parser.add_argument("--only", choices=("dev",),
                        help="read the dev split alone: looking at test's figures while tuning "
                             "is tuning on them")
    args = parser.parse_args(argv)
    index = index_from_database()
    for split in ("dev",) if args.only else ("test", "dev"):
        rows = load(split)
        readings, times = read_all(rows, index)
        label = ("test split (never looked at while developing)" if split == "test" else
                 "dev split (looked at while developing)")
        report(f"{label}: {len(rows)} messages, reading median "
               f"{statistics.median(times):.1f} ms, max {max(times):.0f} ms", score(rows,
                                                                                   readings))
        if args.errors == split:
            print("\n  errors:")
            for line in score(rows, readings).errors:
                print("   ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
