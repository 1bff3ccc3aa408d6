"""Suggested skill and occupation tags for a program, from its title and description; staff
accept or reject them, and only accepted ones count.

Skills: spaCy ``PhraseMatcher`` over the catalog's skills vocabulary (topic names and their
EN/FR synonyms), English texts with spaCy's blank English pipeline and French ones with the
French (tokenizers only: the trained models are not published on PyPI, and nothing may be
downloaded at run time); words match by exact case for short aliases, else by lower case.

Occupations: programs teaching the same skills (their accepted tags) say whom such programs
are for; the occupation resolver read over the program's title adds what the title names
("Welding Fundamentals" -> welders).

Suggestions are stored as ``TagSuggestion`` rows (status ``pending``). Accepting one writes the
``ProgramSkill`` / ``ProgramOccupation`` row and moves the catalog dataset's ``loaded_at``,
so the recommender's per-version reference data (knowledge.snapshot) is rebuilt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.language import Lang
from knowledge.skill_search import SkillRows, alias_texts, skill_rows
from knowledge.snapshot import cached

Kind = Literal["skill", "occupation"]
# Field weights: a skill named in the title is stronger evidence than one in the description.
FIELD_WEIGHTS = (("en", "title_en", 0.9), ("en", "description_en", 0.7),
                 ("fr", "title_fr", 0.8), ("fr", "description_fr", 0.6))
SKILL_THRESHOLD = 0.6
GENERIC_WORD_WEIGHT = 0.6
OCCUPATION_THRESHOLD = 0.3
MAX_OCCUPATIONS = 4
RESOLVER_MIN_SCORE = 90.0
_SHORT_ALIAS = 3  # aliases this short ("EA", "AZ", "CNC") must match case exactly


@dataclass(frozen=True)
class Suggestion:
    kind: Kind
    code: str
    score: float
    evidence: str  # the words that matched, or why


class UnknownSuggestion(LookupError):
    pass


class AlreadyDecided(ValueError):
    pass


# --- spaCy pipelines -------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _pipeline(lang: Lang) -> Language:
    return spacy.blank(lang)


@dataclass(frozen=True)
class _Matchers:
    exact: PhraseMatcher   # short aliases, case-sensitive
    lower: PhraseMatcher


@lru_cache(maxsize=4)
def _matchers(rows: SkillRows) -> dict[str, _Matchers]:
    built: dict[str, _Matchers] = {}
    for index, lang in ((3, "en"), (4, "fr")):
        nlp = _pipeline(lang)
        exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        for row in rows:
            code = row[0]
            name = row[1] if lang == "en" else row[2]
            synonyms: tuple[str, ...] = row[index]  # type: ignore[assignment]
            texts = list(dict.fromkeys(alias_texts(name, synonyms)))
            short = [t for t in texts if len(t.strip()) <= _SHORT_ALIAS]
            long = [t for t in texts if len(t.strip()) > _SHORT_ALIAS]
            if short:
                exact.add(code, [nlp.make_doc(t.strip()) for t in short])
            if long:
                lower.add(code, [nlp.make_doc(t) for t in long])
        built[lang] = _Matchers(exact, lower)
    return built


# --- suggestions -------------------------------------------------------------------------------

def _word_strength(matched: str) -> float:
    """One ordinary word ("management", "team", "gestion") says less than a phrase, an
    acronym or a product name ("blueprint reading", "WHMIS", "Excel")."""
    if " " in matched.strip() or any(ch.isdigit() or ch.isupper() for ch in matched[1:]):
        return 1.0
    return GENERIC_WORD_WEIGHT


def suggest_skills(session: Session, texts: dict[str, str]) -> list[Suggestion]:
    """Skills named in a program's ``title_en``, ``description_en``, ``title_fr`` and
    ``description_fr`` (missing keys are empty), best first."""
    matchers = _matchers(skill_rows(session))
    evidence: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for lang, field, weight in FIELD_WEIGHTS:
        text = (texts.get(field) or "")[:5000]
        if not text.strip():
            continue
        nlp = _pipeline(lang)
        found = matchers[lang]
        doc = nlp.make_doc(text)
        hits: dict[str, tuple[float, str]] = {}
        for matcher in (found.exact, found.lower):
            for match_id, start, end in matcher(doc):
                code = nlp.vocab.strings[match_id]
                span = doc[start:end]
                strength = weight * _word_strength(span.text)
                if strength > hits.get(code, (0.0, ""))[0]:
                    hits[code] = (strength, span.text)
        for code, (strength, words) in hits.items():
            evidence[code].append((strength, words))
    suggestions = []
    for code, found_in in evidence.items():
        missing = 1.0
        for weight, _ in found_in:
            missing *= 1.0 - weight  # independent pieces of evidence
        score = round(1.0 - missing, 3)
        if score >= SKILL_THRESHOLD:
            words = ", ".join(dict.fromkeys(w for _, w in found_in))
            suggestions.append(Suggestion("skill", code, score, f"matched: {words}"[:300]))
    suggestions.sort(key=lambda s: (-s.score, s.code))
    return suggestions


def _skill_audiences(session: Session) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """skill code -> (program id, the occupations that program targets) for every tagged
    program teaching it."""
    targets: dict[str, set[str]] = defaultdict(set)
    for program_id, noc in session.execute(
            select(models.ProgramOccupation.program_id, models.ProgramOccupation.noc)).tuples():
        targets[program_id].add(noc)
    audiences: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for program_id, skill in session.execute(
            select(models.ProgramSkill.program_id, models.ProgramSkill.skill_code)).tuples():
        if targets.get(program_id):
            audiences[skill].append((program_id, frozenset(targets[program_id])))
    return {skill: tuple(items) for skill, items in audiences.items()}


def suggest_occupations(session: Session, title: str, skill_codes: Sequence[str],
                        exclude_program_ids: Collection[str] = (),
                        index: Any | None = None, lang: Lang = "en") -> list[Suggestion]:
    """Occupations a program with this title teaching these skills is likely for, best first.

    ``exclude_program_ids``: programs whose tags must not count (the program itself; in the
    benchmark, every offering of the same course). ``index``: a resolver ``TitleIndex`` to
    read the title with (skipped when None)."""
    audiences = cached(session, "tagging.skill_audiences", lambda: _skill_audiences(session))
    scores: dict[str, float] = defaultdict(float)
    why: dict[str, str] = {}
    skills = [code for code in dict.fromkeys(skill_codes) if code in audiences]
    for code in skills:
        programs = [nocs for pid, nocs in audiences[code] if pid not in exclude_program_ids]
        if not programs:
            continue
        counts: dict[str, int] = defaultdict(int)
        for nocs in programs:
            for noc in nocs:
                counts[noc] += 1
        for noc, count in counts.items():
            # share of the skill's programs aimed at this occupation, averaged over the skills
            scores[noc] += count / len(programs) / len(skills)
            why.setdefault(noc, f"programs teaching {code} target it")
    if index is not None and title.strip():
        # The lexical path: a program title names the occupations it says, word for word.
        for candidate in index.resolve_lexical(title[:300], lang, 3).candidates:
            if candidate.score >= RESOLVER_MIN_SCORE:
                scores[candidate.noc] += 0.5 * candidate.score / 100
                why[candidate.noc] = f"title reads as {candidate.matched_title!r}"
    ranked = sorted(((round(min(score, 1.0), 3), noc) for noc, score in scores.items()
                     if score >= OCCUPATION_THRESHOLD), key=lambda item: (-item[0], item[1]))
    return [Suggestion("occupation", noc, score, why[noc][:300])
            for score, noc in ranked[:MAX_OCCUPATIONS]]


def _texts(program: models.Program) -> dict[str, str]:
    return {"title_en": program.title_en, "description_en": program.description_en,
            "title_fr": program.title_fr, "description_fr": program.description_fr}


def suggest_for_program(session: Session, program: models.Program, index: Any | None = None,
                        exclude_program_ids: Collection[str] = ()) -> list[Suggestion]:
    """Skill then occupation suggestions for a catalog program (its own tags never count)."""
    skills = suggest_skills(session, _texts(program))
    title = program.title_en or program.title_fr
    lang: Lang = "en" if program.title_en else "fr"
    occupations = suggest_occupations(
        session, title, [s.code for s in skills], {program.id, *exclude_program_ids},
        index, lang)
    return skills + occupations


# --- storage and staff decisions ---------------------------------------------------------------



def store_suggestions(session: Session, program_id: str, suggestions: Iterable[Suggestion],
                      source: str = "spacy") -> int:
    """Add the suggestions not already there (any status) as pending; no commit. Returns how
    many were added."""
    existing = set(session.execute(
        select(models.TagSuggestion.kind, models.TagSuggestion.code)
        .where(models.TagSuggestion.program_id == program_id)).tuples())
    added = 0
    for suggestion in suggestions:
        key = (suggestion.kind, suggestion.code)
        if key in existing:
            continue
        existing.add(key)
        session.add(models.TagSuggestion(
            program_id=program_id, kind=suggestion.kind, code=suggestion.code,
            score=suggestion.score, source=source, evidence=suggestion.evidence[:300],
            status="pending", created_at=models.utc_naive()))
        added += 1
    session.flush()
    return added


def list_suggestions(session: Session, program_id: str | None = None,
                     status: str | None = "pending",
                     limit: int = 500) -> list[models.TagSuggestion]:
    query = select(models.TagSuggestion)
    if program_id is not None:
        query = query.where(models.TagSuggestion.program_id == program_id)
    if status is not None:
        query = query.where(models.TagSuggestion.status == status)
    query = query.order_by(models.TagSuggestion.program_id, models.TagSuggestion.kind,
                           models.TagSuggestion.score.desc(), models.TagSuggestion.id)
    return list(session.scalars(query.limit(limit)))


def touch_catalog(session: Session) -> None:
    """Move the catalog dataset's load time: the recommender's cached reference data
    (knowledge.snapshot, keyed by it) is rebuilt on the next session."""
    count = session.scalar(select(func.count()).select_from(models.Program)) or 0
    session.execute(update(models.Dataset).where(models.Dataset.key == "catalog")
                    .values(loaded_at=models.utc_naive(), rows_loaded=count))


def decide(session: Session, suggestion_id: int, accept: bool) -> models.TagSuggestion:
    """Accept (write the program's tag) or reject a pending suggestion. Commits.

    Raises UnknownSuggestion, AlreadyDecided, or LookupError when the program or code is no
    longer in the knowledge base (the catalog was reloaded)."""
    suggestion = session.get(models.TagSuggestion, suggestion_id)
    if suggestion is None:
        raise UnknownSuggestion(suggestion_id)
    if suggestion.status != "pending":
        raise AlreadyDecided(f"suggestion {suggestion_id} is already {suggestion.status}")
    if accept:
        if session.get(models.Program, suggestion.program_id) is None:
            raise LookupError(f"program {suggestion.program_id!r} is not in the catalog")
        if suggestion.kind == "skill":
            if session.get(models.Skill, suggestion.code) is None:
                raise LookupError(f"skill {suggestion.code!r} is not in the vocabulary")
            if session.get(models.ProgramSkill, (suggestion.program_id, suggestion.code)) is None:
                session.add(models.ProgramSkill(program_id=suggestion.program_id,
                                                skill_code=suggestion.code))
        else:
            if session.get(models.Occupation, suggestion.code) is None:
                raise LookupError(f"occupation {suggestion.code!r} is not a NOC unit group")
            if session.get(models.ProgramOccupation,
                           (suggestion.program_id, suggestion.code)) is None:
                session.add(models.ProgramOccupation(program_id=suggestion.program_id,
                                                     noc=suggestion.code))
        touch_catalog(session)
    suggestion.status = "accepted" if accept else "rejected"
    suggestion.decided_at = models.utc_naive()
    session.commit()
    return suggestion
