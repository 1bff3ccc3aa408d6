"""Institutions import their programs from a CSV or JSON file, all or nothing.

The file is in the catalog's program format (data/catalog/FORMAT.md, "programs.json /
programs.csv"; the format for imports is summarised in the README) and is read by the same
reader as ``load-data`` (knowledge.loaders.catalog.read_programs_text), against the knowledge base's
institutions, skills and NOC unit groups. The import is refused whole when any row is
malformed: every bad row is reported with its CSV line or JSON line (and index), and nothing is
written. Otherwise, in one transaction, new programs are added and programs already in the
catalog (same id, same institution) are updated.

Tags are never written directly: the ``skills`` and ``occupations`` a file lists, and the
tagger's suggestions from the title and description (knowledge.tagging), are stored as pending
suggestions that staff accept or reject. The catalog dataset's ``loaded_at`` moves, so the
recommender's cached reference data is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.loaders.catalog import (
    ProgramFormat,
    ProgramRow,
    _json_element_lines,
    read_programs_text,
)
from knowledge.loaders.pipeline import program_columns
from knowledge.loaders.report import RowError
from knowledge.tagging import Suggestion, store_suggestions, suggest_for_program, touch_catalog

Format = ProgramFormat
MAX_IMPORT_BYTES = 5_000_000
MAX_PROGRAMS = 5_000
# Column lengths of the programs table: refused with the line rather than by the database.
MAX_COST = 99_999_999.99  # programs.cost is NUMERIC(10, 2)
MAX_WEEKS = 520  # a short program; also keeps programs.weeks inside a 32-bit INTEGER
MAX_HOURS = 10_000.0
_MAX_LENGTHS = {"id": 120, "title_en": 300, "title_fr": 300, "url": 500}


class ImportRefused(ValueError):
    """The file as a whole cannot be imported (empty, too large, unknown format, no
    knowledge base); the message says why."""


@dataclass
class ImportReport:
    file: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    suggestions: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "ok": self.ok, "added": self.added, "updated": self.updated,
                "suggestions": self.suggestions,
                "errors": [{"line": e.line, "reason": e.reason, "text": str(e)}
                           for e in self.errors]}


def detect_format(name: str, content: bytes) -> Format:
    """``csv`` or ``json`` from the file name's suffix, else from the first character."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".json"):
        return "csv" if suffix == ".csv" else "json"
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if start in (b"{", b"[") else "csv"


def _json_indexes(text: str) -> dict[int, int]:
    """JSON line -> 0-based program index, to name both in errors (best effort)."""
    try:
        lines = _json_element_lines(text)
    except ValueError:
        return {}
    return {line: index for index, line in enumerate(lines or [])}


def _check_extra(row: ProgramRow, institution: str | None,
                 owners: dict[str, str]) -> list[str]:
    problems = []
    for name, limit in _MAX_LENGTHS.items():
        if len(getattr(row, name)) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    if row.cost > MAX_COST:
        problems.append(f"cost {row.cost} is more than {MAX_COST:,.2f}")
    if row.weeks > MAX_WEEKS:
        problems.append(f"weeks {row.weeks} is more than {MAX_WEEKS}")
    if not row.hours <= MAX_HOURS:  # also NaN and infinity
        problems.append(f"hours {row.hours} is more than {MAX_HOURS}")
    if institution is not None and row.institution_id != institution:
        problems.append(f"institution_id {row.institution_id!r} is not {institution!r} "
                        "(an import brings one institution's programs)")
    owner = owners.get(row.id)
    if owner is not None and owner != row.institution_id:
        problems.append(f"id {row.id!r} is already a program of {owner!r}")
    return problems


def parse_programs(session: Session, content: bytes, fmt: Format, name: str,
                   institution: str | None = None) -> tuple[list[ProgramRow], list[RowError]]:
    """The file's programs, checked against the knowledge base, and its malformed rows."""
    if not content.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportRefused("the file is empty")
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_IMPORT_BYTES:,} bytes")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"the file is not UTF-8 text (byte {exc.start})") from None
    nocs = set(session.scalars(select(models.Occupation.noc)))
    if not nocs:
        raise ImportRefused("the knowledge base is empty: run `pathfinder load-data` first")
    skills = set(session.scalars(select(models.Skill.code).where(models.Skill.kind == "topic")))
    institutions = set(session.scalars(select(models.Institution.id)))
    if institution is not None and institution not in institutions:
        raise ImportRefused(f"{institution!r} is not an institution of the catalog")
    owners = dict(session.execute(select(models.Program.id, models.Program.institution_id))
                  .tuples().all())
    display = Path(name).name or f"programs.{fmt}"
    items = list(read_programs_text(text, fmt, name=display, noc_codes=nocs, skill_codes=skills,
                                    institution_ids=institutions))
    if len(items) > MAX_PROGRAMS:
        raise ImportRefused(f"more than {MAX_PROGRAMS} programs in one file")
    indexes = _json_indexes(text) if fmt == "json" else {}
    rows: list[ProgramRow] = []
    errors: list[RowError] = []
    for item in items:
        if isinstance(item, RowError):
            reason = item.reason
            if item.line in indexes:
                reason = f"program [{indexes[item.line]}]: {reason}"
            errors.append(RowError(display, item.line, reason))
            continue
        problems = _check_extra(item, institution, owners)
        if problems:
            # checks the shared reader does not make
            errors.append(RowError(display, item.line, "; ".join(problems)))
            continue
        rows.append(item)
    if not rows and not errors:
        raise ImportRefused("the file has no programs")
    return rows, errors


def import_programs(session: Session, content: bytes, name: str = "programs.csv",
                    fmt: Format | None = None, institution: str | None = None,
                    index: Any | None = None) -> ImportReport:
    """Import a CSV or JSON file of programs, all or nothing. Commits only when every row is
    good; otherwise returns the errors and writes nothing. ``institution``: the file must only
    hold that institution's programs. ``index``: a resolver index for occupation suggestions.

    Raises ImportRefused when the file as a whole is unusable."""
    fmt = fmt or detect_format(name, content)
    report = ImportReport(file=Path(name).name or f"programs.{fmt}")
    rows, errors = parse_programs(session, content, fmt, name, institution)
    if errors:
        report.errors = errors
        return report
    try:
        # Read once for the whole file, not per row: the programs already in the catalog and
        # their accepted tags.
        ids = [row.id for row in rows]
        existing = {p.id: p for p in session.scalars(
            select(models.Program).where(models.Program.id.in_(ids)))}
        tags = _current_tags(session, ids)
        for row in rows:
            program = existing.get(row.id)
            if program is None:
                program = models.Program(**program_columns(row))
                session.add(program)
                report.added.append(row.id)
            else:
                for key, value in program_columns(row).items():
                    if key != "id":
                        setattr(program, key, value)
                report.updated.append(row.id)
            listed = [Suggestion("skill", code, 1.0, "listed by the institution")
                      for code in dict.fromkeys(row.skills)]
            listed += [Suggestion("occupation", noc, 1.0, "listed by the institution")
                       for noc in dict.fromkeys(row.occupations)]
            accepted = tags.get(row.id, set())
            report.suggestions += store_suggestions(
                session, row.id, [s for s in listed if (s.kind, s.code) not in accepted],
                source="institution")
            found = [s for s in suggest_for_program(session, program, index)
                     if (s.kind, s.code) not in accepted]
            report.suggestions += store_suggestions(session, row.id, found, source="spacy")
        touch_catalog(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _current_tags(session: Session, program_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The accepted tags of these programs, as (kind, code) by program id."""
    tags: dict[str, set[tuple[str, str]]] = {}
    for program_id, skill in session.execute(
            select(models.ProgramSkill.program_id, models.ProgramSkill.skill_code)
            .where(models.ProgramSkill.program_id.in_(program_ids))):
        tags.setdefault(program_id, set()).add(("skill", skill))
    for program_id, noc in session.execute(
            select(models.ProgramOccupation.program_id, models.ProgramOccupation.noc)
            .where(models.ProgramOccupation.program_id.in_(program_ids))):
        tags.setdefault(program_id, set()).add(("occupation", noc))
    return tags
