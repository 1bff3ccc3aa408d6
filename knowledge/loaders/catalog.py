"""Micro-credential catalog loader: institutions, the skills vocabulary and programs.

The import format is documented in ``data/catalog/FORMAT.md``. The files shipped in
``data/catalog/`` are SAMPLE data written by ``data/catalog/sample/generate.py`` (``make
catalog``); a portal loads its real listings by pointing ``pathfinder load-data --catalog DIR`` at
a directory in this format.

- ``institutions.csv``: one row per institution (``read_institutions``).
- ``skills.csv``: the teachable-skill vocabulary programs are tagged with (``read_skills``).
- ``programs.csv`` or ``programs.json``: one record per program offering (``read_programs``;
  ``read_programs_text`` reads the same from text, e.g. an institution's upload).

Every reader yields a typed row, or a ``RowError(file, line, reason)`` for a malformed row, which is
skipped whole; the good rows around it are still yielded. CSV lines are physical lines of the file
(``knowledge.loaders.csv_rows``); JSON lines are where the program's object starts in the file.
Leading lines that begin with ``#`` in a CSV file (the sample-data notice) are skipped and still
counted.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from knowledge.language import Lang
from knowledge.loaders.csv_rows import CsvRow, CsvRows, read_rows
from knowledge.loaders.report import RowError
from knowledge.vocabulary import DELIVERY_MODES, PROGRAM_LANGUAGES, REGIONS, SCHEDULES, SECTORS

INSTITUTIONS_FILE = Path("institutions.csv")
SKILLS_FILE = Path("skills.csv")
PROGRAMS_CSV_FILE = Path("programs.csv")
PROGRAMS_JSON_FILE = Path("programs.json")

# The codes a program's delivery, schedule, language, region and sector may take are
# knowledge.vocabulary's.
CURRENCIES = ("CAD",)

INSTITUTION_COLUMNS = (
    "id", "name_en", "name_fr", "website", "city", "region_code", "contact_email",
    "is_francophone", "sample",
)
SKILL_COLUMNS = (
    "code", "name_en", "name_fr", "synonyms_en", "synonyms_fr", "oasis_descriptor", "sample",
)
PROGRAM_COLUMNS = (
    "id", "sector", "title_en", "title_fr", "institution_id", "url", "description_en",
    "description_fr", "cost", "currency", "hours", "weeks", "delivery", "schedule", "language",
    "region_code", "osap_eligible", "start_dates", "skills", "occupations", "sample",
)
# Columns a file may omit (they take their default); every other column is required.
_OPTIONAL_COLUMNS = frozenset({"sample", "sector", "contact_email", "oasis_descriptor",
                               "synonyms_en", "synonyms_fr", "description_en", "description_fr"})

LIST_SEPARATOR = "|"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_NOC = re.compile(r"\d{5}\Z")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?\Z")
_INTEGER = re.compile(r"\d+\Z")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class InstitutionRow:
    id: str
    name_en: str
    name_fr: str
    website: str
    city: str
    region_code: str
    contact_email: str  # "" when the website is the only contact
    is_francophone: bool
    sample: bool


@dataclass(frozen=True, slots=True)
class SkillRow:
    code: str
    name_en: str
    name_fr: str
    synonyms_en: tuple[str, ...]
    synonyms_fr: tuple[str, ...]
    oasis_descriptor: str  # an OaSIS skills/knowledges column name, or ""
    sample: bool


@dataclass(frozen=True, slots=True)
class ProgramRow:
    id: str
    sector: str  # a vocabulary sector code, or ""
    title_en: str
    title_fr: str
    institution_id: str
    url: str
    description_en: str
    description_fr: str
    cost: float  # CAD, tuition for the whole program; 0 for funded/free seats
    currency: str
    hours: float
    weeks: int
    delivery: str
    schedule: tuple[str, ...]
    language: str
    region_code: str
    osap_eligible: bool
    start_dates: tuple[date, ...]
    skills: tuple[str, ...]
    occupations: tuple[str, ...]  # five-digit NOC 2021 unit groups
    sample: bool
    # Where it starts in its file (CSV: physical line; JSON: the object's "{"); not part of
    # what the program is, so rows from a CSV and a JSON of the same catalog compare equal.
    line: int = dataclasses.field(default=0, compare=False)

    def title(self, lang: Lang) -> str:
        """The title in ``lang`` ("en" | "fr"), falling back to the other language."""
        first, second = (self.title_fr, self.title_en) if lang == "fr" else (
            self.title_en, self.title_fr)
        return first or second


class _Problems:
    """Collects every problem of one row, so the reason names them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def reason(self) -> str:
        return "; ".join(self.items)


# --- CSV plumbing ------------------------------------------------------------------------------


def _required(columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c not in _OPTIONAL_COLUMNS]


def _row_problems(row: CsvRow) -> _Problems:
    """A new row's problems: surplus cells are one."""
    problems = _Problems()
    if row.extra:
        problems.add(f"{row.extra} more cell(s) than the header has columns")
    return problems


def _csv_bool(value: str, field: str, problems: _Problems, default: bool | None = None) -> bool:
    lowered = value.lower()
    if not lowered and default is not None:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.add(f"{field} must be true or false, not {value!r}")
    return False


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(LIST_SEPARATOR) if item.strip())


# --- field checks shared by CSV and JSON -------------------------------------------------------


def _check_slug(value: str, field: str, problems: _Problems) -> None:
    if not value:
        problems.add(f"{field} is empty")
    elif not _SLUG.match(value):
        problems.add(f"{field} {value!r} is not a lowercase slug (a-z, 0-9, hyphens)")


def _check_https(value: str, field: str, problems: _Problems) -> None:
    if not value:
        problems.add(f"{field} is empty")
        return
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
        problems.add(f"{field} {value!r} is not an https:// URL")


def _check_region(value: str, problems: _Problems) -> None:
    if value not in REGIONS:
        problems.add(f"region_code {value!r} is not an Ontario economic region (ER3510..ER3595)")


def _check_enum(value: str, allowed: Collection[str], field: str, problems: _Problems) -> None:
    if value not in allowed:
        problems.add(f"{field} {value!r} is not one of {', '.join(allowed)}")


def _duplicate(seen: set[str], key: str, field: str, problems: _Problems) -> None:
    if key and key in seen:
        problems.add(f"duplicate {field} {key!r}")
    seen.add(key)


# --- institutions ------------------------------------------------------------------------------


def read_institutions(path: Path) -> Iterator[InstitutionRow | RowError]:
    """Yield the institutions of an ``institutions.csv``."""
    with read_rows(path, comments=True) as rows:
        missing = rows.missing_columns(_required(INSTITUTION_COLUMNS))
        if missing:
            yield missing
            return
        seen: set[str] = set()
        for row in rows:
            problems = _row_problems(row)
            _check_slug(row.get("id"), "id", problems)
            _duplicate(seen, row.get("id"), "id", problems)
            for field in ("name_en", "name_fr", "city"):
                if not row.get(field):
                    problems.add(f"{field} is empty")
            _check_https(row.get("website"), "website", problems)
            _check_region(row.get("region_code"), problems)
            email = row.get("contact_email")
            if email and not _EMAIL.match(email):
                problems.add(f"contact_email {email!r} is not an e-mail address")
            francophone = _csv_bool(row.get("is_francophone"), "is_francophone", problems)
            sample = _csv_bool(row.get("sample"), "sample", problems, default=False)
            if problems:
                yield row.error(problems.reason())
                continue
            yield InstitutionRow(
                id=row["id"], name_en=row["name_en"], name_fr=row["name_fr"],
                website=row["website"], city=row["city"], region_code=row["region_code"],
                contact_email=email, is_francophone=francophone, sample=sample,
            )


# --- skills ------------------------------------------------------------------------------------


def read_skills(
    path: Path, *, descriptors: Collection[str] | None = None
) -> Iterator[SkillRow | RowError]:
    """Yield the skills of a ``skills.csv``.

    ``descriptors``: if given, the OaSIS descriptor names a non-empty ``oasis_descriptor`` must be
    one of (e.g. the whitespace-normalized column names of the OaSIS skills and knowledges files).
    """
    allowed = set(descriptors) if descriptors is not None else None
    with read_rows(path, comments=True) as rows:
        missing = rows.missing_columns(_required(SKILL_COLUMNS))
        if missing:
            yield missing
            return
        seen: set[str] = set()
        for row in rows:
            problems = _row_problems(row)
            _check_slug(row.get("code"), "code", problems)
            _duplicate(seen, row.get("code"), "code", problems)
            for field in ("name_en", "name_fr"):
                if not row.get(field):
                    problems.add(f"{field} is empty")
            descriptor = " ".join(row.get("oasis_descriptor").split())
            if descriptor and allowed is not None and descriptor not in allowed:
                problems.add(f"oasis_descriptor {descriptor!r} is not an OaSIS descriptor")
            sample = _csv_bool(row.get("sample"), "sample", problems, default=False)
            if problems:
                yield row.error(problems.reason())
                continue
            yield SkillRow(
                code=row["code"], name_en=row["name_en"], name_fr=row["name_fr"],
                synonyms_en=_csv_list(row.get("synonyms_en")),
                synonyms_fr=_csv_list(row.get("synonyms_fr")),
                oasis_descriptor=descriptor, sample=sample,
            )


# --- programs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _References:
    noc_codes: frozenset[str] | None
    skill_codes: frozenset[str] | None
    institution_ids: frozenset[str] | None


ProgramFormat = Literal["csv", "json"]


def read_programs(
    path: Path,
    *,
    noc_codes: Collection[str] | None = None,
    skill_codes: Collection[str] | None = None,
    institution_ids: Collection[str] | None = None,
) -> Iterator[ProgramRow | RowError]:
    """Yield the programs of a ``.csv`` or ``.json`` file (by its suffix), as
    ``read_programs_text``."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"{path.name}: programs must be a .csv or .json file")
    fmt: ProgramFormat = "csv" if suffix == ".csv" else "json"
    # newline="": a CSV cell may hold line breaks of its own, kept as written.
    with path.open(encoding="utf-8-sig", newline="" if fmt == "csv" else None) as handle:
        text = handle.read()
    yield from read_programs_text(text, fmt, name=path.name,
                                  noc_codes=noc_codes, skill_codes=skill_codes,
                                  institution_ids=institution_ids)


def read_programs_text(
    text: str,
    fmt: ProgramFormat,
    *,
    name: str,
    noc_codes: Collection[str] | None = None,
    skill_codes: Collection[str] | None = None,
    institution_ids: Collection[str] | None = None,
) -> Iterator[ProgramRow | RowError]:
    """Yield the programs of a CSV or JSON document; errors name the file ``name``.

    When a reference set is given, a program must only name codes in it: ``noc_codes`` (five-digit
    NOC 2021 unit groups), ``skill_codes`` (the skills vocabulary), ``institution_ids``.
    """
    refs = _References(
        noc_codes=frozenset(noc_codes) if noc_codes is not None else None,
        skill_codes=frozenset(skill_codes) if skill_codes is not None else None,
        institution_ids=frozenset(institution_ids) if institution_ids is not None else None,
    )
    if fmt == "csv":
        yield from _read_programs_csv(io.StringIO(text, newline=""), name, refs)
    elif fmt == "json":
        yield from _read_programs_json(text, name, refs)
    else:
        raise ValueError(f"{name}: programs must be CSV or JSON, not {fmt!r}")


def _read_programs_csv(handle: TextIO, name: str,
                       refs: _References) -> Iterator[ProgramRow | RowError]:
    rows = CsvRows(handle, name, comments=True)
    missing = rows.missing_columns(_required(PROGRAM_COLUMNS))
    if missing:
        yield missing
        return
    seen: set[str] = set()
    for row in rows:
        problems = _row_problems(row)
        values = _program_values_from_csv(row, problems)
        program = _build_program(values, refs, seen, problems)
        if program is None:
            yield row.error(problems.reason())
        else:
            yield replace(program, line=row.line)


def _program_values_from_csv(row: CsvRow, problems: _Problems) -> dict[str, Any]:
    values: dict[str, Any] = {
        field: row.get(field)
        for field in ("id", "sector", "title_en", "title_fr", "institution_id", "url",
                      "description_en", "description_fr", "currency", "delivery", "language",
                      "region_code")
    }
    cost = row.get("cost")
    if _DECIMAL.match(cost):
        values["cost"] = float(cost)
    else:
        problems.add(f"cost {cost!r} is not a plain number >= 0 (no $ or commas)")
    hours = row.get("hours")
    if _DECIMAL.match(hours):
        values["hours"] = float(hours)
    else:
        problems.add(f"hours {hours!r} is not a plain number")
    weeks = row.get("weeks")
    if _INTEGER.match(weeks):
        values["weeks"] = int(weeks)
    else:
        problems.add(f"weeks {weeks!r} is not a whole number")
    values["osap_eligible"] = _csv_bool(row.get("osap_eligible"), "osap_eligible", problems)
    values["sample"] = _csv_bool(row.get("sample"), "sample", problems, default=False)
    for field in ("schedule", "start_dates", "skills", "occupations"):
        values[field] = list(_csv_list(row.get(field)))
    return values


_JSON_STRINGS = ("id", "sector", "title_en", "title_fr", "institution_id", "url",
                 "description_en", "description_fr", "currency", "delivery", "language",
                 "region_code")
_JSON_OPTIONAL_STRINGS = frozenset({"sector", "title_en", "title_fr", "description_en",
                                    "description_fr"})
_JSON_LISTS = ("schedule", "start_dates", "skills", "occupations")


def _read_programs_json(text: str, name: str,
                        refs: _References) -> Iterator[ProgramRow | RowError]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield RowError(name, exc.lineno, f"invalid JSON: {exc.msg}")
        return
    programs = document.get("programs") if isinstance(document, dict) else document
    if not isinstance(programs, list):
        yield RowError(name, 1,
                       "expected a JSON array of programs or an object with a 'programs' array")
        return
    lines = _json_element_lines(text)
    if lines is None or len(lines) != len(programs):
        lines = list(range(1, len(programs) + 1))  # fall back to the 1-based array index
    seen: set[str] = set()
    for line, item in zip(lines, programs, strict=True):
        problems = _Problems()
        if not isinstance(item, dict):
            yield RowError(name, line, "program is not a JSON object")
            continue
        values = _program_values_from_json(item, problems)
        program = _build_program(values, refs, seen, problems)
        if program is None:
            yield RowError(name, line, problems.reason())
        else:
            yield replace(program, line=line)


def _program_values_from_json(item: dict[str, Any], problems: _Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in _JSON_STRINGS:
        value = item.get(field)
        if value is None and field in _JSON_OPTIONAL_STRINGS:
            value = ""
        if isinstance(value, str):
            values[field] = value.strip()
        else:
            problems.add(f"{field} must be a string")
            values[field] = ""
    for field in ("cost", "hours"):
        value = item.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[field] = float(value)
        else:
            problems.add(f"{field} must be a number")
    weeks = item.get("weeks")
    if isinstance(weeks, int) and not isinstance(weeks, bool):
        values["weeks"] = weeks
    else:
        problems.add("weeks must be a whole number")
    osap = item.get("osap_eligible")
    if isinstance(osap, bool):
        values["osap_eligible"] = osap
    else:
        problems.add("osap_eligible must be true or false")
    sample = item.get("sample", False)
    if isinstance(sample, bool):
        values["sample"] = sample
    else:
        problems.add("sample must be true or false")
    for field in _JSON_LISTS:
        value = item.get(field)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            values[field] = [v.strip() for v in value if v.strip()]
        else:
            problems.add(f"{field} must be a list of strings")
            values[field] = []
    return values


def _build_program(
    values: dict[str, Any], refs: _References, seen: set[str], problems: _Problems
) -> ProgramRow | None:
    """Check a program's typed values field by field; ``None`` when ``problems`` is not empty."""
    program_id = values.get("id", "")
    _check_slug(program_id, "id", problems)
    _duplicate(seen, program_id, "id", problems)
    sector = values.get("sector", "")
    if sector and sector not in SECTORS:  # optional: unclassified listings leave it empty
        problems.add(f"sector {sector!r} is not one of {', '.join(SECTORS)}")
    if not values.get("title_en") and not values.get("title_fr"):
        problems.add("title_en and title_fr are both empty")
    institution = values.get("institution_id", "")
    _check_slug(institution, "institution_id", problems)
    if institution and refs.institution_ids is not None and institution not in refs.institution_ids:
        problems.add(f"institution_id {institution!r} is not a known institution")
    _check_https(values.get("url", ""), "url", problems)
    cost = values.get("cost")
    if cost is not None and cost < 0:
        problems.add(f"cost {cost} is negative")
    _check_enum(values.get("currency", ""), CURRENCIES, "currency", problems)
    hours = values.get("hours")
    if hours is not None and hours <= 0:
        problems.add(f"hours {hours} must be more than 0")
    weeks = values.get("weeks")
    if weeks is not None and weeks < 1:
        problems.add(f"weeks {weeks} must be at least 1")
    _check_enum(values.get("delivery", ""), DELIVERY_MODES, "delivery", problems)
    schedule = values.get("schedule", [])
    if not schedule:
        problems.add("schedule is empty")
    for item in schedule:
        _check_enum(item, SCHEDULES, "schedule", problems)
    _check_enum(values.get("language", ""), PROGRAM_LANGUAGES, "language", problems)
    _check_region(values.get("region_code", ""), problems)
    start_dates: list[date] = []
    for item in values.get("start_dates", []):
        try:
            if not _ISO_DATE.match(item):
                raise ValueError
            start_dates.append(date.fromisoformat(item))
        except ValueError:
            problems.add(f"start date {item!r} is not an ISO date (YYYY-MM-DD)")
    for skill in values.get("skills", []):
        if not _SLUG.match(skill):
            problems.add(f"skill code {skill!r} is not a slug")
        elif refs.skill_codes is not None and skill not in refs.skill_codes:
            problems.add(f"skill code {skill!r} is not in the skills vocabulary")
    occupations = values.get("occupations", [])
    if not occupations:
        problems.add("occupations is empty (at least one NOC 2021 unit group)")
    for code in occupations:
        if not _NOC.match(code):
            problems.add(f"occupation {code!r} is not a five-digit NOC 2021 code")
        elif refs.noc_codes is not None and code not in refs.noc_codes:
            problems.add(f"occupation {code!r} is not a NOC 2021 unit group")
    if problems:
        return None
    return ProgramRow(
        id=program_id,
        sector=sector,
        title_en=values["title_en"],
        title_fr=values["title_fr"],
        institution_id=institution,
        url=values["url"],
        description_en=values["description_en"],
        description_fr=values["description_fr"],
        cost=values["cost"],
        currency=values["currency"],
        hours=values["hours"],
        weeks=values["weeks"],
        delivery=values["delivery"],
        schedule=tuple(schedule),
        language=values["language"],
        region_code=values["region_code"],
        osap_eligible=values["osap_eligible"],
        start_dates=tuple(start_dates),
        skills=tuple(values["skills"]),
        occupations=tuple(occupations),
        sample=values["sample"],
    )


def _json_element_lines(text: str) -> list[int] | None:
    """The line on which each program object starts, for a document ``json.loads`` accepted.

    The document is a top-level array, or an object whose ``programs`` member is the array.
    Returns ``None`` when the layout is anything else.
    """
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"[ \t\n\r]*")
    text = text.lstrip("\ufeff")

    def skip(index: int) -> int:
        match = whitespace.match(text, index)
        return match.end() if match else index

    def walk_array(index: int) -> list[int]:
        starts: list[int] = []
        index = skip(index + 1)  # past "["
        while text[index] != "]":
            starts.append(index)
            _, index = decoder.raw_decode(text, index)
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
        lines, line, last = [], 1, 0
        for start in starts:
            line += text.count("\n", last, start)
            last = start
            lines.append(line)
        return lines

    try:
        index = skip(0)
        if text[index] == "[":
            return walk_array(index)
        if text[index] != "{":
            return None
        index = skip(index + 1)
        while text[index] != "}":
            key, index = decoder.raw_decode(text, index)
            index = skip(index)
            index = skip(index + 1)  # past ":"
            if key == "programs" and text[index] == "[":
                return walk_array(index)
            _, index = decoder.raw_decode(text, index)
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
    except (IndexError, ValueError):
        return None
    return None
