"""OaSIS 2023 v1.0 (ESDC): how much each occupation needs each skill and knowledge area.

Sources: ``oasis/skills_oasis_2023_v1.0.csv`` (proficiency 1-5, 0 = not needed) and
``oasis/knowledges_oasis_2023_v1.0.csv`` (knowledge level 1-3, 0 = not needed). Both are wide:
one row per OaSIS profile (``NOC.NN``), one column per descriptor; headers carry stray and
non-breaking spaces. A NOC with several profiles gets the highest level over them. English only:
OaSIS has no French release, so French names stay empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.loaders.csv_rows import read_rows
from knowledge.loaders.report import RowError

SKILLS_FILE = Path("oasis/skills_oasis_2023_v1.0.csv")
KNOWLEDGES_FILE = Path("oasis/knowledges_oasis_2023_v1.0.csv")
# Some codes lost a trailing zero in a spreadsheet upstream ("31100.1" for "31100.10").
PROFILE_CODE = re.compile(r"^(\d{5})\.\d{1,2}$")
FIRST_DESCRIPTOR = 2  # the columns: profile code, profile label, then one per descriptor


@dataclass(frozen=True, slots=True)
class DescriptorRow:
    code: str
    kind: str  # oasis_skill | oasis_knowledge
    name_en: str


@dataclass(frozen=True, slots=True)
class OccupationSkillRow:
    noc: str
    skill_code: str
    level: int


def descriptor_code(kind: str, name: str) -> str:
    prefix = "oasis-skill" if kind == "oasis_skill" else "oasis-knowledge"
    return f"{prefix}:{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"


def descriptor_names(path: Path) -> tuple[str, ...]:
    """The descriptors a ratings file rates: its column names, whitespace-normalized."""
    with read_rows(path) as rows:
        return rows.columns[FIRST_DESCRIPTOR:]


def read_ratings(path: Path, kind: str, max_level: int) -> Iterator[
        DescriptorRow | OccupationSkillRow | RowError]:
    best: dict[tuple[str, str], int] = {}
    with read_rows(path) as rows:
        descriptors = [DescriptorRow(descriptor_code(kind, name), kind, name)
                       for name in rows.columns[FIRST_DESCRIPTOR:]]
        yield from descriptors
        code_column = rows.columns[0] if rows.columns else ""
        for row in rows:
            match = PROFILE_CODE.match(row.get(code_column))
            if match is None or row.extra or row.short:
                yield row.error("bad OaSIS profile code or column count")
                continue
            try:
                levels = [int(row[d.name_en]) for d in descriptors]
            except ValueError:
                yield row.error("non-numeric rating")
                continue
            if any(not 0 <= level <= max_level for level in levels):
                yield row.error(f"rating outside 0-{max_level}")
                continue
            noc = match.group(1)
            for descriptor, level in zip(descriptors, levels, strict=True):
                key = (noc, descriptor.code)
                if level > best.get(key, 0):
                    best[key] = level
    for (noc, code), level in sorted(best.items()):
        yield OccupationSkillRow(noc, code, level)
