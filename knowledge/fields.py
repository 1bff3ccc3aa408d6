"""A field or skill the learner wants ("machine learning", "la paie", "health-care
administration", "IT"): the catalog skills it names and the occupations it means.

Skills come from knowledge.skill_search (EN/FR names and synonyms, typos). Occupations come
from the data only, never from a list of answers:

* the occupations the catalog tags the programs teaching those skills for (a program made
  for one job more than one tagged for many; a program about the skill more than one that
  only lists it), weighted by how much each occupation needs the skill's OaSIS descriptor;
* the NOC titles, example titles and lead statements that hold the field's words.

``read_field`` gives a status: "clear" when the words name catalog skills (the programs can
be ranked by them) or one occupation; "ambiguous" when they name no skill and several
occupations (ask which); "none" otherwise. ``read_target`` decides what a wanted job or field
becomes for the recommender: an occupation, a topic, or a question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import models, snapshot
from knowledge.constraints import fold
from knowledge.language import Lang
from knowledge.occupations import occupation_title
from knowledge.resolver import Resolution
from knowledge.skill_search import SkillMatch, centrality, content_stems, topic_skills
from knowledge.vocabulary import LEARNER_LANGUAGES, SECTOR_WORDS, SECTORS
from knowledge.vocabulary import label as term_label

FieldStatus = Literal["clear", "ambiguous", "none"]

MAX_OCCUPATIONS = 5          # as many as the ask-back buttons
WHOLE_SKILL = 0.95           # a skill match this good names the skill itself ("logistics")
LIKELY_READING = 90.0        # an ambiguous title's first reading this likely (%) is the one
KEEP_WITHIN = 0.6            # an occupation under this share of the best one is not meant
DOMINANT_LEAD = 2.0          # the best occupation is "the" one when it scores this many times more
# Where the field's words are found, and how much that says about the occupation.
IN_TITLE, IN_EXAMPLE_TITLE, IN_LEAD_STATEMENT = 1.0, 0.9, 0.45
TAG_EVIDENCE = 1.0           # the best-tagged occupation of the skill's programs
OASIS_SHARE = 0.5            # share of the tag evidence that depends on the OaSIS level
PREFIX_FROM = 5              # "administration" meets "administrator" from 5 shared letters on


@dataclass(frozen=True)
class FieldOccupation:
    noc: str
    title: str     # in the answer language
    score: float   # 0..1, the best one 1
    named: bool = False  # its NOC titles or lead statement hold the field's words


@dataclass(frozen=True)
class FieldReading:
    text: str
    skills: tuple[SkillMatch, ...]            # catalog skills, best first
    occupations: tuple[FieldOccupation, ...]  # best first, at most MAX_OCCUPATIONS
    status: FieldStatus

    @property
    def topic(self) -> str | None:
        """The words to rank programs by, when they name catalog skills."""
        return self.text if self.skills else None

    @property
    def noc(self) -> str | None:
        """The one occupation the field means, when it clearly means one: far ahead of the
        others, and named by the field's words (programs teaching first aid are tagged for
        nurse aides, which does not make first aid a nurse aide's field)."""
        if not self.occupations or not self.occupations[0].named:
            return None
        if len(self.occupations) == 1 or (
                self.occupations[1].score * DOMINANT_LEAD <= self.occupations[0].score):
            return self.occupations[0].noc
        return None


@dataclass(frozen=True)
class _TitleIndex:
    postings: dict[str, tuple[tuple[str, float, int], ...]]  # stem -> (noc, weight, title id)
    sizes: tuple[int, ...]                                    # title id -> its stem count
    vocabulary: tuple[str, ...]                               # every stem, sorted


def _title_index(session: Session) -> _TitleIndex:
    """The stems of every NOC title, example title and lead statement, read once."""

    def build() -> _TitleIndex:
        texts: list[tuple[str, float, str]] = []
        for o in session.scalars(select(models.Occupation)):
            texts += [(o.noc, IN_TITLE, o.title_en), (o.noc, IN_TITLE, o.title_fr or ""),
                      (o.noc, IN_LEAD_STATEMENT, o.definition_en or ""),
                      (o.noc, IN_LEAD_STATEMENT, o.definition_fr or "")]
        texts += [(noc, IN_EXAMPLE_TITLE, title) for noc, title in session.execute(
            select(models.ExampleTitle.noc, models.ExampleTitle.title))]
        postings: dict[str, list[tuple[str, float, int]]] = {}
        sizes: list[int] = []
        for noc, weight, text in texts:
            stems = content_stems(text)
            if not stems:
                continue
            title_id = len(sizes)
            sizes.append(len(stems))
            for stem in stems:
                postings.setdefault(stem, []).append((noc, weight, title_id))
        return _TitleIndex({k: tuple(v) for k, v in postings.items()}, tuple(sizes),
                           tuple(sorted(postings)))

    return snapshot.cached(session, "field_title_index", build)


def _same_word(stems: Sequence[str], vocabulary: Sequence[str]) -> dict[str, set[str]]:
    """Each query stem -> the index stems it stands for: itself, a longer or shorter form
    sharing its first letters ("administration" / "administrator"), or its typo repaired."""
    found: dict[str, set[str]] = {}
    known = set(vocabulary)
    for stem in stems:
        forms = {stem} & known
        if len(stem) >= PREFIX_FROM:
            root = stem[:max(PREFIX_FROM, len(stem) - 3)]
            forms |= {v for v in vocabulary if v.startswith(root) and abs(len(v) - len(stem)) <= 4}
        if not forms and len(stem) >= 5:
            best = process.extractOne(stem, vocabulary, scorer=DamerauLevenshtein.distance,
                                      score_cutoff=1 if len(stem) < 8 else 2)
            if best is not None:
                forms.add(best[0])
        found[stem] = forms
    return found


def _text_evidence(session: Session, text: str) -> dict[str, float]:
    """NOC -> how well its titles (or lead statement) hold every word of ``text``, 0..1."""
    query = sorted(content_stems(text))
    if not query:
        return {}
    index = _title_index(session)
    forms = _same_word(query, index.vocabulary)
    if sum(not f for f in forms.values()) * 3 > len(query):
        return {}  # words no title has: the field is not an occupation's name
    hits: dict[int, set[str]] = {}
    owner: dict[int, tuple[str, float]] = {}
    for stem, alternatives in forms.items():
        for form in alternatives:
            for noc, weight, title_id in index.postings.get(form, ()):
                hits.setdefault(title_id, set()).add(stem)
                owner[title_id] = (noc, weight)
    # A field of one or two words must be all there; of three or more, two thirds ("managers
    # in health care" for "health-care administration").
    needed = len(query) if len(query) <= 2 else math.ceil(len(query) * 2 / 3)
    scores: dict[str, float] = {}
    for title_id, covered in hits.items():
        if len(covered) < needed:
            continue
        noc, weight = owner[title_id]
        share = len(covered) / len(query)
        precision = len(covered) / max(len(covered), index.sizes[title_id])
        score = weight * share * (1.0 if weight == IN_LEAD_STATEMENT else 0.7 + 0.3 * precision)
        scores[noc] = max(scores.get(noc, 0.0), score)
    return scores


def _tag_evidence(session: Session, skills: Sequence[SkillMatch]) -> dict[str, float]:
    """NOC -> how much the catalog's programs teaching ``skills`` are made for it, scaled by
    how much the occupation needs the skills' OaSIS descriptors; the best one TAG_EVIDENCE."""
    from knowledge.recommender import catalog_tags  # the recommender's cached catalog

    if not skills:
        return {}
    programs, tags, taught = catalog_tags(session)
    codes = [s.id for s in skills]
    weights = {s.id: s.score * (1.0 if i == 0 else 0.8) for i, s in enumerate(skills)}
    raw: dict[str, float] = {}
    for program in programs:
        own = tags.get(program.id, frozenset())
        codes_taught = taught.get(program.id, frozenset())
        if not own or not codes_taught & set(codes):
            continue
        fit = max(weights[c] * centrality(session, program, c, codes_taught) for c in codes)
        for noc in own:
            raw[noc] = raw.get(noc, 0.0) + fit / len(own)
    if not raw:
        return {}
    descriptors = _descriptors(session, codes)
    levels = _levels(session, tuple(sorted(raw)), tuple(sorted(descriptors)))
    scaled = {noc: value * (1 - OASIS_SHARE + OASIS_SHARE * levels.get(noc, 0.0))
              for noc, value in raw.items()}
    best = max(scaled.values())
    return {noc: TAG_EVIDENCE * value / best for noc, value in scaled.items()}


def _descriptors(session: Session, codes: Sequence[str]) -> set[str]:
    return {code for code in session.scalars(
        select(models.Skill.oasis_code).where(models.Skill.code.in_(list(codes))))
        if code}


def _levels(session: Session, nocs: tuple[str, ...], descriptors: tuple[str, ...]
            ) -> dict[str, float]:
    """NOC -> its highest need for any of ``descriptors``, 0..1."""
    if not descriptors:
        return {}
    from knowledge.recommender import MAX_LEVEL

    found: dict[str, float] = {}
    for noc, level, kind in session.execute(
            select(models.OccupationSkill.noc, models.OccupationSkill.level, models.Skill.kind)
            .join(models.Skill, models.Skill.code == models.OccupationSkill.skill_code)
            .where(models.OccupationSkill.noc.in_(list(nocs)),
                   models.OccupationSkill.skill_code.in_(list(descriptors)))):
        found[noc] = max(found.get(noc, 0.0), level / MAX_LEVEL.get(kind, 5))
    return found


def read_field(session: Session, text: str, lang: Lang) -> FieldReading:
    """The catalog skills and the occupations a field or skill phrase means."""
    text = (text or "").strip()[:200]
    if not text:
        return FieldReading("", (), (), "none")
    skills = tuple(topic_skills(session, text, lang))

    def compute() -> tuple[dict[str, float], frozenset[str]]:
        evidence = _tag_evidence(session, skills)
        named = _text_evidence(session, text)
        for noc, score in named.items():
            evidence[noc] = evidence.get(noc, 0.0) + score
        return evidence, frozenset(named)

    evidence, named = snapshot.cached(session, ("field", text.casefold(), lang), compute)
    occupations: list[FieldOccupation] = []
    if evidence:
        best = max(evidence.values())
        ranked = sorted(((score, noc) for noc, score in evidence.items()
                         if score >= KEEP_WITHIN * best), key=lambda item: (-item[0], item[1]))
        for score, noc in ranked[:MAX_OCCUPATIONS]:
            title = occupation_title(session, noc, lang)
            if title:
                occupations.append(FieldOccupation(noc, title, round(score / best, 3),
                                                   noc in named))
    if skills or len(occupations) == 1:
        status: FieldStatus = "clear"
    elif occupations:
        status = "ambiguous"
    else:
        status = "none"
    return FieldReading(text, skills, tuple(occupations), status)


_CLAUSE = re.compile(r"[.,;:!?()\n]|\s(?:and|but|so|et|mais|donc)\s", re.IGNORECASE)


def message_topic(session: Session, text: str, lang: Lang) -> str | None:
    """The message as the topic, when it names catalog skills without saying it wants them
    ("solar panel installation", "QuickBooks", "CPR certification"): said to an assistant
    that recommends programs, it asks for them. Else its last clause that names skills (the
    rest of "I'm new here, and I want to improve my English for work" is about the person)."""
    text = (text or "").strip()[:200]
    if not text:
        return None
    if topic_skills(session, text, lang):
        return text
    clauses = [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]
    for clause in reversed(clauses[1:] if len(clauses) > 1 else []):
        if topic_skills(session, clause, lang):
            return clause
    return None


TargetStatus = Literal["occupation", "topic", "ask", "none"]


_FIELD_FILLER = re.compile(r"^(?:something|anything|a job|a career|work|working|job|jobs|"
                           r"quelque chose|qqch|un emploi|une job|travailler)\s+"
                           r"(?:in|with|into|dans|en)\s+|\s+(?:field|sector|industry|domaine|"
                           r"secteur|maybe|peut-etre)$")


def sector_named(text: str) -> str | None:
    """The catalog sector (code) the words name as a whole, by its labels or SECTOR_WORDS
    ("healthcare", "something in IT", "les métiers"), else None."""
    words = " ".join(fold(text).split())
    words = _FIELD_FILLER.sub("", _FIELD_FILLER.sub("", words)).strip()
    for code in SECTORS:
        names = {fold(term_label("sector", code, lang)) for lang in LEARNER_LANGUAGES}
        if words in names or words in SECTOR_WORDS.get(code, ()):
            return code
    return None


def sector_in_words(text: str) -> str | None:
    """The catalog sector (code) a word of the message names ("nous sommes une garderie",
    "our factory"): the longest of SECTOR_WORDS found, words of 5 letters or more only (not
    "IT", "tech")."""
    words = " " + " ".join(re.findall(r"[a-z0-9']+", fold(text))) + " "
    found = [(len(word), code) for code in SECTORS for word in SECTOR_WORDS.get(code, ())
             if len(word) >= 5 and f" {word} " in words]
    return max(found)[1] if found else None


def sector_occupations(session: Session, sector: str, lang: Lang) -> list[tuple[str, str]]:
    """(NOC, title in ``lang``) of the occupations a sector's programs are tagged for, those
    with the most programs first."""
    count = func.count(models.ProgramOccupation.program_id)
    rows = session.execute(
        select(models.ProgramOccupation.noc, count)
        .join(models.Program, models.Program.id == models.ProgramOccupation.program_id)
        .where(models.Program.sector == sector)
        .group_by(models.ProgramOccupation.noc)
        .order_by(count.desc(), models.ProgramOccupation.noc)).all()
    return [(noc, occupation_title(session, noc, lang) or noc) for noc, _count in rows]


@dataclass(frozen=True)
class WantedTarget:
    """What the job or field a learner wants becomes: an occupation (``noc``), a topic to rank
    programs by (``topic``, with ``noc`` when the title resolver and the field's data agree
    on one occupation), a question among ``choices`` (NOC, title), or nothing known."""

    status: TargetStatus
    noc: str | None = None
    topic: str | None = None
    choices: tuple[tuple[str, str], ...] = ()


def read_target(session: Session, text: str, lang: Lang, *, resolution: Resolution | None,
                is_field: bool, exclude: str | None = None,
                own_job_wanted: bool = False) -> WantedTarget:
    """A wanted job title (``resolution``: the title resolver's reading of ``text``) or field
    (``is_field``: said as one, "get into", "learn"). A title the resolver is sure of is that
    occupation. Otherwise words naming catalog skills are the topic (with the occupation they
    clearly mean, if any); a title the resolver finds ambiguous is asked back among its
    candidates; a field naming no skill is the one occupation it means, or asked back among
    the few it means. ``exclude``: the learner's own job, not offered as the one they want
    unless the text clearly names it and ``own_job_wanted`` (the message does not say they
    want out of it: ``parse_goal`` reads no change of career)."""
    status = resolution.status if resolution is not None else "none"
    if resolution is not None and status == "clear" and not is_field and own_job_wanted \
            and exclude is not None and resolution.candidates[0].noc == exclude:
        # Their own job named as the one they want (a newcomer: "I was an accountant back
        # home, I want to work as an accountant here"): that occupation (a field they work
        # in already is only the topic, below), ranked by the skills its words name.
        own = read_field(session, text, lang)
        return WantedTarget("topic", exclude, own.text) if own.skills else \
            WantedTarget("occupation", exclude)
    candidates = [c for c in (resolution.candidates if resolution is not None else ())
                  if c.noc != exclude]
    if status == "clear" and candidates and not is_field:
        return WantedTarget("occupation", candidates[0].noc)
    field = read_field(session, text, lang)
    occupations = [o for o in field.occupations if o.noc != exclude]
    sector = sector_named(text)
    if sector is not None and not any(m.score >= WHOLE_SKILL for m in field.skills):
        # "something in healthcare", "l'informatique": a sector of the catalog, not one of
        # its skills; which of the jobs its programs lead to (not the titles or skills that
        # hold the word "health").
        choices = [c for c in sector_occupations(session, sector, lang) if c[0] != exclude]
        if choices:
            return WantedTarget("ask", choices=tuple(choices[:MAX_OCCUPATIONS]))
    if field.skills:
        # The occupation too when the title resolver is sure of it and the field's data
        # agrees ("machine learning": data scientists); programs teaching first aid are
        # tagged for nurse aides, which makes no nurse aide of someone learning first aid.
        # Not for someone who holds a job and does not say they want out of it: palliative
        # care for a PSW is a topic for the job they have, not a wish to become a nurse.
        # "PSW": ambiguous between two settings, but nearly always the first, which the
        # field's programs are tagged for too: that occupation's pay and outlook are shown.
        sure = status == "clear" or (status == "ambiguous" and bool(candidates)
                                     and candidates[0].score >= LIKELY_READING)
        agreed = sure and candidates and (
            not field.occupations or candidates[0].noc in {o.noc for o in field.occupations}
        ) and not (exclude is not None and own_job_wanted)
        return WantedTarget("topic", candidates[0].noc if agreed else None, field.text)
    if status == "clear" and candidates and (
            not occupations or candidates[0].noc in {o.noc for o in occupations}):
        return WantedTarget("occupation", candidates[0].noc)
    if status == "ambiguous" and candidates and not is_field:
        return WantedTarget("ask", choices=tuple((c.noc, c.title)
                                                 for c in candidates[:MAX_OCCUPATIONS]))
    if len(occupations) == 1:
        return WantedTarget("occupation", occupations[0].noc)
    if status == "ambiguous" and candidates and not (
            {c.noc for c in candidates[:3]} & {o.noc for o in occupations}):
        # A field whose occupations miss all of the resolver's best readings ("become a
        # mechanic": the field's words hold mechanical engineers, the title means auto
        # mechanics first): the resolver's candidates.
        return WantedTarget("ask", choices=tuple((c.noc, c.title)
                                                 for c in candidates[:MAX_OCCUPATIONS]))
    if occupations:
        return WantedTarget("ask", choices=tuple((o.noc, o.title) for o in occupations))
    if status == "ambiguous" and candidates:  # the data says nothing more: the resolver asks
        return WantedTarget("ask", choices=tuple((c.noc, c.title)
                                                 for c in candidates[:MAX_OCCUPATIONS]))
    return WantedTarget("none")
