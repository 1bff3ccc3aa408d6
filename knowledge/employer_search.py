"""Programs by skill for employers and institutions, with each institution's contact.

The skill words are resolved by knowledge.skill_search (EN/FR names and synonyms, typos), and
the programs come from its ranking. A contact is what the catalog has: the institution's
website and, when the catalog gives one, its e-mail address. The sample catalog invents no
addresses, so its contacts are the institutions' real homepages, labelled as sample data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from knowledge import models
from knowledge.constraints import Constraints
from knowledge.explainer import explain_contact
from knowledge.language import Lang
from knowledge.recommender import recommend, skill_name
from knowledge.skill_search import SkillMatch, topic_skills

MAX_QUERY_CHARS = 200
MAX_RESULTS = 50


@dataclass(frozen=True)
class Contact:
    institution_id: str
    name: str
    city: str
    website: str
    email: str | None
    is_sample: bool
    note: str


@dataclass(frozen=True)
class ProgramCard:
    id: str
    title: str
    url: str
    cost: float
    currency: str
    hours: float
    weeks: float | None
    delivery: str
    language: str
    skills: tuple[str, ...]  # names in the answer language, matched ones first
    contact: Contact
    is_sample: bool


@dataclass(frozen=True)
class ProgramSearch:
    query: str
    lang: Lang
    skills: tuple[SkillMatch, ...]
    programs: tuple[ProgramCard, ...]


def contact_of(institution: models.Institution, lang: Lang) -> Contact:
    name = (institution.name_fr if lang == "fr" else institution.name_en) or institution.name_en
    note = explain_contact(bool(institution.contact_email), bool(institution.is_sample), lang)
    return Contact(institution.id, name, institution.city, institution.website,
                   institution.contact_email or None, institution.is_sample, note)


def _card(program: models.Program, skills: tuple[str, ...], lang: Lang) -> ProgramCard:
    title = (program.title_fr if lang == "fr" and program.title_fr else program.title_en) \
        or program.title_fr
    return ProgramCard(
        id=program.id, title=title, url=program.url, cost=float(program.cost),
        currency=program.currency, hours=float(program.hours),
        weeks=float(program.weeks) if program.weeks is not None else None,
        delivery=program.delivery, language=program.language, skills=skills,
        contact=contact_of(program.institution, lang), is_sample=program.is_sample)


def catalog_is_sample(session: Session) -> bool:
    """Whether the loaded catalog is SAMPLE data (every employer answer says so)."""
    return bool(session.scalar(
        select(models.Dataset.is_sample).where(models.Dataset.key == "catalog")))


def search_programs(session: Session, query: str, lang: Lang = "en",
                    limit: int = 20) -> ProgramSearch:
    """Programs teaching the skills ``query`` names (empty when it names none), ranked as the
    chat ranks a learner's or an employer's topic (``recommend(topic=...)``): the employer
    pages and the chat give the same answer to the same question."""
    query = query.strip()[:MAX_QUERY_CHARS]
    limit = max(1, min(limit, MAX_RESULTS))
    skills = tuple(topic_skills(session, query, lang))
    if not skills:
        return ProgramSearch(query, lang, (), ())
    found = recommend(session, target_noc=None, current_noc=None, goal=None,
                      constraints=Constraints(), lang=lang, limit=limit, topic=query).programs
    by_id = {p.id: p for p in session.scalars(
        select(models.Program).where(models.Program.id.in_([m.id for m in found]))
        .options(joinedload(models.Program.institution), selectinload(models.Program.skills)))}
    wanted = {s.id for s in skills}
    cards = tuple(_card(by_id[m.id], _skill_names(by_id[m.id], wanted, lang), lang)
                  for m in found if m.id in by_id)
    return ProgramSearch(query, lang, skills, cards)


def _skill_names(program: models.Program, wanted: set[str], lang: Lang) -> tuple[str, ...]:
    """The program's skills in ``lang``, those asked for first."""
    ordered = sorted(program.skills, key=lambda s: (s.code not in wanted, skill_name(s, lang)))
    return tuple(skill_name(s, lang) for s in ordered)


def program_card(session: Session, program_id: str, lang: Lang = "en") -> ProgramCard | None:
    """One program with its skills and contact, or None."""
    program = session.scalar(
        select(models.Program).where(models.Program.id == program_id)
        .options(joinedload(models.Program.institution),
                 selectinload(models.Program.skills)))
    if program is None:
        return None
    names = tuple(sorted(skill_name(s, lang) for s in program.skills))
    return _card(program, names, lang)
