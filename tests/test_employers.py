"""Employers and institutions find programs by skill: GET /api/programs (JSON, EN/FR skill
words) and the /employers pages (plain HTML, escaped, no scripts), each program with its
institution's contact from the catalog (labelled sample, never an invented person). Real
SQLite test knowledge base, the real web app via TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import format_money
from knowledge.vocabulary import phrase


def search(client: TestClient, skill: str, lang: str = "en", **params: object) -> dict:
    response = client.get("/api/programs", params={"skill": skill, "lang": lang, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_programs_by_skill_in_english_and_french_with_the_catalog_contact(
        client: TestClient, db: Session) -> None:
    english = search(client, "MIG welding")
    french = search(client, "soudage MIG", "fr")
    assert english["skills"][0]["code"] == french["skills"][0]["code"] == "mig-welding"
    assert english["programs"] and english["is_sample"] is True
    for program in english["programs"]:
        taught = set(db.scalars(select(models.ProgramSkill.skill_code).where(
            models.ProgramSkill.program_id == program["id"])))
        assert "mig-welding" in taught
        institution = db.get(models.Institution, program["contact"]["institution_id"])
        assert institution is not None
        assert program["contact"]["website"] == institution.website
        assert program["contact"]["name"] == institution.name_en
        # the sample catalog invents no addresses: the website is the contact
        assert program["contact"]["email"] is None and program["contact"]["is_sample"]
        assert "SAMPLE" in program["contact"]["note"]
    assert french["programs"][0]["contact"]["note"].startswith("Pas d'adresse courriel")


def test_abbreviations_and_typos(client: TestClient) -> None:
    assert search(client, "CNC")["skills"][0]["code"].startswith("cnc")
    assert search(client, "bookeeping")["skills"][0]["code"] == "bookkeeping"
    assert len(search(client, "Excel", limit=2)["programs"]) <= 2


@pytest.mark.parametrize("skill, status", [
    ("", 422), ("   ", 400), ("🙂🙂", 400), ("x" * 10_000, 422),
])
def test_unusable_queries_get_a_reason(client: TestClient, skill: str, status: int) -> None:
    response = client.get("/api/programs", params={"skill": skill})
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("skill", ["<script>alert(1)</script>",
                                   "'; DROP TABLE programs;--", "quantum basket weaving"])
def test_queries_naming_no_skill_find_nothing(client: TestClient, db: Session,
                                              skill: str) -> None:
    found = search(client, skill)
    assert found["skills"] == [] and found["programs"] == []
    assert db.scalar(select(func.count()).select_from(models.Program))


def test_other_bad_parameters(client: TestClient) -> None:
    assert client.get("/api/programs", params={"skill": "welding", "lang": "de"}).status_code \
        == 422
    assert client.get("/api/programs", params={"skill": "welding", "limit": 0}).status_code \
        == 422
    assert client.get("/api/programs").status_code == 422


def test_search_page_lists_programs_with_contact_and_inquiry_link(client: TestClient) -> None:
    page = client.get("/employers", params={"skill": "forklift"})
    assert page.status_code == 200
    assert "<form" in page.text and 'name="skill"' in page.text
    assert "SAMPLE catalog" in page.text
    found = search(client, "forklift")["programs"]
    for program in found:
        assert f'/employers/programs/{program["id"]}?lang=en' in page.text
        assert program["contact"]["website"] in page.text
    assert "<script" not in page.text.lower()
    assert "default-src 'none'" in page.headers["content-security-policy"]
    french = client.get("/employers", params={"skill": "chariot élévateur", "lang": "fr"})
    assert 'lang="fr"' in french.text and "Programmes qui enseignent" in french.text


@pytest.mark.parametrize("skill", ["<script>alert('x')</script>",
                                   '"><img src=x onerror=alert(1)>'])
def test_search_page_escapes_what_was_typed(client: TestClient, skill: str) -> None:
    page = client.get("/employers", params={"skill": skill})
    assert page.status_code == 200
    assert skill not in page.text
    assert "<img" not in page.text and "<script" not in page.text.lower()
    assert "&lt;" in page.text or "&#34;&gt;" in page.text


def test_search_page_bad_input_is_a_polite_400(client: TestClient) -> None:
    for skill in ("🙂", "x" * 10_000):
        page = client.get("/employers", params={"skill": skill})
        assert page.status_code == 400 and 'role="alert"' in page.text
    assert client.get("/employers").status_code == 200  # the empty form


def test_program_page_and_unknown_program(client: TestClient, db: Session) -> None:
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    page = client.get(f"/employers/programs/{program.id}")
    assert page.status_code == 200
    assert program.title_en in page.text or program.title_fr in page.text
    assert program.institution.website in page.text
    assert 'name="question"' in page.text and 'name="csrf_token"' in page.text
    missing = client.get("/employers/programs/no-such-program")
    assert missing.status_code == 404 and "no such program" in missing.text


def test_costs_are_written_as_in_the_chat_in_each_language(client: TestClient,
                                                            db: Session) -> None:
    program = db.scalars(select(models.Program).where(models.Program.cost >= 1000)
                         .order_by(models.Program.id)).first()
    assert program is not None
    cost = float(program.cost)
    english = client.get(f"/employers/programs/{program.id}").text
    french = client.get(f"/employers/programs/{program.id}", params={"lang": "fr"}).text
    assert format_money(cost, "en") in english  # e.g. $1,250
    assert format_money(cost, "fr") in french   # e.g. 1 250 $ (non-breaking spaces)
    assert " CAD" not in english and " CAD" not in french
    # The format too: "in person" / "en personne", the vocabulary's words.
    assert f"· {phrase('delivery', program.delivery, 'en')}</p>" in english
    assert f"· {phrase('delivery', program.delivery, 'fr')}</p>" in french


def test_openapi_describes_every_json_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [("/api/programs", "get"), ("/api/inquiries", "post"),
                         ("/api/catalog/import", "post"), ("/api/catalog/suggestions", "get"),
                         ("/api/catalog/suggestions/{suggestion_id}/accept", "post"),
                         ("/api/catalog/suggestions/{suggestion_id}/reject", "post")]:
        operation = paths[path][method]
        assert operation["summary"], path
        assert any(code.startswith("4") for code in operation["responses"]), path
    assert not any(p.startswith("/employers") for p in paths)  # pages, not API


def test_an_employer_asking_for_project_management_gets_only_project_management(
        db: Session) -> None:
    # Not equity and inclusion, leadership or any other program that lists the skill in passing:
    # every program found names project management in its title or description.
    from knowledge.employer_search import search_programs

    found = search_programs(db, "project management training for our team", "en", limit=50)
    assert found.skills and found.skills[0].id == "project-management"
    assert found.programs
    for card in found.programs:
        program = db.get(models.Program, card.id)
        assert program is not None
        text = " ".join((program.title_en, program.description_en)).casefold()
        assert "project" in text, card.id
