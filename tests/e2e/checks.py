"""Checks shared by the action-server tests and the end-to-end conversations. Every expected
value is read from the knowledge base the servers use, never written into a test."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints
from knowledge.language import as_lang
from knowledge.occupations import WageRange
from knowledge.vocabulary import label

PROGRAM_KEYS = {"id", "title", "institution", "url", "cost", "currency", "hours", "weeks",
                "delivery", "language", "why", "delivery_label", "language_label", "breaks"}
WAGE_KEYS = {"low", "median", "high", "unit", "region", "year", "source"}
OUTLOOK_KEYS = {"rating", "label", "period", "region", "source"}
PAYLOAD_KEYS = {"type", "lang", "occupation", "target_occupation", "programs",
                "alternatives", "wage", "outlook"}


def program_violations(session: Session, program_id: str, c: Constraints) -> list[str]:
    """What the Program row breaks of the learner's constraints ([] when it fits)."""
    program = session.get(models.Program, program_id)
    if program is None:
        return [f"{program_id}: not in the catalog"]
    broken = []
    if c.max_cost is not None and program.cost > Decimal(str(c.max_cost)):
        broken.append(f"cost {program.cost} > {c.max_cost}")
    if c.max_weeks is not None and program.weeks > c.max_weeks:
        broken.append(f"weeks {program.weeks} > {c.max_weeks}")
    if c.max_hours is not None and program.hours > c.max_hours:
        broken.append(f"hours {program.hours} > {c.max_hours}")
    if c.delivery and program.delivery not in c.delivery:
        broken.append(f"delivery {program.delivery} not in {c.delivery}")
    if c.schedule and not set(program.schedule) & set(c.schedule):
        broken.append(f"schedule {program.schedule} has none of {c.schedule}")
    if c.language and program.language not in (c.language, "bilingual"):
        broken.append(f"language {program.language} != {c.language}")
    if c.region and program.region_code != c.region and program.delivery != "online":
        broken.append(f"region {program.region_code} != {c.region} and not online")
    if c.financial_aid and not program.osap_eligible:
        broken.append("not OSAP-eligible")
    return [f"{program_id}: {b}" for b in broken]


def assert_programs_fit(session: Session, program_ids: Iterable[str], c: Constraints) -> None:
    problems = [p for pid in program_ids for p in program_violations(session, pid, c)]
    assert not problems, f"programs that break the constraints {c}: {problems}"


def assert_payload_schema(payload: Mapping[str, Any], lang: str) -> None:
    """The documented `recommendations` payload (knowledge/payload.py), exactly."""
    assert set(payload) == PAYLOAD_KEYS, payload.keys()
    assert payload["type"] == "recommendations"
    assert payload["lang"] == lang
    for key in ("occupation", "target_occupation"):
        if payload[key] is not None:
            assert set(payload[key]) == {"noc", "title"}
    assert isinstance(payload["programs"], list) and isinstance(payload["alternatives"], list)
    # Alternatives only stand in for programs when none fits.
    assert not (payload["programs"] and payload["alternatives"])
    for program in payload["programs"] + payload["alternatives"]:
        assert set(program) == PROGRAM_KEYS, program.keys()
        assert program["currency"] == "CAD"
        assert program["url"].startswith("http")
        # The codes' labels in the conversation's language, as the widget shows them.
        assert program["delivery_label"] == label("delivery", program["delivery"], as_lang(lang))
        assert program["language_label"] == label("language", program["language"], as_lang(lang))
    if payload["wage"] is not None:
        assert set(payload["wage"]) == WAGE_KEYS
    if payload["outlook"] is not None:
        assert set(payload["outlook"]) == OUTLOOK_KEYS


def assert_payload_matches_db(session: Session, payload: Mapping[str, Any]) -> None:
    """Each program's (and alternative's) cost/hours/delivery/URL are the catalog's."""
    for item in payload["programs"] + payload["alternatives"]:
        program = session.get(models.Program, item["id"])
        assert program is not None, item["id"]
        assert Decimal(str(item["cost"])) == program.cost
        assert float(item["hours"]) == float(program.hours)
        assert item["delivery"] == program.delivery
        assert item["url"] == program.url


_MONEY = re.compile(r"\$\s?(\d{1,3}(?:[,\u00a0 ]\d{3})*(?:[.,]\d{1,2})?)(?!\d)"
                    r"|(\d{1,3}(?:[\u00a0\u202f ]\d{3})*(?:,\d{1,2})?)\s?\$")


def money_figures(text: str) -> list[Decimal]:
    """The dollar amounts written in a text, EN ($17.50, $1,200) or FR (17,50 $, 1 200 $)."""
    found = []
    for match in _MONEY.finditer(text):
        if match.group(1):
            raw = match.group(1).replace(",", "").replace("\u00a0", "").replace(" ", "")
        else:
            raw = re.sub(r"[\u00a0\u202f ]", "", match.group(2)).replace(",", ".")
        found.append(Decimal(raw))
    return found


def wage_figures(wage: WageRange) -> set[Decimal]:
    return {v for v in (wage.low, wage.median, wage.high) if v is not None}


def assert_wage_payload(payload_wage: Mapping[str, Any] | None, wage: WageRange | None) -> None:
    if wage is None:
        assert payload_wage is None
        return
    assert payload_wage is not None
    for key in ("low", "median", "high"):
        expected = getattr(wage, key)
        got = payload_wage[key]
        assert (got is None) == (expected is None), (key, got, expected)
        if expected is not None:
            assert Decimal(str(got)) == expected, (key, got, expected)
    assert payload_wage["year"] == wage.year
