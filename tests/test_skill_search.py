"""Finding skills by the words employers and learners use, and the programs that teach them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints
from knowledge.language import Lang
from knowledge.recommender import ProgramMatch, recommend
from knowledge.skill_search import (
    programs_in_sector,
    resolve_skills,
    sector_choices,
    sectors,
)
from knowledge.vocabulary import label as term_label

pytestmark = pytest.mark.both_backends  # the tests that use `db`: on SQLite and PostgreSQL


@pytest.mark.parametrize("text, lang, expected", [
    ("CNC", None, "cnc-programming"), ("which programs teach CNC?", "en", "cnc-programming"),
    ("soudure", "fr", "welding-safety"), ("PLC", "en", "plc-programming"),
    ("automates programmables", "fr", "plc-programming"), ("Excel", "en", "excel"),
    ("MIG", "en", "mig-welding"), ("AZ", "en", "commercial-driving"),
    ("forklift", "en", "forklift-operation"), ("chariot élévateur", "fr", "forklift-operation"),
    ("premiers soins", "fr", "first-aid-cpr"), ("PSW", "en", "personal-support"),
    ("custmer service", "en", "customer-service"), ("pyhton", "en", "python-programming"),
    ("blueprint reading", "en", "blueprint-reading"), ("QuickBooks", "en", "quickbooks"),
])
def test_synonyms_abbreviations_and_typos(db: Session, text: str, lang: Lang | None,
                                          expected: str) -> None:
    found = resolve_skills(db, text, lang)
    assert found and found[0].id == expected, found
    skill = db.get(models.Skill, expected)
    assert skill is not None
    assert found[0].name == (skill.name_fr if lang == "fr" else skill.name_en)


def test_a_general_word_finds_the_related_skills(db: Session) -> None:
    found = {m.id for m in resolve_skills(db, "welding", "en", limit=5)}
    assert {"mig-welding", "tig-welding", "smaw-welding"} <= found
    assert len(resolve_skills(db, "welding", "en", limit=2)) == 2


@pytest.mark.parametrize("text", [
    "xyzzy", "basket weaving on Mars", "", "   ", "the", "a", "I am a nurse", "🙂" * 50,
    "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE skills; --", "12345",
])
def test_nothing_for_nonsense(db: Session, text: str) -> None:
    assert resolve_skills(db, text, "en") == []


def _programs_about(db: Session, topic: str, lang: Lang, limit: int = 5
                    ) -> tuple[ProgramMatch, ...]:
    """What the chat and the employer pages list for a topic (knowledge.recommender)."""
    return recommend(db, target_noc=None, current_noc=None, goal=None,
                     constraints=Constraints(), lang=lang, limit=limit, topic=topic).programs


def test_programs_teaching_a_skill(db: Session) -> None:
    teaching = set(db.scalars(select(models.ProgramSkill.program_id).where(
        models.ProgramSkill.skill_code == "cnc-programming")))
    for lang in ("en", "fr"):
        found = _programs_about(db, "programmation CNC" if lang == "fr" else "CNC programming",
                                lang)
        assert 3 <= len(found) <= 5 and {m.id for m in found} <= teaching
        skill = db.get(models.Skill, "cnc-programming")
        assert skill is not None
        name = skill.name_fr if lang == "fr" else skill.name_en
        # named in the sentence (its first letter may be lowered there)
        assert all(m.matched_skills[0] == name and name[1:] in m.why for m in found)
    both = _programs_about(db, "CNC programming and blueprint reading", "en", limit=1)
    taught = {s.code for s in db.get(models.Program, both[0].id).skills}  # type: ignore[union-attr]
    assert {"cnc-programming", "blueprint-reading"} <= taught  # teaching both ranks first
    assert _programs_about(db, "", "en") == ()
    assert _programs_about(db, "underwater basket weaving", "en") == ()


def test_sectors_for_browsing(db: Session) -> None:
    in_catalog = set(db.scalars(select(models.Program.sector).distinct())) - {""}
    assert {code for code, _ in sector_choices(db, "en")} == in_catalog
    assert set(sectors(db, "fr")) == {term_label("sector", c, "fr") for c in in_catalog}
    for code, label in sector_choices(db, "fr"):
        for query in (code, label, term_label("sector", code, "en")):
            found = programs_in_sector(db, query, "fr")
            assert found, query
            for match in found:
                program = db.get(models.Program, match.id)
                assert program is not None and program.sector == code
    assert programs_in_sector(db, "underwater basket weaving", "en") == []
    assert programs_in_sector(db, "", "en") == []


def _mentions(program: models.Program, words: tuple[str, ...]) -> bool:
    text = " ".join(t or "" for t in (program.title_en, program.title_fr, program.description_en,
                                      program.description_fr)).casefold()
    return any(w in text for w in words)


def test_a_skill_only_listed_in_passing_does_not_fill_the_list(db: Session) -> None:
    # Some programs list first aid among their skills without being about it (an early
    # childhood assistant program): asking for first aid shows the first aid courses only.
    words = ("first aid", "cpr", "premiers soins", "rcr")
    teaching = [p for p in db.scalars(select(models.Program)) if "first-aid-cpr"
                in {s.code for s in p.skills}]
    assert any(not _mentions(p, words) for p in teaching)  # the catalog has such programs
    found = _programs_about(db, "first aid", "en", limit=50)
    assert found
    for match in found:
        program = db.get(models.Program, match.id)
        assert program is not None and _mentions(program, words), match.id


def test_the_requested_skill_outranks_programs_that_only_mention_it(db: Session) -> None:
    # Agile/Scrum: programs with it in the title come before a software testing program that
    # mentions working "in an Agile team".
    def titled(title: str) -> bool:
        return "agile" in title.casefold() or "scrum" in title.casefold()

    mentioning = [p for p in db.scalars(select(models.Program))
                  if "agile-scrum" in {s.code for s in p.skills} and not titled(p.title_en)]
    assert mentioning  # the catalog has such programs
    found = [titled(m.title) for m in _programs_about(db, "Agile Scrum", "en", limit=50)]
    assert found and found[0]
    assert found == sorted(found, reverse=True)  # every titled one before any other


def test_a_longer_skill_name_is_not_also_read_as_its_shorter_part(db: Session) -> None:
    found = [m.id for m in resolve_skills(db, "Mental health first aid for our managers", "en")]
    assert found[0] == "mental-health-first-aid" and "first-aid-cpr" not in found
    # The short name alone still finds both, the exact one first.
    found = [m.id for m in resolve_skills(db, "first aid", "en")]
    assert found[0] == "first-aid-cpr"
