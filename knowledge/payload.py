"""The structured message a chat widget renders as cards: programs, wage and outlook, in one
JSON-serialisable dict (plain floats and strings, no Decimal)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from knowledge.constraints import region_name
from knowledge.occupations import CANADA, ONTARIO, OutlookSummary, WageRange
from knowledge.recommender import ProgramMatch


def _number(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def _region(code: str, name: str, lang: str) -> str:
    """The region's display name in the learner's language."""
    if code == CANADA:
        return "Canada"
    if code == ONTARIO:
        return "Ontario"
    translated = region_name(code, lang)
    return name if translated == code else translated


def _occupation(value: tuple[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    noc, title = value
    return {"noc": str(noc), "title": str(title)}


def program_card(match: ProgramMatch) -> dict[str, Any]:
    return {
        "id": match.id, "title": match.title, "institution": match.institution,
        "url": match.url, "cost": float(match.cost), "currency": match.currency,
        "hours": float(match.hours),
        "weeks": None if match.weeks is None else float(match.weeks),
        "delivery": match.delivery, "language": match.language, "why": match.why,
    }


def recommendations_payload(*, lang: str, occupation: tuple[str, str] | None,
                            target_occupation: tuple[str, str] | None,
                            programs: Sequence[ProgramMatch], wage: WageRange | None,
                            outlook: OutlookSummary | None,
                            alternatives: Sequence[ProgramMatch] = ()) -> dict[str, Any]:
    """``occupation`` and ``target_occupation`` are (noc, title) pairs, the title already in
    ``lang``; region names and the outlook label are given in ``lang`` here.
    ``alternatives``: when no program fits every constraint, the closest ones (each breaks
    one), so a client can show them as cards too; empty otherwise."""
    lang = "fr" if lang == "fr" else "en"
    return {
        "type": "recommendations",
        "lang": lang,
        "occupation": _occupation(occupation),
        "target_occupation": _occupation(target_occupation),
        "programs": [program_card(p) for p in programs],
        "alternatives": [program_card(p) for p in alternatives],
        "wage": None if wage is None else {
            "low": _number(wage.low), "median": _number(wage.median),
            "high": _number(wage.high), "unit": wage.unit,
            "region": _region(wage.region_code, wage.region_name, lang),
            "year": int(wage.year), "source": wage.source,
        },
        "outlook": None if outlook is None else {
            "rating": outlook.rating,
            "label": outlook.label_fr if lang == "fr" else outlook.label_en,
            "period": outlook.period,
            "region": _region(outlook.region_code, outlook.region_name, lang),
            "source": outlook.source,
        },
    }
