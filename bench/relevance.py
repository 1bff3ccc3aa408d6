"""Relevance of what the assistant recommends: precision@5 and nDCG@5 on bench/sets/relevance.yml.

    .venv/bin/python bench/relevance.py              # test split first, then dev
    .venv/bin/python bench/relevance.py --errors dev # and the dev requests' unrelated programs
    .venv/bin/python bench/relevance.py --split dev  # the dev split only (while tuning)

Each request (a learner's or an employer's, EN or FR) was judged by hand, by an agent
session acting as the annotator, against the whole sample catalog:
the programs that teach what it asks for (``relevant``) and the best fits
(``highly``); every other program is judged not relevant. The request goes through what the
chat does with a first message: ``knowledge.reading.read_message`` (jobs, field or skill,
constraints), ``knowledge.fields.read_target`` for the job or field wanted, then
``recommend`` with the topic and occupation (its programs meeting the constraints, else the
closest relevant ones without them), as actions/recommendations.py and actions/employer.py
do. Figures:

* precision@5: relevant programs among those shown (at most 5), averaged over requests that
  show any; a request whose list is empty by judgement is right when nothing is shown;
* nDCG@5: gain 2 for ``highly``, 1 for ``relevant``, over the ideal order of the judged list;
* clean top 3: share of requests with no unrelated program among the first three shown.
Targets (issue 13): precision@5 >= 0.85; clean top 3 >= 95%.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from knowledge.constraints import Constraints  # noqa: E402
from knowledge.db import make_engine, session_factory  # noqa: E402
from knowledge.fields import message_topic, read_target  # noqa: E402
from knowledge.language import as_lang  # noqa: E402
from knowledge.reading import read_message  # noqa: E402
from knowledge.recommender import recommend  # noqa: E402
from knowledge.resolver import TitleIndex, index_from_database  # noqa: E402

SET = ROOT / "bench" / "sets" / "relevance.yml"
SHOWN = 5


def load(split: str) -> list[dict[str, Any]]:
    from ruamel.yaml import YAML

    rows = YAML(typ="safe").load(SET.read_text(encoding="utf-8"))
    return [r for r in rows if r["split"] == split]


def shown_for(session: Any, index: TitleIndex, row: dict[str, Any]) -> list[str]:
    """The ids of the programs the assistant would show for the request, best first: what
    the chat does with a first message. The job they have (if the resolver is sure of it)
    and what the job or field they want means (``knowledge.fields.read_target``, as
    actions/occupation.py's resolve_target); with neither, the message names the skill (as
    action_search_by_skill). Then ``recommend`` with that topic, as both actions do: its
    programs, else the closest relevant ones without the limits. A question asked back
    (which of these jobs?) shows nothing yet."""
    lang = as_lang(row.get("lang"), "en")
    reading = read_message(row["request"], lang, index=index)
    constraints = reading.constraints if isinstance(reading.constraints, Constraints) else (
        Constraints())
    current = reading.current.nocs[0] if reading.current and reading.current.clear else None
    wanted = None
    if reading.target is not None:
        wanted = read_target(session, reading.target.text, lang,
                             resolution=reading.target.resolution,
                             is_field=reading.target.skill is not None, exclude=current)
        if wanted.status == "ask":
            return []
    target = wanted.noc if wanted is not None else None
    topic = wanted.topic if wanted is not None else None
    if topic is None and target is None:
        topic = message_topic(session, row["request"], lang)
    found = recommend(session, target_noc=target, current_noc=current, goal=reading.goal,
                      constraints=constraints, lang=lang, limit=SHOWN, topic=topic)
    return [p.id for p in found.programs or found.alternatives]


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def evaluate(session: Any, index: TitleIndex, rows: list[dict[str, Any]], errors: bool
             ) -> None:
    precisions, ndcgs = [], []
    clean = empty_right = empty = 0
    for row in rows:
        relevant, highly = set(row.get("relevant") or ()), set(row.get("highly") or ())
        shown = shown_for(session, index, row)[:SHOWN]
        if not relevant:
            empty += 1
            empty_right += not shown
            clean += not shown
            if errors and shown:
                print(f"    nothing fits, shown {shown[:3]} | {row['request'][:90]}")
            continue
        if shown:
            precisions.append(sum(p in relevant for p in shown) / len(shown))
        gains = [2.0 if p in highly else 1.0 if p in relevant else 0.0 for p in shown]
        ideal = sorted((2.0 if p in highly else 1.0 for p in relevant), reverse=True)[:SHOWN]
        ndcgs.append(dcg(gains) / dcg(ideal))
        clean += all(p in relevant for p in shown[:3]) and bool(shown)
        if errors and not all(p in relevant for p in shown[:3]):
            wrong = [p for p in shown[:3] if p not in relevant]
            print(f"    unrelated {wrong or 'none shown'} | {row['request'][:90]}")
    n = len(rows)
    print(f"  precision@5 {statistics.mean(precisions) if precisions else 0:.3f} "
          f"(over {len(precisions)} requests that show programs)  nDCG@5 "
          f"{statistics.mean(ndcgs) if ndcgs else 0:.3f}  clean top 3 {clean / max(n, 1):.1%}  "
          f"nothing-fits requests answered with nothing {empty_right}/{empty}  n={n}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", choices=("dev",), help="list the dev split's misses")
    parser.add_argument("--split", choices=("test", "dev"), help="only this split")
    args = parser.parse_args(argv)
    index = index_from_database()
    engine = make_engine()
    try:
        with session_factory(engine)() as session:
            for split in (args.split,) if args.split else ("test", "dev"):
                print(f"\n{split} split" + (" (looked at while developing)" if split == "dev"
                                            else " (never looked at while developing)"))
                evaluate(session, index, load(split), args.errors == split)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
