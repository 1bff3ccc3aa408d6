"""Short programs for a learner: filtered by every stated constraint, ranked by fit to what the
learner asked for: a topic or skill they named first, then the catalog's occupation tags for
the target occupation, with the skills the occupation needs (OaSIS) as a tiebreaker. Programs
that fit far worse than the best ones are not shown: the list is shorter rather than padded
with unrelated programs. When the constraints leave nothing relevant, say which ones did it
and show the closest relevant programs without them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from knowledge import models, snapshot
from knowledge.constraints import NONE_STATED, Constraints, Goal
from knowledge.explainer import explain_why
from knowledge.language import Lang
from knowledge.occupations import occupation_title
from knowledge.vocabulary import teaches_in

# Weights of the ranking. A program teaching the topic the learner named comes first; then a
# program the catalog tags for the target occupation (one made for that job more than one
# tagged for many); the skills it teaches that the occupation rates highly break ties. An
# untagged program is never shown for its OaSIS skills alone (a medical lab assistant rates
# "operation and control" too, which is no reason to offer CNC machining).
TOPIC_WEIGHT = 10.0          # times the topic fit (1 = named in the title)
TARGET_TAG_WEIGHT = 3.0
TAG_SPECIFICITY = 0.3        # share of the tag weight that goes to programs tagged for few jobs
CURRENT_LEVEL_PENALTY = 1.0  # moving to another job: also tagged for the one they have already
SKILL_FIT_WEIGHT = 0.5       # OaSIS fit, 0..1: a tiebreaker within tagged programs
MIN_RELATIVE_SCORE = 0.6     # a program scoring under this share of the best is not shown
WORDS_WEIGHT = 0.5           # share of the topic fit that depends on the request's other words
# A program about the topic less than this share of the best one is not shown: when programs
# name it in their titles, one only mentioning it in its description is about something else.
MIN_RELATIVE_TOPIC_FIT = 0.75
MATCH_LEVEL = 0.6            # normalised OaSIS level from which a taught skill counts as "needed"
MAX_LEVEL = {"oasis_skill": 5, "oasis_knowledge": 3}


@dataclass(frozen=True)
class ProgramMatch:
    id: str
    title: str
    institution: str
    url: str
    cost: float
    currency: str  # "CAD"
    hours: float
    weeks: float | None
    delivery: str
    language: str
    why: str                      # one plain sentence in lang
    matched_skills: tuple[str, ...]
    score: float
    osap_eligible: bool
    region: str | None
    # Additions beyond the contract: what a card may also show.
    schedule: tuple[str, ...] = ()
    start_dates: tuple[str, ...] = ()
    is_sample: bool = False
    # An alternative shown when nothing fits: the constraint fields it does not meet.
    breaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendations:
    programs: tuple[ProgramMatch, ...]
    blocked_by: tuple[str, ...]    # Constraints field names that emptied the result
    alternatives: tuple[ProgramMatch, ...]  # closest programs when programs is empty
    # The learner's wishes ("online if possible": Constraints fields) that no program listed
    # (``programs``, else ``alternatives``) meets: the reply says so.
    unmet_wishes: tuple[str, ...] = ()


def satisfies(program: models.Program, c: Constraints) -> bool:
    """Whether ``program`` meets every constraint. Online programs can be taken from any
    region; a bilingual program suits a learner asking for English or for French."""
    if c.max_cost is not None and float(program.cost) > c.max_cost + 1e-9:
        return False
    if c.max_weeks is not None and program.weeks > c.max_weeks + 1e-9:
        return False
    if c.max_hours is not None and program.hours > c.max_hours + 1e-9:
        return False
    if c.delivery and program.delivery not in c.delivery:
        return False
    if c.schedule and not set(program.schedule or ()) & set(c.schedule):
        return False
    if c.language and not teaches_in(program.language, c.language):
        return False
    if c.region and program.delivery != "online" and program.region_code != c.region:
        return False
    return not (c.financial_aid and not program.osap_eligible)


@dataclass(frozen=True)
class _Catalog:
    programs: tuple[models.Program, ...]
    tags: dict[str, frozenset[str]]          # program id -> NOC codes
    skills: dict[str, tuple[models.Skill, ...]]  # program id -> skills taught


def _catalog(session: Session) -> _Catalog:
    """The catalog with its tags and skills, read once per version of the knowledge base
    (about 50 ms) and shared between sessions. Its objects are detached and fully loaded;
    treat them as read-only."""

    def load() -> _Catalog:
        catalog = _load_catalog(session)
        _detach(session, catalog)
        return catalog

    return snapshot.cached(session, "catalog", load)


def catalog_tags(session: Session) -> tuple[tuple[models.Program, ...],
                                             dict[str, frozenset[str]],
                                             dict[str, frozenset[str]]]:
    """The catalog's programs, program id -> NOC tags, program id -> skill codes taught
    (shared and read-only, as the recommender reads them)."""
    catalog = _catalog(session)
    return catalog.programs, catalog.tags, {k: frozenset(s.code for s in v)
                                            for k, v in catalog.skills.items()}


def _detach(session: Session, catalog: _Catalog) -> None:
    """Detach the catalog's objects (loaded in full) so that no session's commit or close
    expires them while other sessions read them."""
    objects: set[object] = set(catalog.programs)
    objects.update(p.institution for p in catalog.programs if p.institution is not None)
    for skills in catalog.skills.values():
        objects.update(skills)
    for obj in objects:
        if obj in session:
            session.expunge(obj)


def _load_catalog(session: Session) -> _Catalog:
    programs = tuple(session.scalars(
        select(models.Program).options(joinedload(models.Program.institution))
        .order_by(models.Program.id)).unique())
    tags: dict[str, set[str]] = {}
    for program_id, noc in session.execute(
            select(models.ProgramOccupation.program_id, models.ProgramOccupation.noc)):
        tags.setdefault(program_id, set()).add(noc)
    skill_rows = {s.code: s for s in session.scalars(
        select(models.Skill).where(models.Skill.kind == "topic"))}
    taught: dict[str, list[models.Skill]] = {}
    for program_id, code in session.execute(
            select(models.ProgramSkill.program_id, models.ProgramSkill.skill_code)
            .order_by(models.ProgramSkill.program_id, models.ProgramSkill.skill_code)):
        skill = skill_rows.get(code) or session.get(models.Skill, code)
        if skill is not None:
            taught.setdefault(program_id, []).append(skill)
    return _Catalog(programs, {k: frozenset(v) for k, v in tags.items()},
                    {k: tuple(v) for k, v in taught.items()})


def _needs(session: Session, noc: str | None) -> dict[str, float]:
    """OaSIS descriptor code -> how much the occupation needs it, 0..1 (skills are rated 1-5,
    knowledge 1-3, so each is divided by its own maximum). Shared: read-only."""
    if not noc:
        return {}

    def read() -> dict[str, float]:
        rows = session.execute(
            select(models.OccupationSkill.skill_code, models.OccupationSkill.level,
                   models.Skill.kind)
            .join(models.Skill).where(models.OccupationSkill.noc == noc))
        return {code: level / MAX_LEVEL.get(kind, 5) for code, level, kind in rows}

    return snapshot.cached(session, ("needs", noc), read)


def _occupation_title(session: Session, noc: str | None, lang: Lang) -> str | None:
    return occupation_title(session, noc, lang) if noc else None


def skill_name(skill: models.Skill, lang: Lang) -> str:
    return skill.name_fr if lang == "fr" and skill.name_fr else skill.name_en


@dataclass(frozen=True)
class _Scored:
    program: models.Program
    score: float
    matched: tuple[str, ...]   # skill names in lang, most needed first
    relevant: bool


def _score(catalog: _Catalog, program: models.Program, *, target: str | None,
           current: str | None, upskill: bool, needs: dict[str, float],
           lang: Lang) -> _Scored:
    """A program's fit for the target occupation. ``relevant``: tagged for the target (with
    no target at all, every program). A learner moving to another job (``current`` differs
    from ``target``) gains less from a program also tagged for the job they already have: it
    teaches at the level they are at (PSW-level dementia care for a PSW becoming an RPN)."""
    tags = catalog.tags.get(program.id, frozenset())
    taught = catalog.skills.get(program.id, ())
    tagged_target = bool(target) and target in tags
    moving = bool(current) and bool(target) and current != target
    tagged_current = moving and current in tags
    levels = [(needs.get(s.oasis_code or s.code, 0.0), s) for s in taught]
    matched = sorted(((n, s) for n, s in levels if n >= MATCH_LEVEL),
                     key=lambda item: (-item[0], skill_name(item[1], lang)))
    fit = sum(n for n, _ in matched) / max(1, len(taught))
    specificity = 1.0 / max(1, len(tags))
    score = SKILL_FIT_WEIGHT * fit
    if tagged_target:
        score += TARGET_TAG_WEIGHT * (1 - TAG_SPECIFICITY + TAG_SPECIFICITY * specificity)
        score -= CURRENT_LEVEL_PENALTY * tagged_current
    names = [skill_name(s, lang) for _, s in matched]
    if tagged_target:
        # A tagged program teaches what the job needs even where OaSIS has no close descriptor.
        names += sorted(skill_name(s, lang) for n, s in levels if n < MATCH_LEVEL)
    if not target:
        relevant = True  # nothing to rank against: every program is a candidate
        names = sorted(skill_name(s, lang) for s in taught)
    else:
        relevant = tagged_target
    del upskill  # the goal does not change what fits: the target (or current) job does
    return _Scored(program, round(score, 4), tuple(names), relevant)


def _with_topic(session: Session, catalog: _Catalog, scored: Sequence[_Scored],
                skill_ids: Sequence[str], words: frozenset[str], lang: Lang,
                target: str | None) -> tuple[_Scored, ...]:
    """The programs teaching the topic's skills, ranked by that first (named in the title,
    then in the description, then only listed; less when their texts hold none of the
    topic's other ``words``), the occupation's fit breaking ties; the occupation's programs
    alone when no program teaches the topic."""
    from knowledge.skill_search import content_stems, skill_fit  # built on this module

    by_id = {s.program.id: s for s in scored}
    fits: list[tuple[models.Program, float]] = []
    for program in catalog.programs:
        taught = catalog.skills.get(program.id, ())
        fit = skill_fit(session, program, skill_ids, {s.code for s in taught})
        if fit <= 0:
            continue
        if words:
            said = (content_stems(program.title_en) | content_stems(program.title_fr)
                    | content_stems(program.description_en)
                    | content_stems(program.description_fr))
            fit *= 1 - WORDS_WEIGHT + WORDS_WEIGHT * len(words & said) / len(words)
        fits.append((program, fit))
    best = max((fit for _, fit in fits), default=0.0)
    topical: list[_Scored] = []
    for program, fit in fits:
        if fit < MIN_RELATIVE_TOPIC_FIT * best - 1e-9:
            continue  # about the topic far less than the best ones
        taught = catalog.skills.get(program.id, ())
        base = by_id.get(program.id)
        wanted = [s for code in skill_ids for s in taught if s.code == code]
        names = [skill_name(s, lang) for s in wanted]
        names += [n for n in (base.matched if base else ()) if n not in names]
        names += sorted(skill_name(s, lang) for s in taught if skill_name(s, lang) not in names)
        topical.append(_Scored(program, round(TOPIC_WEIGHT * fit + (base.score if base else 0),
                                              4), tuple(names), True))
    if topical:
        return tuple(topical)
    # Nothing teaches the topic: the occupation's programs, if there is an occupation; with
    # none, nothing (not the whole catalog).
    return tuple(scored) if target else ()


def _worth_showing(scored: Iterable[_Scored]) -> tuple[_Scored, ...]:
    """The relevant programs that score at least MIN_RELATIVE_SCORE of the best one."""
    relevant = [s for s in scored if s.relevant]
    if not relevant:
        return ()
    best = max(s.score for s in relevant)
    if best <= 0:
        return tuple(relevant)
    return tuple(s for s in relevant if s.score >= MIN_RELATIVE_SCORE * best - 1e-9)


def _order(scored: Iterable[_Scored]) -> list[_Scored]:
    """Best first, deterministic on ties (cheaper, shorter, then id); the same course offered
    by several schools (same skills taught) is spread out so the first cards differ."""
    ranked = sorted(scored, key=lambda s: (-s.score, float(s.program.cost), s.program.weeks,
                                           s.program.id))
    seen: set[tuple[str, ...]] = set()
    first: list[_Scored] = []
    rest: list[_Scored] = []
    for item in ranked:
        key = tuple(sorted(item.matched)) or (item.program.id,)
        (rest if key in seen else first).append(item)
        seen.add(key)
    return first + rest


def to_match(item: _Scored, occupation: str | None, lang: Lang) -> ProgramMatch:
    return program_match(item.program, item.matched, item.score, occupation, lang)


def serves_occupation(session: Session, programs: Sequence[ProgramMatch], noc: str) -> bool:
    """Whether the catalog tags one of ``programs`` for occupation ``noc``."""
    ids = [match.id for match in programs]
    return bool(ids) and session.scalar(
        select(models.ProgramOccupation.noc).where(
            models.ProgramOccupation.noc == noc,
            models.ProgramOccupation.program_id.in_(ids)).limit(1)) is not None


def shown_programs(session: Session, ids: Sequence[str], lang: Lang) -> tuple[ProgramMatch, ...]:
    """The programs of a list shown before, in its order (those no longer in the catalog are
    left out), for questions about them."""
    found = (session.get(models.Program, program_id) for program_id in ids)
    return tuple(program_match(p, (), 0.0, None, lang) for p in found if p is not None)


def program_match(program: models.Program, matched: Sequence[str], score: float,
                  occupation: str | None, lang: Lang) -> ProgramMatch:
    """A catalog row as a card in ``lang``; ``matched`` are skill names in ``lang``, most
    relevant first; ``occupation`` the target occupation's title for the why sentence."""
    title = (program.title_fr if lang == "fr" and program.title_fr else program.title_en) \
        or program.title_fr
    institution = program.institution
    school = (institution.name_fr if lang == "fr" else institution.name_en) or institution.name_en
    return ProgramMatch(
        id=program.id, title=title, institution=school, url=program.url,
        cost=float(program.cost), currency=program.currency, hours=float(program.hours),
        weeks=float(program.weeks) if program.weeks is not None else None,
        delivery=program.delivery, language=program.language,
        why=explain_why(matched, occupation, lang), matched_skills=tuple(matched[:3]),
        score=score, osap_eligible=bool(program.osap_eligible),
        region=program.region_code, schedule=tuple(program.schedule or ()),
        start_dates=tuple(program.start_dates or ()), is_sample=bool(program.is_sample))


def _target(target_noc: str | None, current_noc: str | None) -> str | None:
    # With no target (upskilling, or a career changer who has not chosen yet) the programs that
    # fit the current job are the useful ones.
    return target_noc or current_noc or None


def recommend(session: Session, *, target_noc: str | None, current_noc: str | None,
              goal: Goal | None, constraints: Constraints, lang: Lang, limit: int = 5,
              exclude_ids: Sequence[str] = (), topic: str | None = None,
              wishes: Constraints = NONE_STATED) -> Recommendations:
    """At most ``limit`` relevant programs meeting every constraint, best first; fewer when
    fewer fit. ``topic``: a field or skill the learner named ("machine learning", "la paie"),
    ranked before the occupation's programs. ``wishes``: what the learner would like but
    did not require ("online if possible"): the relevant programs that meet more of them come
    first, and none is left out for missing one. When no relevant program meets the
    constraints, ``programs`` is empty, ``blocked_by`` names the constraints that did it and
    ``alternatives`` are the closest relevant programs without them."""
    limit = max(1, limit)
    target = _target(target_noc, current_noc)
    occupation = _occupation_title(session, target, lang)
    excluded = set(exclude_ids)
    skill_ids = _topic_skills(session, topic, lang)
    if not target and not skill_ids:
        # Nothing to rank against (a topic no program teaches, or nothing asked): no list,
        # rather than the whole catalog.
        return Recommendations((), (), ())
    words = _topic_words(session, _catalog(session), topic, skill_ids)
    candidates = [s for s in _relevant(session, target, current_noc, goal == "upskill", lang,
                                       skill_ids, words)
                  if s.program.id not in excluded]

    def matching(c: Constraints) -> list[_Scored]:
        return _order(s for s in candidates if satisfies(s.program, c))

    found = _wished_first(matching(constraints), wishes)[:limit]
    if found:
        return Recommendations(tuple(to_match(s, occupation, lang) for s in found), (), (),
                               _unmet(found, wishes))
    blocked, alternatives = _relax(constraints, matching)
    closest = _wished_first(alternatives, wishes)[:limit]
    return Recommendations((), blocked, tuple(
        replace(to_match(s, occupation, lang), breaks=breaks(s.program, constraints))
        for s in closest), _unmet(closest, wishes))


def _wished_first(scored: list[_Scored], wishes: Constraints) -> list[_Scored]:
    """The programs meeting more of the wishes first; in the order given among equals (the
    sort is stable: relevance decides there)."""
    if wishes.is_empty():
        return scored
    return sorted(scored, key=lambda s: len(breaks(s.program, wishes)))


def _unmet(listed: Sequence[_Scored], wishes: Constraints) -> tuple[str, ...]:
    """The wishes that none of ``listed`` meets."""
    if wishes.is_empty() or not listed:
        return ()
    missed = [set(breaks(s.program, wishes)) for s in listed]
    return tuple(name for name in wishes.set_fields() if all(name in m for m in missed))


def breaks(program: models.Program, constraints: Constraints) -> tuple[str, ...]:
    """The constraint fields ``program`` does not meet, each judged alone ("region": it is
    taught in person elsewhere; "delivery": in person where online was asked)."""
    names = constraints.set_fields()
    return tuple(name for name in names
                 if not satisfies(program, constraints.without(*(n for n in names if n != name))))


def _topic_skills(session: Session, topic: str | None, lang: Lang) -> tuple[str, ...]:
    from knowledge.skill_search import topic_skills  # skill_search builds on this module

    return tuple(m.id for m in topic_skills(session, topic, lang))


def _topic_words(session: Session, catalog: _Catalog, topic: str | None,
                 skill_ids: Sequence[str]) -> frozenset[str]:
    """The topic's words beyond its skills' names that some program's title holds: what
    tells a program about the request from one about the skill alone."""
    if not topic or not skill_ids:
        return frozenset()
    from knowledge.skill_search import content_stems, unexplained_stems

    def titles() -> frozenset[str]:
        return frozenset().union(*(content_stems(p.title_en) | content_stems(p.title_fr)
                                   for p in catalog.programs))

    vocabulary = snapshot.cached(session, "catalog_title_stems", titles)
    return unexplained_stems(session, topic, skill_ids) & vocabulary


def _relevant(session: Session, target: str | None, current: str | None, upskill: bool,
              lang: Lang, skill_ids: tuple[str, ...] = (),
              words: frozenset[str] = frozenset()) -> tuple[_Scored, ...]:
    """Every catalog program that is worth showing for this target (and topic), scored, before
    any constraint: the same for every learner asking the same, so shared. Weak fits are left
    out here, so a constraint never lets them in in place of the relevant programs it hides."""

    def score_all() -> tuple[_Scored, ...]:
        catalog, needs = _catalog(session), _needs(session, target)
        scored = tuple(_score(catalog, p, target=target, current=current, upskill=upskill,
                              needs=needs, lang=lang) for p in catalog.programs)
        if skill_ids:
            scored = _with_topic(session, catalog, scored, skill_ids, words, lang, target)
        return _worth_showing(scored)

    return snapshot.cached(session, ("scored", target, current, upskill, lang, skill_ids,
                                     words), score_all)


def _relax(constraints: Constraints, matching: Callable[[Constraints], list[_Scored]]
           ) -> tuple[tuple[str, ...], list[_Scored]]:
    """The smallest set of constraint fields whose removal gives programs (single fields first;
    among equal sizes the one whose best program ranks highest, then the one giving most)."""
    names = constraints.set_fields()
    for size in range(1, len(names) + 1):
        options: list[tuple[tuple[float, int, int], tuple[str, ...], list[_Scored]]] = []
        for order, combo in enumerate(combinations(names, size)):
            found = matching(constraints.without(*combo))
            if found:
                options.append(((-found[0].score, -len(found), order), combo, found))
        if options:
            _, combo, found = min(options, key=lambda option: option[0])
            return combo, found
    return (), []


def cheaper(session: Session, *, previous_ids: Sequence[str], target_noc: str | None,
            current_noc: str | None, goal: Goal | None, constraints: Constraints, lang: Lang,
            limit: int = 5, topic: str | None = None,
            wishes: Constraints = NONE_STATED) -> Recommendations:
    """Programs strictly cheaper than the cheapest one shown before, under the same other
    constraints, wishes and topic. ``blocked_by`` contains "max_cost" when nothing cheaper exists.
    When none of ``previous_ids`` is in the catalog any more (or none is given), there is no
    price to be cheaper than: nothing is returned, and nothing blamed, rather than an
    ordinary list that would be presented as cheaper."""
    costs = [float(p.cost) for p in session.scalars(
        select(models.Program).where(models.Program.id.in_(list(previous_ids))))]
    if not costs:
        return Recommendations((), (), ())
    budget = constraints.max_cost
    below = round(min(costs) - 0.01, 2)
    budget = below if budget is None else min(budget, below)
    if budget is not None and budget < 0:
        # The cheapest shown is already free: nothing can be cheaper.
        return Recommendations((), ("max_cost",), ())
    narrowed = replace(constraints, max_cost=budget)
    found = recommend(session, target_noc=target_noc, current_noc=current_noc, goal=goal,
                      constraints=narrowed, lang=lang, limit=limit, exclude_ids=previous_ids,
                      topic=topic, wishes=wishes)
    if found.programs:
        return found
    # Nothing cheaper fits the other constraints: what blocks is the budget (the cheapest shown),
    # not whichever other constraint recommend() would relax to find something.
    return Recommendations((), ("max_cost",), ())
