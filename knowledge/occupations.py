"""What the knowledge base knows about one occupation: titles, TEER, wages, outlook, skills."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models, snapshot
from knowledge.language import Lang, as_lang
from knowledge.loaders.noc import ExampleTitleRow, UnitGroupRow

CANADA = "ER00"
ONTARIO = "ER35"


@dataclass(frozen=True, slots=True)
class WageRange:
    """Hourly wages for one occupation in one region. In Job Bank's method the low wage is the
    10th percentile, the median the 50th and the high wage the 90th."""

    low: Decimal | None
    median: Decimal | None
    high: Decimal | None
    unit: str
    region_code: str
    region_name: str
    year: int
    source: str
    requested_region: str

    @property
    def is_fallback(self) -> bool:
        """True when the requested region had no figure and a wider region's is shown."""
        return self.region_code != self.requested_region


@dataclass(frozen=True, slots=True)
class OutlookSummary:
    rating: str
    label_en: str
    label_fr: str
    period: str
    region_code: str
    region_name: str
    source: str
    employment: int | None
    job_openings: int | None
    job_seekers: int | None


@dataclass(frozen=True, slots=True)
class SkillNeed:
    code: str
    name_en: str
    kind: str
    level: int


@dataclass(frozen=True, slots=True)
class OccupationProfile:
    noc: str
    title_en: str
    title_fr: str
    teer: int
    definition_en: str
    definition_fr: str
    wage: WageRange | None
    outlook: OutlookSummary | None
    skills: list[SkillNeed]
    example_titles_en: list[str]
    example_titles_fr: list[str]


def occupation_titles(session: Session) -> dict[str, tuple[str, str]]:
    """NOC code -> (English title, French title) of every unit group. Shared: read-only."""

    def read() -> dict[str, tuple[str, str]]:
        rows = session.execute(select(models.Occupation.noc, models.Occupation.title_en,
                                      models.Occupation.title_fr))
        return {noc: (en, fr) for noc, en, fr in rows}

    return snapshot.cached(session, "occupation_titles", read)


def occupation_title(session: Session, noc: str, lang: Lang) -> str | None:
    """The unit group's title in ``lang`` (English when it has no French one), or None."""
    titles = occupation_titles(session).get(noc)
    if titles is None:
        return None
    en, fr = titles
    return fr if lang == "fr" and fr else en


def _source_label(session: Session, key: str) -> str:
    dataset = session.get(models.Dataset, key)
    return f"{dataset.publisher}, {dataset.title}" if dataset else key


def wage_for(session: Session, noc: str, region_code: str = ONTARIO) -> WageRange | None:
    """The newest wage figures for ``noc`` in the region, else Ontario, else Canada."""
    return snapshot.cached(session, ("wage", noc, region_code),
                           lambda: _read_wage(session, noc, region_code))


def _read_wage(session: Session, noc: str, region_code: str) -> WageRange | None:
    for code in dict.fromkeys((region_code, ONTARIO, CANADA)):
        wage = session.scalars(
            select(models.Wage)
            .where(models.Wage.noc == noc, models.Wage.region_code == code,
                   models.Wage.median.is_not(None))
            .order_by(models.Wage.year.desc())
            .limit(1)
        ).first()
        if wage is not None:
            return WageRange(wage.low, wage.median, wage.high, "hour", wage.region_code,
                             wage.region.name, wage.year, _source_label(session, "wages"),
                             requested_region=region_code)
    return None


def outlook_for(session: Session, noc: str) -> OutlookSummary | None:
    return snapshot.cached(session, ("outlook", noc), lambda: _read_outlook(session, noc))


def _read_outlook(session: Session, noc: str) -> OutlookSummary | None:
    outlook = session.scalars(select(models.Outlook).where(models.Outlook.noc == noc)).first()
    if outlook is None:
        return None
    region = session.get(models.Region, outlook.region_code)
    return OutlookSummary(
        outlook.rating, outlook.label_en, outlook.label_fr, outlook.period, outlook.region_code,
        region.name if region else outlook.region_code, _source_label(session, "outlooks"),
        outlook.employment, outlook.job_openings, outlook.job_seekers)


def skills_for(session: Session, noc: str, limit: int = 10,
               kind: str = "oasis_skill") -> list[SkillNeed]:
    """The occupation's most needed OaSIS skills (or knowledge areas), highest level first.
    One kind at a time: skills are rated 1-5 and knowledge 1-3, so their levels don't compare."""
    rows = session.execute(
        select(models.OccupationSkill, models.Skill)
        .join(models.Skill)
        .where(models.OccupationSkill.noc == noc, models.Skill.kind == kind)
        .order_by(models.OccupationSkill.level.desc(), models.Skill.name_en)
        .limit(limit)
    ).all()
    return [SkillNeed(s.code, s.name_en, s.kind, o.level) for o, s in rows]


def occupation_profile(session: Session, noc: str, region_code: str = ONTARIO,
                       examples: int = 8) -> OccupationProfile | None:
    occupation = session.get(models.Occupation, noc)
    if occupation is None:
        return None
    titles = session.scalars(
        select(models.ExampleTitle).where(models.ExampleTitle.noc == noc)
        .order_by(models.ExampleTitle.id)
    ).all()
    return OccupationProfile(
        noc=occupation.noc, title_en=occupation.title_en, title_fr=occupation.title_fr,
        teer=occupation.teer, definition_en=occupation.definition_en,
        definition_fr=occupation.definition_fr,
        wage=wage_for(session, noc, region_code), outlook=outlook_for(session, noc),
        skills=skills_for(session, noc),
        example_titles_en=[t.title for t in titles if t.lang == "en"][:examples],
        example_titles_fr=[t.title for t in titles if t.lang == "fr"][:examples],
    )


def resolver_vocabulary(session: Session) -> tuple[list[UnitGroupRow], list[ExampleTitleRow]]:
    """The unit groups and titles (NOC's examples, then its exclusions' titles: a title it
    places in another group) the occupation resolver indexes, from the database."""
    groups = [
        UnitGroupRow(o.noc, o.title_en, o.title_fr, o.definition_en, o.definition_fr)
        for o in session.scalars(select(models.Occupation).order_by(models.Occupation.noc))
    ]
    titles = [
        ExampleTitleRow(noc, lang, title)
        for model in (models.ExampleTitle, models.ExclusionTitle)
        for noc, code, title in session.execute(
            select(model.noc, model.lang, model.title).order_by(model.id))
        if (lang := as_lang(code, None)) is not None
    ]
    return groups, titles
