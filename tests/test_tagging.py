"""Tag suggestions from a program's title and description (spaCy PhraseMatcher over the skills
vocabulary, EN and FR; occupations from similar programs and the resolver): a quality floor
against the sample catalog's own tags, specific cases, and the staff decision that makes a tag
count. Real SQLite copy of the test knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.tagging import evaluate
from knowledge import models, snapshot
from knowledge.loaders.pipeline import load_all
from knowledge.resolver import TitleIndex, index_from_database
from knowledge.tagging import (
    AlreadyDecided,
    Suggestion,
    decide,
    store_suggestions,
    suggest_occupations,
    suggest_skills,
)

TOKEN = "tagging-test-token-42"


@pytest.fixture(scope="module")
def index(kb_url: str) -> TitleIndex:
    return index_from_database(kb_url)


def skill_codes(session: Session, **texts: str) -> set[str]:
    return {s.code for s in suggest_skills(session, texts)}


def test_suggestions_recover_most_of_the_sample_tags(db: Session, index: TitleIndex) -> None:
    """Every 4th program, its own course's other offerings left out. Measured on the whole
    catalog (bench/tagging.py): skills P 0.81 / R 0.47, occupations P 0.50 / R 0.37."""
    scores = evaluate(db, index, step=4)
    assert scores["skill"].precision >= 0.7
    assert scores["skill"].recall >= 0.4
    assert scores["occupation"].precision >= 0.4
    assert scores["occupation"].recall >= 0.3


def test_skills_named_in_english_and_in_french(db: Session) -> None:
    assert "mig-welding" in skill_codes(db, title_en="MIG Welding Basics")
    assert "mig-welding" in skill_codes(db, title_fr="Initiation au soudage MIG")
    found = skill_codes(
        db, description_en="Practise print reading and set up CNC lathes with G-code.")
    assert {"blueprint-reading", "cnc-programming"} <= found
    assert "bookkeeping" in skill_codes(db, title_fr="Tenue de livres pour petites entreprises")


def test_short_abbreviations_only_match_as_typed(db: Session) -> None:
    # "AZ" is a truck licence class; "az" inside ordinary text is not
    assert "commercial-driving" in skill_codes(db, title_en="AZ Licence Preparation")
    assert "commercial-driving" not in skill_codes(db, description_en="from a to z, az in arizona")


def test_nothing_suggested_from_text_without_skills(db: Session) -> None:
    assert skill_codes(db, title_en="An afternoon of friendly conversation") == set()


@pytest.mark.parametrize("text", ["", " ", "🙂" * 50, "<script>alert('x')</script>",
                                  "'; DROP TABLE skills;--", "weld " * 2000])
def test_hostile_text_gives_suggestions_or_none_never_a_crash(db: Session, text: str) -> None:
    found = suggest_skills(db, {"title_en": text, "description_fr": text})
    assert all(0 < s.score <= 1 for s in found)


def test_occupations_follow_the_skills_and_the_title(db: Session, index: TitleIndex) -> None:
    found = suggest_occupations(db, "Welding Fundamentals", ["mig-welding", "smaw-welding"],
                                index=index)
    assert "72106" in {s.code for s in found}  # welders and related machine operators
    assert len(found) <= 4


def test_only_accepted_suggestions_become_tags(db: Session) -> None:
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    taught = {s.code for s in program.skills}
    new_skill = db.scalars(select(models.Skill.code).where(
        models.Skill.kind == "topic", models.Skill.code.not_in(taught))).first()
    other_skill = db.scalars(select(models.Skill.code).where(
        models.Skill.kind == "topic", models.Skill.code.not_in(taught | {new_skill}))).first()
    assert new_skill and other_skill
    store_suggestions(db, program.id, [Suggestion("skill", new_skill, 0.9, "test"),
                                       Suggestion("skill", other_skill, 0.8, "test")])
    db.commit()
    rows = {s.code: s for s in db.scalars(select(models.TagSuggestion).where(
        models.TagSuggestion.program_id == program.id))}
    version = snapshot.version(db)

    accepted = decide(db, rows[new_skill].id, accept=True)
    decide(db, rows[other_skill].id, accept=False)
    assert accepted.status == "accepted" and accepted.decided_at is not None
    with Session(db.get_bind()) as fresh:
        tags = set(fresh.scalars(select(models.ProgramSkill.skill_code).where(
            models.ProgramSkill.program_id == program.id)))
        assert new_skill in tags and other_skill not in tags
        assert snapshot.version(fresh) != version  # the recommender sees the new tag
    with pytest.raises(AlreadyDecided):
        decide(db, rows[new_skill].id, accept=False)


def test_review_endpoints(client: TestClient, kb_engine: Engine,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_IMPORT_TOKEN", TOKEN)
    with Session(kb_engine) as session:
        program_id = session.scalars(select(models.Program.id).order_by(
            models.Program.id.desc())).first()
        assert program_id
        store_suggestions(session, program_id, [Suggestion("occupation", "72106", 0.7, "t"),
                                                Suggestion("occupation", "99999", 0.7, "t")])
        session.commit()
    assert client.get("/api/catalog/suggestions").status_code == 401
    auth = {"authorization": f"Bearer {TOKEN}"}
    listed = client.get("/api/catalog/suggestions", params={"program_id": program_id},
                        headers=auth).json()
    by_code = {s["code"]: s for s in listed}
    assert by_code["72106"]["status"] == "pending"

    ok = client.post(f"/api/catalog/suggestions/{by_code['72106']['id']}/accept", headers=auth)
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    with Session(kb_engine) as session:
        assert session.get(models.ProgramOccupation, (program_id, "72106")) is not None
    again = client.post(f"/api/catalog/suggestions/{by_code['72106']['id']}/reject",
                        headers=auth)
    assert again.status_code == 409
    # a code that is not a NOC unit group cannot become a tag
    unknown = client.post(f"/api/catalog/suggestions/{by_code['99999']['id']}/accept",
                          headers=auth)
    assert unknown.status_code == 409 and "99999" in unknown.json()["detail"]
    assert client.post("/api/catalog/suggestions/999999/accept",
                       headers=auth).status_code == 404
    assert client.post("/api/catalog/suggestions/abc/accept", headers=auth).status_code == 422


def test_reloading_the_catalog_drops_its_tag_suggestions(db: Session, kb_engine: Engine,
                                                          data_dir: Path) -> None:
    # Last in this module: it reloads the module's copy of the knowledge base.
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    code = db.scalars(select(models.Skill.code).where(models.Skill.kind == "topic")
                      .order_by(models.Skill.code)).first()
    assert code is not None
    store_suggestions(db, program.id, [Suggestion("skill", code, 0.9, "test")])
    db.commit()
    load_all(kb_engine, data_dir)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(models.TagSuggestion)) == 0
    # So the same suggestion can be made (and decided) again for the reloaded program.
    assert store_suggestions(db, program.id, [Suggestion("skill", code, 0.9, "test")]) == 1
