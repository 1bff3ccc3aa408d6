"""How well the tag suggestions (knowledge.tagging) match the sample catalog's own tags.

For every program of the knowledge base, suggest skills and occupations from its title and
description and compare them with the tags the catalog gives it: micro-averaged precision and
recall, for skills and for occupations. Occupation suggestions lean on other programs' tags, so
every offering of the same course (same id after the institution prefix) is left out of that
evidence: a new course is judged only by different courses.

    .venv/bin/python -m bench.tagging [--database URL] [--json]

The catalog is SAMPLE data: its tags come from the generator's themes, so these figures say how
well the suggestions recover a consistent tagging, not how good they are on real listings.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge import models
from knowledge.db import make_engine, session_factory
from knowledge.resolver import index_from_database
from knowledge.tagging import suggest_for_program


@dataclass
class Score:
    true_positives: int = 0
    suggested: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.suggested if self.suggested else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 0.0

    def add(self, suggested: set[str], expected: set[str]) -> None:
        self.true_positives += len(suggested & expected)
        self.suggested += len(suggested)
        self.expected += len(expected)


def course_key(program: models.Program) -> str:
    """The course an offering is of: its id without the institution prefix."""
    return program.id.removeprefix(program.institution_id + "-")


def evaluate(session: Session, index: object | None, step: int = 1) -> dict[str, Score]:
    """Scores over every ``step``-th program (1: all of them)."""
    programs = list(session.scalars(
        select(models.Program).options(selectinload(models.Program.skills),
                                       selectinload(models.Program.occupations))
        .order_by(models.Program.id)))
    offerings: dict[str, set[str]] = defaultdict(set)
    for program in programs:
        offerings[course_key(program)].add(program.id)
    scores = {"skill": Score(), "occupation": Score()}
    for program in programs[::max(1, step)]:
        found = suggest_for_program(session, program, index,
                                    exclude_program_ids=offerings[course_key(program)])
        scores["skill"].add({s.code for s in found if s.kind == "skill"},
                            {s.code for s in program.skills})
        scores["occupation"].add({s.code for s in found if s.kind == "occupation"},
                                 {o.noc for o in program.occupations})
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: the knowledge base)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    engine = make_engine(args.database)
    index = index_from_database(args.database)
    with session_factory(engine)() as session:
        programs = len(session.scalars(select(models.Program.id)).all())
        scores = evaluate(session, index)
    engine.dispose()
    result = {"programs": programs,
              **{kind: {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                        "suggested": s.suggested, "expected": s.expected,
                        "correct": s.true_positives}
                 for kind, s in scores.items()}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Tag suggestions vs the SAMPLE catalog's tags ({programs} programs; "
              "spaCy blank EN/FR pipelines)")
        for kind, s in scores.items():
            print(f"  {kind:<10} precision {s.precision:.3f}  recall {s.recall:.3f}  "
                  f"({s.true_positives} correct of {s.suggested} suggested, "
                  f"{s.expected} expected)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
