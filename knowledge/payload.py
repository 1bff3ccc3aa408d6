"""The structured message a chat widget renders as cards: programs, wage and outlook, in one
JSON-serialisable dict (plain floats and strings, no Decimal).

A client that shows it (metadata ``{"cards": true}``) gets the wage and the outlook only here:
the widget draws them, Telegram says them in the explainer's words
(``knowledge.explainer.explain_wage_data``); the text then says only that there is no figure,
when there is none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from knowledge.explainer import source_name
from knowledge.language import Lang, as_lang
from knowledge.occupations import CANADA, ONTARIO, OutlookSummary, WageRange
from knowledge.recommender import ProgramMatch
from knowledge.vocabulary import Kind, is_code, label


def _number(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def _region(code: str, name: str, lang: Lang) -> str:
    """The region's display name in the learner's language."""
    if code == CANADA:
        return "Canada"
    if code == ONTARIO:
        return "Ontario"
    return label("region", code, lang) if is_code("region", code) else name


def _occupation(value: tuple[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    noc, title = value
    return {"noc": str(noc), "title": str(title)}


def program_card(match: ProgramMatch, lang: Lang) -> dict[str, Any]:
    """One program; ``delivery_label`` and ``language_label`` are its codes' labels in
    ``lang`` (knowledge.vocabulary), so a client shows them as they are."""
    return {
        "id": match.id, "title": match.title, "institution": match.institution,
        "url": match.url, "cost": float(match.cost), "currency": match.currency,
        "hours": float(match.hours),
        "weeks": None if match.weeks is None else float(match.weeks),
        "delivery": match.delivery, "language": match.language, "why": match.why,
        "delivery_label": label("delivery", match.delivery, lang),
        "language_label": label("language", match.language, lang),
        # An alternative's limits it does not meet (constraint names: "max_cost", "delivery").
        "breaks": list(match.breaks),
    }


def with_labels(custom: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message's ``custom`` data as clients get it today: a recommendations payload
    from before the cards carried labels gets them (in its ``lang``); anything else is
    returned as it is (a shallow copy)."""
    data = dict(custom)
    if data.get("type") != "recommendations":
        return data
    lang = as_lang(data.get("lang"))
    for key in ("programs", "alternatives"):
        cards = data.get(key)
        if not isinstance(cards, list):
            continue
        data[key] = [_labelled(card, lang) if isinstance(card, Mapping) else card
                     for card in cards]
    return data


_LABELLED: tuple[Kind, ...] = ("delivery", "language")  # card fields named as their kind


def _labelled(card: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    out = dict(card)
    for kind in _LABELLED:
        code = out.get(kind)
        if isinstance(code, str) and not isinstance(out.get(f"{kind}_label"), str):
            out[f"{kind}_label"] = label(kind, code, lang)
    return out


def recommendations_payload(*, lang: str, occupation: tuple[str, str] | None,
                            target_occupation: tuple[str, str] | None,
                            programs: Sequence[ProgramMatch], wage: WageRange | None,
                            outlook: OutlookSummary | None,
                            alternatives: Sequence[ProgramMatch] = ()) -> dict[str, Any]:
    """``occupation`` and ``target_occupation`` are (noc, title) pairs, the title already in
    ``lang``; region names, the outlook label and the sources' names (``source_name``: "Job
    Bank, ESDC" / "Guichet-Emplois, EDSC") are given in ``lang`` here.
    ``alternatives``: when no program fits every constraint, the closest ones (each breaks
    one), so a client can show them as cards too; empty otherwise."""
    lang = "fr" if lang == "fr" else "en"
    shown_in = as_lang(lang)  # the labels' language
    return {
        "type": "recommendations",
        "lang": lang,
        "occupation": _occupation(occupation),
        "target_occupation": _occupation(target_occupation),
        "programs": [program_card(p, shown_in) for p in programs],
        "alternatives": [program_card(p, shown_in) for p in alternatives],
        "wage": None if wage is None else {
            "low": _number(wage.low), "median": _number(wage.median),
            "high": _number(wage.high), "unit": wage.unit,
            "region": _region(wage.region_code, wage.region_name, shown_in),
            "year": int(wage.year), "source": source_name(wage.source, shown_in),
        },
        "outlook": None if outlook is None else {
            "rating": outlook.rating,
            "label": outlook.label_fr if lang == "fr" else outlook.label_en,
            "period": outlook.period,
            "region": _region(outlook.region_code, outlook.region_name, shown_in),
            "source": source_name(outlook.source, shown_in),
        },
    }
