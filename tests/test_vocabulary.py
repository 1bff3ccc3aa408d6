"""The catalog's vocabulary (knowledge/vocabulary.py): one place for the codes of delivery
modes, schedules, program languages, Ontario's regions and sectors and their EN/FR words; the
catalog loader accepts exactly those codes, and the recommendations payload carries their
labels in the conversation's language, so the widget shows them as they are."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api.routers.conversations import transcript
from knowledge import models
from knowledge.constraints import Constraints
from knowledge.explainer import program_facts
from knowledge.language import LANGS, Lang
from knowledge.loaders.catalog import ProgramRow, read_programs_text
from knowledge.payload import recommendations_payload, with_labels
from knowledge.recommender import ProgramMatch, recommend
from knowledge.vocabulary import (
    DELIVERY_MODES,
    KINDS,
    LEARNER_LANGUAGES,
    PROGRAM_LANGUAGES,
    REGIONS,
    SCHEDULES,
    SECTORS,
    Kind,
    codes,
    is_code,
    label,
    phrase,
    teaches_in,
)

ROOT = Path(__file__).resolve().parents[1]


# --- the vocabulary itself -------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_code_has_an_english_and_a_french_label_and_phrase(kind: Kind) -> None:
    assert codes(kind), kind
    for lang in LANGS:
        labels = [label(kind, code, lang) for code in codes(kind)]
        assert all(text.strip() and text == text.strip() for text in labels), (kind, lang)
        # A label names one code (labels are read back: "browse by sector" buttons).
        assert len(set(labels)) == len(labels), (kind, lang, labels)
        assert all(phrase(kind, code, lang).strip() for code in codes(kind)), (kind, lang)


def test_the_named_constants_are_the_kinds_codes() -> None:
    assert codes("delivery") == DELIVERY_MODES == ("online", "in_person", "hybrid")
    assert codes("schedule") == SCHEDULES == ("daytime", "evenings", "weekends", "self_paced")
    assert codes("language") == PROGRAM_LANGUAGES == ("en", "fr", "bilingual")
    assert codes("region") == REGIONS
    assert all(re.fullmatch(r"ER35\d\d", code) for code in REGIONS)
    assert codes("sector") == SECTORS


def test_a_learner_asks_for_english_or_french_and_a_bilingual_program_suits_both() -> None:
    assert LEARNER_LANGUAGES == ("en", "fr") == LANGS
    assert set(LEARNER_LANGUAGES) < set(PROGRAM_LANGUAGES)
    for wanted in LEARNER_LANGUAGES:
        assert Constraints.from_dict({"language": wanted}).language == wanted
        assert teaches_in(wanted, wanted) and teaches_in("bilingual", wanted)
    assert not teaches_in("fr", "en") and not teaches_in("en", "fr")
    assert Constraints.from_dict({"language": "bilingual"}).language is None


def test_an_unknown_code_is_shown_as_it_is() -> None:
    assert not is_code("delivery", "remote") and not is_code("region", 3530)
    assert label("delivery", "remote", "fr") == "remote"
    assert phrase("region", "ER35", "en") == "ER35"


# The words users saw before the vocabulary had a module of its own: the widget's card
# labels, the bot's program facts and its list of constraints. They must not change.
@pytest.mark.parametrize("lang, delivery, language", [
    ("en", {"online": "Online", "in_person": "In person", "hybrid": "Hybrid"},
     {"en": "English", "fr": "French", "bilingual": "English and French"}),
    ("fr", {"online": "En ligne", "in_person": "En personne", "hybrid": "Hybride"},
     {"en": "Anglais", "fr": "Français", "bilingual": "Anglais et français"}),
])
def test_labels_are_the_words_the_widget_showed(lang: Lang, delivery: dict[str, str],
                                                language: dict[str, str]) -> None:
    assert {code: label("delivery", code, lang) for code in DELIVERY_MODES} == delivery
    assert {code: label("language", code, lang) for code in PROGRAM_LANGUAGES} == language


def test_phrases_are_the_words_the_bot_wrote() -> None:
    assert program_facts("en", cost=None, hours=None, weeks=None, delivery="in_person",
                         language="bilingual") == ["in person", "in English and French"]
    assert program_facts("fr", cost=None, hours=None, weeks=None, delivery="hybrid",
                         language="en") == ["hybride", "en anglais"]
    assert [phrase("schedule", s, "en") for s in SCHEDULES] == [
        "daytime", "evenings", "weekends", "at your own pace"]
    assert [phrase("schedule", s, "fr") for s in SCHEDULES] == [
        "le jour", "le soir", "la fin de semaine", "à votre rythme"]
    assert phrase("region", "ER3530", "en") == "in the Toronto region"
    assert phrase("region", "ER3590", "en") == "in Northeast Ontario"
    assert phrase("region", "ER3510", "fr") == "dans la région d'Ottawa"
    assert phrase("region", "ER3550", "fr") == "dans la région de Hamilton–péninsule du Niagara"


@pytest.mark.both_backends
def test_the_knowledge_bases_regions_and_sectors_are_the_vocabularys(db: Session) -> None:
    regions = set(db.scalars(select(models.Region.code).where(
        models.Region.code.like("ER35_%"))))
    assert regions == set(REGIONS)
    sectors = set(db.scalars(select(models.Program.sector).distinct())) - {""}
    assert sectors and sectors <= set(SECTORS)


# --- the catalog loader accepts exactly the vocabulary's codes ------------------------------

PROGRAM: dict[str, Any] = {
    "id": "test-program", "sector": "manufacturing", "title_en": "Welding basics",
    "title_fr": "Initiation à la soudure", "institution_id": "algonquin",
    "url": "https://www.algonquincollege.com/#test", "cost": 450, "currency": "CAD",
    "hours": 30, "weeks": 6, "delivery": "online", "schedule": ["evenings"], "language": "en",
    "region_code": "ER3510", "osap_eligible": False, "start_dates": ["2027-03-01"],
    "skills": ["welding"], "occupations": ["72106"], "sample": True,
}
# Near misses: other spellings of the same ideas, and the learner's language codes' cousins.
NEAR_MISSES = ("Online", "in-person", "remote", "evening", "self-paced", "weekend", "bilingue",
               "both", "fr-CA", "EN", "ER35", "ER3599", "CA", "Toronto", "health", "Santé", "")


def _accepted(field: str, candidates: set[str]) -> set[str]:
    programs = [{**PROGRAM, "id": f"p{i}", field: [value] if field == "schedule" else value}
                for i, value in enumerate(sorted(candidates))]
    rows = list(read_programs_text(json.dumps(programs), "json", name="programs.json"))
    by_id = {row.id: row for row in rows if isinstance(row, ProgramRow)}
    return {value for i, value in enumerate(sorted(candidates)) if f"p{i}" in by_id}


@pytest.mark.parametrize("field, kind", [
    ("delivery", "delivery"), ("schedule", "schedule"), ("language", "language"),
    ("region_code", "region"), ("sector", "sector")])
def test_the_catalog_loader_accepts_exactly_the_vocabularys_codes(field: str,
                                                                   kind: Kind) -> None:
    candidates = set(NEAR_MISSES) | {c for k in KINDS for c in codes(k)}
    accepted = _accepted(field, candidates)
    # A sector is optional: a listing a portal has not classified leaves it empty.
    assert accepted == set(codes(kind)) | ({""} if field == "sector" else set())


# --- the payload carries the labels in the conversation's language ---------------------------

def _match(delivery: str, language: str) -> ProgramMatch:
    return ProgramMatch(
        id="p1", title="Soudure", institution="Collège X", url="https://example.org/p1",
        cost=450.0, currency="CAD", hours=30.0, weeks=6.0, delivery=delivery,
        language=language, why="…", matched_skills=(), score=1.0, osap_eligible=False,
        region="ER3510")


def test_a_french_conversations_payload_has_french_labels_next_to_the_codes() -> None:
    payload = recommendations_payload(
        lang="fr", occupation=None, target_occupation=None,
        programs=[_match("in_person", "bilingual")], wage=None, outlook=None,
        alternatives=[])
    [card] = payload["programs"]
    assert card["delivery"] == "in_person" and card["delivery_label"] == "En personne"
    assert card["language"] == "bilingual" and card["language_label"] == "Anglais et français"
    english = recommendations_payload(
        lang="en", occupation=None, target_occupation=None, programs=[],
        wage=None, outlook=None, alternatives=[_match("online", "fr")])
    [closest] = english["alternatives"]
    assert (closest["delivery_label"], closest["language_label"]) == ("Online", "French")


@pytest.mark.both_backends
@pytest.mark.parametrize("lang", LANGS)
def test_the_payloads_labels_are_the_vocabularys_in_its_language(db: Session,
                                                                  lang: Lang) -> None:
    recs = recommend(db, target_noc="63200", current_noc=None, goal=None,
                     constraints=Constraints(), lang=lang)
    payload = recommendations_payload(lang=lang, occupation=None, target_occupation=None,
                                      programs=recs.programs, wage=None, outlook=None)
    assert payload["programs"]
    for card in payload["programs"]:
        assert card["delivery_label"] == label("delivery", card["delivery"], lang)
        assert card["language_label"] == label("language", card["language"], lang)


def test_a_stored_payload_without_labels_gets_them_in_the_transcript() -> None:
    old: dict[str, Any] = {"type": "recommendations", "lang": "fr", "programs": [],
           "alternatives": [{"id": "p1", "delivery": "hybrid", "language": "en"}]}
    events = [{"event": "bot", "text": "Voici", "data": {"custom": old}}]
    [message] = transcript(events)
    assert message.custom is not None
    [card] = message.custom["alternatives"]
    assert (card["delivery_label"], card["language_label"]) == ("Hybride", "Anglais")
    assert "delivery_label" not in old["alternatives"][0]  # the stored data is not changed
    # Labels already there are kept; other messages' data is left alone.
    assert with_labels({"type": "recommendations", "lang": "en", "programs": [
        {"delivery": "online", "delivery_label": "Online"}]})["programs"][0] == {
        "delivery": "online", "delivery_label": "Online"}
    assert with_labels({"type": "other", "programs": [{"delivery": "online"}]}) == {
        "type": "other", "programs": [{"delivery": "online"}]}


# --- no copies -------------------------------------------------------------------------------

def test_the_widget_holds_no_translation_tables_for_the_vocabulary() -> None:
    script = (ROOT / "connectors" / "widget" / "pathfinder-widget.js").read_text("utf-8")
    for code in DELIVERY_MODES:
        for lang in LANGS:
            assert f'"{label("delivery", code, lang)}"' not in script, (code, lang)
    assert not re.search(r"\b(?:en|fr|bilingual)\s*:\s*\"", script)  # e.g. en: "English"
    assert "delivery_label" in script and "language_label" in script


def test_no_other_module_spells_out_the_vocabularys_labels() -> None:
    """No copy of a label table: a quoted label anywhere else is one. (Phrases such as
    "online" are also codes, and plain place names and the two languages' own names are
    other things too, so they are not looked for.)"""
    kinds: tuple[Kind, ...] = ("delivery", "language", "region", "sector")
    labels = {label(kind, code, lang) for kind in kinds for code in codes(kind) for lang in LANGS}
    words = {f'"{text}"' for text in labels - {"Ottawa", "Toronto", "London", "English",
                                                "French", "Anglais", "Français"}}
    found = []
    for folder in ("knowledge", "bot", "connectors", "actions"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".js", ".html") or path.name == "vocabulary.py":
                continue
            source = path.read_text("utf-8")
            found += [f"{path.relative_to(ROOT)}: {w}" for w in words if w in source]
    assert not found, found
