"""A field or skill as a goal ("machine learning", "la paie", "health-care administration"):
the skills and occupations it means, and programs about it rather than unrelated ones.
Expectations are read from the knowledge base (skills taught, titles), never written in."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints
from knowledge.fields import message_topic, read_field, read_target
from knowledge.language import Lang
from knowledge.recommender import breaks, cheaper, recommend, satisfies
from knowledge.resolver import Resolution
from knowledge.resolver.index import Candidate
from knowledge.skill_search import content_stems, resolve_skills

pytestmark = pytest.mark.both_backends


def teaches(db: Session, program_id: str, skill: str) -> bool:
    return db.scalar(select(models.ProgramSkill.program_id).where(
        models.ProgramSkill.program_id == program_id,
        models.ProgramSkill.skill_code == skill)) is not None


def top3(db: Session, topic: str, lang: Lang = "en", **kwargs: object) -> list[str]:
    recs = recommend(db, target_noc=kwargs.pop("target_noc", None),  # type: ignore[arg-type]
                     current_noc=None, goal=None, constraints=Constraints(), lang=lang,
                     topic=topic)
    return [p.id for p in recs.programs[:3]]


@pytest.mark.parametrize("text, lang", [
    ("machine learning", "en"), ("apprentissage automatique", "fr"), ("machne lerning", "en"),
])
def test_machine_learning_names_its_skill_in_both_languages_and_with_typos(
        db: Session, text: str, lang: Lang) -> None:
    field = read_field(db, text, lang)
    assert field.status == "clear" and field.topic == text
    assert field.skills and field.skills[0].id == "machine-learning"
    # The occupations it means are those the catalog's machine-learning programs are for.
    tagged = set(db.scalars(select(models.ProgramOccupation.noc).join(
        models.ProgramSkill, models.ProgramSkill.program_id == models.ProgramOccupation.program_id)
        .where(models.ProgramSkill.skill_code == "machine-learning")))
    assert field.occupations and {o.noc for o in field.occupations} <= tagged


def test_machine_learning_never_yields_a_spreadsheet_course(db: Session) -> None:
    shown = top3(db, "machine learning")
    assert shown
    for program_id in shown:
        assert teaches(db, program_id, "machine-learning"), program_id
        program = db.get(models.Program, program_id)
        assert program is not None and "excel" not in program.title_en.lower()


def test_a_target_occupation_does_not_bring_unrelated_programs_before_the_topic(
        db: Session) -> None:
    # A learner aiming at data science who asked for machine learning: the machine-learning
    # programs first, not whatever else is tagged for the job (a spreadsheet course).
    field = read_field(db, "machine learning", "en")
    shown = top3(db, "machine learning", target_noc=field.noc)
    assert shown and all(teaches(db, p, "machine-learning") for p in shown)


def test_an_employer_asking_for_project_management_gets_project_management(db: Session) -> None:
    shown = top3(db, "project management training for our team")
    assert shown and all(teaches(db, p, "project-management") for p in shown)
    assert not any(teaches(db, p, "edi") and not teaches(db, p, "project-management")
                   for p in shown)


@pytest.mark.parametrize("text, lang", [
    ("health-care administration", "en"), ("administration des soins de santé", "fr"),
])
def test_health_care_administration_asks_among_health_occupations(
        db: Session, text: str, lang: Lang) -> None:
    field = read_field(db, text, lang)
    assert field.status == "ambiguous" and len(field.occupations) > 1
    health = content_stems("health santé")
    for occupation in field.occupations:
        assert occupation.named
        row = db.get(models.Occupation, occupation.noc)
        assert row is not None
        titles = [row.title_en, row.title_fr, row.definition_en, row.definition_fr,
                  *db.scalars(select(models.ExampleTitle.title)
                              .where(models.ExampleTitle.noc == occupation.noc))]
        assert any(content_stems(t) & health for t in titles), occupation
    wanted = read_target(db, text, lang, resolution=None, is_field=True)
    assert wanted.status == "ask"
    assert [noc for noc, _ in wanted.choices] == [o.noc for o in field.occupations]


def _resolution(status: str, *nocs: str) -> Resolution:
    return Resolution(status, tuple(Candidate(noc, noc, 90.0, noc) for noc in nocs),  # type: ignore[arg-type]
                      "query", "en")


def test_a_title_the_resolver_is_sure_of_stays_that_occupation(db: Session) -> None:
    wanted = read_target(db, "registered nurse", "en",
                         resolution=_resolution("clear", "31301"), is_field=False)
    assert wanted.status == "occupation" and wanted.noc == "31301" and wanted.topic is None


def test_a_wanted_field_becomes_the_topic_and_never_the_learners_own_job(db: Session) -> None:
    wanted = read_target(db, "la paie", "fr", resolution=_resolution("none"), is_field=True)
    assert wanted.status == "topic" and wanted.topic == "la paie"
    own = read_field(db, "machine learning", "en").noc
    assert own is not None
    sure = read_target(db, "machine learning", "en", resolution=_resolution("clear", own),
                       is_field=True)
    assert sure.status == "topic" and sure.noc == own
    again = read_target(db, "machine learning", "en", resolution=_resolution("clear", own),
                        is_field=True, exclude=own)
    assert again.status == "topic" and again.noc is None


def test_it_in_capitals_is_a_field_and_it_the_pronoun_is_not(db: Session) -> None:
    assert [m.id for m in resolve_skills(db, "IT", "en")][:1] == ["it-support"]
    assert "it-support" not in [m.id for m in resolve_skills(db, "is it online?", "en")]
    assert message_topic(db, "is it online?", "en") is None


def test_a_weak_skill_match_is_no_topic(db: Session) -> None:
    # "technician" is one typo away from a word of "technical drawing": no request for it.
    assert read_field(db, "technician", "en").skills == ()


def test_a_topic_nobody_teaches_shows_nothing_rather_than_the_catalog(db: Session) -> None:
    recs = recommend(db, target_noc=None, current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", topic="zorbing")
    assert recs.programs == () and recs.alternatives == ()


def test_cheaper_is_strictly_cheaper_and_still_about_the_topic(db: Session) -> None:
    first = recommend(db, target_noc=None, current_noc=None, goal=None,
                      constraints=Constraints(), lang="en", topic="first aid", limit=50)
    assert first.programs
    most = max(first.programs, key=lambda p: p.cost)
    found = cheaper(db, previous_ids=[most.id], target_noc=None, current_noc=None, goal=None,
                    constraints=Constraints(), lang="en", topic="first aid")
    assert found.programs
    for program in found.programs:
        assert program.cost < most.cost
        assert teaches(db, program.id, "first-aid-cpr")


def test_nothing_fitting_offers_the_nearest_relevant_programs_with_what_they_break(
        db: Session) -> None:
    # Machine learning, in person, in a region where no such program is taught in person.
    programs = [p for p in db.scalars(select(models.Program))
                if teaches(db, p.id, "machine-learning")]
    regions = set(db.scalars(select(models.Region.code)))
    taught_in = {p.region_code for p in programs if p.delivery == "in_person"}
    region = sorted(regions - taught_in)[0]
    limits = Constraints(delivery=("in_person",), region=region)
    recs = recommend(db, target_noc=None, current_noc=None, goal=None, constraints=limits,
                     lang="en", topic="machine learning")
    assert recs.programs == () and recs.blocked_by and recs.alternatives
    for match in recs.alternatives:
        assert teaches(db, match.id, "machine-learning")
        program = db.get(models.Program, match.id)
        assert program is not None and not satisfies(program, limits)
        assert match.breaks and match.breaks == breaks(program, limits)
        for name in match.breaks:  # each named limit is one the program really misses
            others = [n for n in limits.set_fields() if n != name]
            assert not satisfies(program, limits.without(*others))


@pytest.mark.parametrize("text, lang, sector", [
    ("healthcare", "en", "health_care"), ("something in health care", "en", "health_care"),
    ("IT", "en", "information_technology"), ("l'informatique", "fr", "information_technology"),
    ("les métiers", "fr", "construction_trades"), ("la santé", "fr", "health_care"),
])
def test_a_sector_named_as_the_field_asks_among_the_jobs_its_programs_lead_to(
        db: Session, text: str, lang: Lang, sector: str) -> None:
    """Not the titles holding the word ("Nurse practitioners" for "healthcare") nor the
    skills that do ("Évaluation de la santé"): the jobs the sector's programs are for."""
    wanted = read_target(db, text, lang, resolution=None, is_field=True)
    assert wanted.status == "ask" and len(wanted.choices) >= 3
    in_sector = set(db.scalars(
        select(models.ProgramOccupation.noc).join(
            models.Program, models.Program.id == models.ProgramOccupation.program_id)
        .where(models.Program.sector == sector)))
    assert {noc for noc, _title in wanted.choices} <= in_sector


def test_a_skill_named_whole_is_a_topic_even_when_it_is_a_sector_word(db: Session) -> None:
    wanted = read_target(db, "logistics", "en", resolution=None, is_field=True)
    assert wanted.status == "topic" and wanted.topic == "logistics"


def test_security_alone_is_no_sector_of_guards(db: Session) -> None:
    """An IT worker's "security" is cybersecurity, not police and guards."""
    from knowledge.fields import sector_named
    assert sector_named("security") is None
    wanted = read_target(db, "security", "en", resolution=None, is_field=True)
    assert wanted.status == "topic" and "cyber" in (wanted.topic or "").lower() + " ".join(
        m.id for m in read_field(db, "security", "en").skills)
