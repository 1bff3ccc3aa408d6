"""Skills by the words people use ("CNC", "soudure", "Excel", "PLC"), the programs that teach
them, and browsing by sector when nothing matches.

Only the catalog's teachable topics (Skill.kind == "topic") are searched: they are what programs
are tagged with. A query matches a topic through its English or French name or a synonym: a whole
name or synonym inside the query is the strongest match; otherwise the query's words are looked up
in the names and synonyms (with light stemming, and typos repaired against their vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from knowledge import models, snapshot
from knowledge.constraints import fold, strip_places
from knowledge.language import Lang, as_lang
from knowledge.recommender import ProgramMatch, program_match, skill_name
from knowledge.vocabulary import LEARNER_LANGUAGES, SECTORS
from knowledge.vocabulary import label as term_label

MIN_SCORE = 0.6

# Words that say nothing about the skill itself ("which programs teach CNC?").
_STOPWORDS_TEXT = """
a an the and or of in on at to for with by from is are be i me my we you your it this that
which what who where how do does can could would should want need needs looking look find
learn learning teach teaches teaching taught program programs programme programmes course
courses class classes training skill skills about some any get have has please show tell
le la les un une des du de d l et ou en au aux pour avec par sur dans je j me mon ma mes nous
vous votre vos qui que quoi quel quels quelle quelles ou est sont veux voudrais cherche
chercher trouver apprendre enseigne enseignent enseigner formation formations cours competence
competences programme programmes montrer svp merci
improve improving upgrade ameliorer perfectionner
"""
# How a program is given ("online", "en ligne", "hybride"): a limit, which
# knowledge.constraints reads, never the subject ("is it online?" is no request for
# QuickBooks Online). The words come from knowledge.vocabulary's delivery terms.
_DELIVERY_WORDS = frozenset(
    word for code in ("online", "hybrid") for lang in LEARNER_LANGUAGES
    for word in fold(term_label("delivery", code, lang)).split())
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split()) | _DELIVERY_WORDS
# Two-letter words that are also short synonyms (AP, EA, CI, RE...): only matched when typed in
# capitals or when they are the whole query.
_COMMON_SHORT_TEXT = """
a an on in at to of or is it be as by we us me my do go no so up if am ai
de la le un en et ou au du je tu il ne se sa ce re ci ma ta mi
"""
_COMMON_SHORT = frozenset(_COMMON_SHORT_TEXT.split())

_WORD_RE = re.compile(r"[a-z0-9+#]+")
_TAG_RE = re.compile(r"<[^>]{0,100}>")


@dataclass(frozen=True)
class SkillMatch:
    id: str
    name: str
    score: float


def _tokens(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def _stem(token: str) -> str:
    """welding / welds -> weld, tables -> tabl (good enough to compare; "-er" is left alone so
    that "customer" does not meet "customs")."""
    for suffix in ("ings", "ing", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


@dataclass(frozen=True)
class _Alias:
    code: str
    lang: Lang
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class _Vocabulary:
    aliases: tuple[_Alias, ...]
    words: tuple[str, ...]          # every alias token of 5+ letters, for typo repair
    names: dict[str, tuple[str, str]]


def alias_texts(name: str | None, synonyms: Sequence[str] | None) -> list[str]:
    """A skill's name and synonyms, with "X (Y)" also as "X" and "Y"."""
    texts: list[str] = []
    for text in [name or "", *(synonyms or [])]:
        if not isinstance(text, str) or not text.strip():
            continue
        texts.append(text)
        # "MIG welding (GMAW)" is also "MIG welding" and "GMAW"
        inner = re.findall(r"\(([^)]*)\)", text)
        if inner:
            texts.append(re.sub(r"\([^)]*\)", " ", text).strip())
            texts.extend(inner)
    return texts


SkillRows = tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]


def skill_rows(session: Session) -> SkillRows:
    """(code, English name, French name, English synonyms, French synonyms) of every topic
    skill, by code; read once per knowledge-base version."""

    def read() -> SkillRows:
        skills = session.scalars(select(models.Skill).where(models.Skill.kind == "topic")
                                 .order_by(models.Skill.code)).all()
        return tuple((s.code, s.name_en, s.name_fr or s.name_en, tuple(s.synonyms_en or ()),
                      tuple(s.synonyms_fr or ())) for s in skills)

    return snapshot.cached(session, "skill_rows", read)


def _vocabulary(session: Session) -> _Vocabulary:
    return _build_vocabulary(skill_rows(session))


@lru_cache(maxsize=4)
def _build_vocabulary(rows: SkillRows
                      ) -> _Vocabulary:
    aliases: list[_Alias] = []
    words: set[str] = set()
    for code, name_en, name_fr, syn_en, syn_fr in rows:
        by_lang: tuple[tuple[Lang, list[str]], ...] = (("en", alias_texts(name_en, syn_en)),
                                                       ("fr", alias_texts(name_fr, syn_fr)))
        for lang, texts in by_lang:
            for text in texts:
                tokens = tuple(_tokens(text))
                if tokens:
                    aliases.append(_Alias(code, lang, tokens))
                    words.update(t for t in tokens if len(t) >= 5)
    names = {code: (name_en, name_fr) for code, name_en, name_fr, _, _ in rows}
    return _Vocabulary(tuple(aliases), tuple(sorted(words)), names)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i:i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def resolve_skills(session: Session, text: str, lang: Lang | None = None,
                   limit: int = 3) -> list[SkillMatch]:
    """The catalog skills ``text`` names, best first; [] when nothing matches reasonably."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = _TAG_RE.sub(" ", text[:500])
    vocabulary = _vocabulary(session)
    # "welding in Sudbury": the place is a constraint, not part of the skill
    raw = _tokens(strip_places(" ".join(_tokens(text))))
    if not raw:
        return []
    capitals = {fold(w) for w in re.findall(r"\b[A-Z][A-Z0-9+#]{1,}\b", text)}
    whole_query = len(raw) == 1

    # Repair typos of longer words against the skills' own vocabulary ("weldng" -> "welding").
    repaired: list[str] = []
    typo = False
    known = set(vocabulary.words)
    for token in raw:
        if len(token) >= 5 and token not in known and token not in _STOPWORDS:
            # one slip (missing, extra, wrong or swapped letter); two in long words
            best = process.extractOne(token, vocabulary.words,
                                      scorer=DamerauLevenshtein.distance,
                                      score_cutoff=1 if len(token) < 8 else 2)
            if best is not None:
                repaired.append(best[0])
                typo = True
                continue
        repaired.append(token)
    # "IT", "PM" typed in capitals (in a message not all in capitals) are the subject, not
    # the pronoun or a filler word.
    subject = capitals if text != text.upper() or whole_query else set()
    content = [t for t in repaired if t not in _STOPWORDS or t in subject]
    content_stems = {_stem(t) for t in content}

    best_scores: dict[str, tuple[float, str, frozenset[str]]] = {}
    for alias in vocabulary.aliases:
        score = 0.0
        words: frozenset[str] = frozenset()  # the query's words this alias explains
        if len(alias.tokens) == 1 and len(alias.tokens[0]) <= 2:
            # short synonyms ("EA", "AZ"): typed in capitals, or the whole query
            token = alias.tokens[0]
            if token in repaired and (token in capitals or whole_query
                                      or token not in _COMMON_SHORT):
                score = 1.0 if content == [token] else 0.95
                words = frozenset({token})
        elif _contains(repaired, alias.tokens):
            alias_content = {t for t in alias.tokens if t not in _STOPWORDS} or set(alias.tokens)
            covered = len(alias_content & set(content)) / max(1, len(set(content)))
            score = 1.0 if covered >= 1 else 0.8 + 0.15 * covered
            words = frozenset(alias.tokens)
        elif content_stems:
            alias_stems = {_stem(t) for t in alias.tokens
                           if t not in _STOPWORDS or t in subject}
            shared = content_stems & alias_stems
            covered = len(shared) / len(content_stems)
            if shared and covered >= 0.5:
                # words of the query left unexplained count against the match
                score = (0.5 + 0.25 * len(shared) / max(1, len(alias_stems)) + 0.1 * covered) \
                    * (0.6 + 0.4 * covered)
                words = frozenset(t for t in content if _stem(t) in shared)
        if score <= 0:
            continue
        if typo:
            score *= 0.9
        if lang and alias.lang == lang:
            score += 0.01
        previous = best_scores.get(alias.code)
        if previous is None or score > previous[0]:
            best_scores[alias.code] = (score, alias.lang, words)

    def position(words: frozenset[str]) -> int:
        return min((i for i, t in enumerate(repaired) if t in words), default=len(repaired))

    # Equal matches: the one named first leads ("infection control in long-term care" is
    # about infection control; the care setting comes after).
    found = sorted(((score, code, alias_lang, words) for code, (score, alias_lang, words)
                    in best_scores.items() if score >= MIN_SCORE),
                   key=lambda item: (-round(item[0], 3), position(item[3]), item[1]))
    # "mental health first aid" names Mental Health First Aid, not also First Aid: a match
    # whose words are all part of a better match that explains more of the query is dropped.
    kept: list[tuple[float, str, str, frozenset[str]]] = []
    for item in found:
        if not any(item[3] < better[3] and item[0] < better[0] for better in kept):
            kept.append(item)
    matches: list[SkillMatch] = []
    for score, code, alias_lang, _ in kept[:max(0, limit)]:
        name_en, name_fr = vocabulary.names[code]
        shown_lang = lang or alias_lang
        matches.append(SkillMatch(code, name_fr if shown_lang == "fr" else name_en,
                                  round(min(score, 1.0), 3)))
    return matches


def _programs(session: Session) -> list[models.Program]:
    return list(session.scalars(
        select(models.Program).options(joinedload(models.Program.institution),
                                       joinedload(models.Program.skills))
        .order_by(models.Program.id)).unique())


# How much of a program a taught skill is: named in its title, in its description, or only
# listed among its skills (an incidental tool such as Excel inside payroll).
IN_TITLE, IN_DESCRIPTION, LISTED_ONLY = 1.0, 0.7, 0.3
# The query's second and third skills count much less than its best one: a program teaching
# only one of them (the care setting in "infection control in long-term care", the "mental
# health" first aid next to first aid) falls under the recommender's MIN_RELATIVE_TOPIC_FIT
# of a program about it.
LATER_SKILL_WEIGHT = 0.55
ALSO_TEACHES_BONUS = 0.25  # each further wanted skill a program teaches, times its centrality


def content_stems(text: str | None) -> frozenset[str]:
    """The stems of the words of ``text`` that say what it is about (no "the", "courses")."""
    return frozenset(_stem(t) for t in _tokens(text or "") if t not in _STOPWORDS)


# A skill matched more weakly is not what the learner asked for; a word of a longer skill name
# ("welding" in "MIG welding", 0.73) is.
TOPIC_FROM = 0.7


def topic_skills(session: Session, text: str | None, lang: Lang | None,
                 limit: int = 3) -> list[SkillMatch]:
    """The catalog skills a topic the learner named is about (``resolve_skills``, the weak
    matches left out: "technician" is no request for blueprint reading)."""
    if not text or not text.strip():
        return []
    return [m for m in resolve_skills(session, text, lang, limit) if m.score >= TOPIC_FROM]


def unexplained_stems(session: Session, text: str, skill_ids: Sequence[str]
                      ) -> frozenset[str]:
    """The content stems of ``text`` that no name or synonym of the skills holds: what the
    request adds to the skill ("charger installation" in "EV charger installation",
    "construction" in "lecture de plans en construction")."""
    explained: set[str] = set()
    aliases = _alias_stems(session)
    for code in skill_ids:
        for stems in aliases.get(code, ()):
            explained |= stems
    return frozenset(t for t in content_stems(strip_places(text)) if t not in explained)


def _alias_stems(session: Session) -> dict[str, tuple[frozenset[str], ...]]:
    """Skill code -> the content stems of each of its names and synonyms (EN and FR)."""

    def build() -> dict[str, tuple[frozenset[str], ...]]:
        found: dict[str, set[frozenset[str]]] = {}
        for alias in _vocabulary(session).aliases:
            stems = frozenset(_stem(t) for t in alias.tokens if t not in _STOPWORDS)
            if stems:
                found.setdefault(alias.code, set()).add(stems)
        return {code: tuple(sorted(v, key=sorted)) for code, v in found.items()}

    return snapshot.cached(session, "skill_alias_stems", build)


def centrality(session: Session, program: models.Program, skill_code: str,
               taught: Collection[str] | None = None) -> float:
    """How central ``skill_code`` is to what ``program`` teaches: IN_TITLE when one of the
    skill's names or synonyms is in the program's title (EN or FR), IN_DESCRIPTION when it is
    in its description, LISTED_ONLY when the catalog lists it but neither text mentions it,
    0 when the program does not teach it. ``taught``: the program's skill codes, if known."""
    codes = {s.code for s in program.skills} if taught is None else taught
    if skill_code not in codes:
        return 0.0
    aliases = _alias_stems(session).get(skill_code, ())
    title = content_stems(program.title_en) | content_stems(program.title_fr)
    if any(a <= title for a in aliases):
        return IN_TITLE
    description = content_stems(program.description_en) | content_stems(program.description_fr)
    if any(a <= description for a in aliases):
        return IN_DESCRIPTION
    return LISTED_ONLY


def skill_fit(session: Session, program: models.Program, skill_ids: Sequence[str],
              taught: Collection[str] | None = None) -> float:
    """How well ``program`` fits skills asked for, best first: its most central wanted skill
    (later ones weigh less), plus a little for each further one it teaches; 0 if none."""
    codes = {s.code for s in program.skills} if taught is None else taught
    weights = [centrality(session, program, code, codes)
               * (1.0 if i == 0 else LATER_SKILL_WEIGHT) for i, code in enumerate(skill_ids)]
    found = sorted((w for w in weights if w > 0), reverse=True)
    if not found:
        return 0.0
    return round(found[0] + ALSO_TEACHES_BONUS * sum(found[1:]), 4)


def _spread(items: list[tuple[models.Program, list[str], float]], lang: Lang,
            limit: int) -> list[ProgramMatch]:
    """``items`` best first as cards; within programs that fit equally well, the same course
    offered by several schools (same skills) is spread out so the first cards differ. A
    worse fit never moves ahead of a better one."""
    ordered: list[tuple[models.Program, list[str], float]] = []
    start = 0
    while start < len(items):
        end = start
        while end < len(items) and abs(items[end][2] - items[start][2]) < 1e-9:
            end += 1
        seen: set[frozenset[str]] = set()
        first: list[tuple[models.Program, list[str], float]] = []
        rest: list[tuple[models.Program, list[str], float]] = []
        for item in items[start:end]:
            key = frozenset(s.code for s in item[0].skills)
            (rest if key in seen else first).append(item)
            seen.add(key)
        ordered += first + rest
        start = end
    return [program_match(p, names, score, None, lang)
            for p, names, score in ordered[:max(0, limit)]]


def sector_choices(session: Session, lang: Lang) -> list[tuple[str, str]]:
    """(sector code, label in ``lang``) for every sector that has programs."""
    codes = session.scalars(
        select(models.Program.sector).where(models.Program.sector != "").distinct()).all()
    words = as_lang(lang)
    ordered = [c for c in SECTORS if c in set(codes)]
    ordered += sorted(set(codes) - set(SECTORS))
    return [(c, term_label("sector", c, words) if c in SECTORS else c.replace("_", " "))
            for c in ordered]


def sectors(session: Session, lang: Lang) -> list[str]:
    """Sector labels in ``lang`` (for "browse by sector" when nothing matches)."""
    return [label for _, label in sector_choices(session, lang)]


def sector_code(sector: str) -> str | None:
    """A sector code from its code or its label in either language (typos tolerated)."""
    if not isinstance(sector, str) or not sector.strip():
        return None
    key = fold(sector).strip().replace(" ", "_")
    if key in SECTORS:
        return key
    labels = {fold(term_label("sector", code, lang)): code
              for code in SECTORS for lang in LEARNER_LANGUAGES}
    best = process.extractOne(fold(sector).strip(), list(labels), scorer=fuzz.WRatio,
                              score_cutoff=85)
    return labels[best[0]] if best else None


def programs_in_sector(session: Session, sector: str, lang: Lang,
                       limit: int = 5) -> list[ProgramMatch]:
    """Programs of a sector (code or label), OSAP-eligible first, then cheaper."""
    code = sector_code(sector)
    if code is None:
        return []
    programs = [p for p in _programs(session) if p.sector == code]
    programs.sort(key=lambda p: (not p.osap_eligible, float(p.cost), p.weeks, p.id))
    return _spread([(p, sorted(skill_name(s, lang) for s in p.skills), 0.0) for p in programs],
                   lang, limit)
