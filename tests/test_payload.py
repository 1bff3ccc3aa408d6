"""The recommendations payload a chat widget renders: exact keys, plain JSON types, the
database's figures, sources named in the payload's language."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints
from knowledge.explainer import source_name
from knowledge.occupations import outlook_for, wage_for
from knowledge.payload import recommendations_payload
from knowledge.recommender import recommend
from tests.e2e.checks import PROGRAM_KEYS

pytestmark = pytest.mark.both_backends  # the tests that use `db`: on SQLite and PostgreSQL



def test_payload_schema_and_values_from_the_database(db: Session) -> None:
    noc = "63200"
    occupation = db.get(models.Occupation, noc)
    assert occupation is not None
    for lang in ("en", "fr"):
        recs = recommend(db, target_noc=noc, current_noc=None, goal=None,
                         constraints=Constraints(), lang=lang)
        wage = wage_for(db, noc, "ER3530")
        outlook = outlook_for(db, noc)
        title = occupation.title_fr if lang == "fr" else occupation.title_en
        payload = recommendations_payload(lang=lang, occupation=None,
                                          target_occupation=(noc, title),
                                          programs=recs.programs, wage=wage, outlook=outlook)
        decoded = json.loads(json.dumps(payload))  # plain JSON, no Decimal
        assert decoded == payload
        assert set(payload) == {"type", "lang", "occupation", "target_occupation", "programs",
                                "alternatives", "wage", "outlook"}
        assert payload["alternatives"] == []
        assert payload["type"] == "recommendations" and payload["lang"] == lang
        assert payload["occupation"] is None
        assert payload["target_occupation"] == {"noc": noc, "title": title}
        assert len(payload["programs"]) == len(recs.programs) >= 3
        for card in payload["programs"]:
            assert set(card) == PROGRAM_KEYS
            program = db.get(models.Program, card["id"])
            assert program is not None
            assert card["cost"] == float(program.cost) and isinstance(card["cost"], float)
            assert card["hours"] == program.hours and card["weeks"] == program.weeks
            assert card["title"] == (program.title_fr if lang == "fr" else program.title_en)
        assert wage is not None and outlook is not None
        stored = db.scalars(select(models.Wage).where(
            models.Wage.noc == noc, models.Wage.region_code == wage.region_code,
            models.Wage.year == wage.year)).one()
        assert payload["wage"] == {
            "low": float(stored.low) if stored.low is not None else None,
            "median": float(stored.median) if stored.median is not None else None,
            "high": float(stored.high) if stored.high is not None else None,
            "unit": "hour", "region": payload["wage"]["region"], "year": stored.year,
            "source": source_name(wage.source, lang)}
        # The sources as a reply in the conversation's language names them.
        assert (payload["wage"]["source"], payload["outlook"]["source"]) == (
            ("Guichet-Emplois, EDSC",
             "Système de projection des professions au Canada (SPPC), EDSC") if lang == "fr"
            else ("Job Bank, ESDC", "Canadian Occupational Projection System (COPS), ESDC"))
        assert payload["wage"]["region"]
        assert set(payload["outlook"]) == {"rating", "label", "period", "region", "source"}
        assert payload["outlook"]["label"] == (outlook.label_fr if lang == "fr"
                                               else outlook.label_en)
        assert payload["outlook"]["period"] == outlook.period


def test_payload_with_nothing_known() -> None:
    payload = recommendations_payload(lang="fr", occupation=("72106", "Soudeurs"),
                                      target_occupation=None, programs=[], wage=None,
                                      outlook=None)
    assert json.loads(json.dumps(payload)) == {
        "type": "recommendations", "lang": "fr",
        "occupation": {"noc": "72106", "title": "Soudeurs"}, "target_occupation": None,
        "programs": [], "alternatives": [], "wage": None, "outlook": None}
