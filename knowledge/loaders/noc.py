"""NOC 2021 V1.0 loader: unit groups (EN/FR titles, definitions, TEER) and example titles.

Source files (Statistics Canada, NOC 2021 V1.0, via data/SOURCES.md):
- ``noc2021/classes.csv``: every class of the hierarchy; only the 516 five-digit unit groups
  are occupations a learner can hold.
- ``noc2021/All examples.csv``: the example-title index. English and French columns are paired
  by row position, not as translations, so each column becomes its own list of titles.
- ``noc2021/Exclusion(s).csv``: per unit group, the confusable titles that belong elsewhere,
  "Receptionists  (See 14101 Receptionists)"; same layout, each column read on its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.language import Lang
from knowledge.loaders.csv_rows import read_rows
from knowledge.loaders.report import RowError

CLASSES_FILE = Path("noc2021/classes.csv")
EXAMPLES_FILE = Path("noc2021/All examples.csv")
STRUCTURE_FILE = Path("noc2021/noc_structure_en.csv")
EXCLUSIONS_FILE = Path("noc2021/Exclusion(s).csv")


@dataclass(frozen=True, slots=True)
class UnitGroupRow:
    noc: str
    title_en: str
    title_fr: str
    definition_en: str
    definition_fr: str

    @property
    def teer(self) -> int:
        # The second digit of a five-digit NOC 2021 code is its TEER category.
        return int(self.noc[1])


@dataclass(frozen=True, slots=True)
class ExampleTitleRow:
    noc: str
    lang: Lang
    title: str


@dataclass(frozen=True, slots=True)
class ExclusionRow:
    excluded_from: str  # the unit group whose exclusions list the title
    noc: str  # the class the title belongs to, as the line says (a unit group or higher)
    lang: Lang
    title: str  # "Medical administrative assistants"

    @property
    def names_unit_group(self) -> bool:
        return _is_unit_group(self.noc)


# "<title>  (See 14101 Receptionists)", "(Voir 14101 ...)": the last such reference.
_SEE = re.compile(r"^(?P<title>.*\S)\s*\((?:See|Voir)\s+(?P<code>\d{4,5})\b[^()]*"
                  r"(?:\([^()]*\)[^()]*)*\)\s*$", re.DOTALL)


def _is_unit_group(code: str) -> bool:
    return len(code) == 5 and code.isdigit()


def read_unit_groups(path: Path) -> Iterator[UnitGroupRow | RowError]:
    """Yield the unit groups of classes.csv; other hierarchy levels are skipped."""
    with read_rows(path) as rows:
        for row in rows:
            code = row.get("code")
            if len(code) != 5:
                if code.isdigit():
                    continue  # broad category, major, sub-major or minor group
                yield row.error(f"bad NOC code {code!r}")
                continue
            if not code.isdigit():
                yield row.error(f"bad NOC code {code!r}")
                continue
            title_en = row.get("name_english")
            title_fr = row.get("name_french")
            if not title_en or not title_fr:
                yield row.error(f"unit group {code} lacks an EN or FR title")
                continue
            yield UnitGroupRow(
                noc=code,
                title_en=title_en,
                title_fr=title_fr,
                definition_en=row.get("description_english"),
                definition_fr=row.get("description_french"),
            )


def read_example_titles(path: Path) -> Iterator[ExampleTitleRow | RowError]:
    """Yield one row per non-empty English and per non-empty French example title."""
    with read_rows(path) as rows:
        for row in rows:
            code = row.get("noc_code")
            if not _is_unit_group(code):
                yield row.error(f"bad NOC code {code!r}")
                continue
            en = row.get("name_english")
            fr = row.get("name_french")
            if not en and not fr:
                yield row.error("row has no title in either language")
                continue
            if en:
                yield ExampleTitleRow(code, "en", en)
            if fr:
                yield ExampleTitleRow(code, "fr", fr)


_COLUMNS: tuple[tuple[Lang, str], ...] = (("en", "name_english"), ("fr", "name_french"))


def read_exclusions(path: Path) -> Iterator[ExclusionRow | RowError]:
    """Yield one row per English and per French exclusion line that names where the title
    belongs; a line without a "(See CODE ...)" reference is a ``RowError``."""
    with read_rows(path) as rows:
        for row in rows:
            code = row.get("noc_code")
            if not _is_unit_group(code):
                yield row.error(f"bad NOC code {code!r}")
                continue
            for lang, column in _COLUMNS:
                text = row.get(column)
                if not text:
                    continue
                found = _SEE.match(text)
                if found is None:
                    yield row.error(f"{column}: no (See/Voir CODE) reference in {text[:60]!r}")
                    continue
                yield ExclusionRow(code, found["code"], lang, found["title"].strip())


def distinct_titles(rows: Iterable[ExclusionRow], unit_groups: Collection[str] | None = None
                    ) -> list[ExampleTitleRow]:
    """Each exclusion line as (target unit group, language, title), once each (a title is
    often excluded from several groups); only targets in ``unit_groups`` when given, never a
    line pointing above the unit groups."""
    seen: set[tuple[str, str, str]] = set()
    out: list[ExampleTitleRow] = []
    for row in rows:
        if not row.names_unit_group:
            continue
        if unit_groups is not None and row.noc not in unit_groups:
            continue
        key = (row.noc, row.lang, row.title.casefold())
        if key not in seen:
            seen.add(key)
            out.append(ExampleTitleRow(row.noc, row.lang, row.title))
    return out
