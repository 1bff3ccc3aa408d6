"""The title index: NOC 2021 example titles (EN + FR, gender pairs expanded, acronyms spelled
out in the titles as readings of their own) and unit group titles, searchable by what people type.

How a query is answered (``TitleIndex.resolve``); nothing scans the whole index:

1. Clean: HTML tags dropped, cut to ``MAX_QUERY_CHARS`` (on a word boundary), folded (case,
   accents), "I work as a" / "j'étais" phrases removed, anything after "except"/"sauf" dropped.
2. Words: stop words dropped; abbreviations expanded from the data tables in
   ``abbreviations.py`` (each expansion is a query *variant*, the best per NOC wins); seniority
   words ("senior", "principal") optional; every word of the titles has its reading computed at
   build time, other words are corrected with a symmetric-delete dictionary (``spell.SymSpell``,
   up to two edits, corrections that co-occur with the other query words preferred); words
   nowhere near the vocabulary ("walmart", "asdfgh") are left out.
3. Shortlist from the inverted index: titles holding two of the query words (set intersections,
   one word among the three rarest) and the shortest titles holding each rare word; a source that
   could not bring a title within ``PRUNE`` of the best so far is skipped (MaxScore-style).
4. Score: an IDF-weighted F1 of "share of the query the title covers" and "share of the title
   the query covers". A title's head noun weighs more ("nurse" in "registered nurse"), its
   qualifiers and parentheses less ("welder - pipeline" still answers "welder"), corrected or
   lower-case-acronym readings count less than exact ones.
5. Per NOC: the best title, a small bonus when several of its titles match, and rapidfuzz's
   ``fuzz.ratio`` between the query variant and the title as a tie-breaker (word order, small
   words). Then ``clear`` (one NOC ahead by a margin, not in a crowd), ``ambiguous`` (ask back)
   or ``none`` (best score under ``NONE_BELOW``).
"""

from __future__ import annotations

import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz

from knowledge.language import Lang, as_lang
from knowledge.loaders.noc import ExampleTitleRow, UnitGroupRow
from knowledge.loaders.report import RowError
from knowledge.resolver import abbreviations as ab
from knowledge.resolver.normalize import (
    STOPWORDS,
    clear_parse_cache,
    content_tokens,
    gender_variants,
    normalize,
    parse_title,
    stem,
)
from knowledge.resolver.spell import SymSpell

if TYPE_CHECKING:
    from knowledge.resolver.hybrid import HybridResolver

Status = Literal["clear", "ambiguous", "none"]

ACRONYM_MARK = "#"  # suffix of acronym tokens in the index ("cnc#")
MAX_QUERY_CHARS = 200  # a job title is a few words; the rest of a long paste is noise
MAX_VARIANTS = 8  # abbreviation readings tried per query
MAX_READINGS = 3  # corrections kept per misspelt word (the speller proposes up to 8)

# Title-side weights.
HEAD_BOOST = 1.6  # the head noun of a title weighs more than its modifiers
SOFT_WEIGHT = 0.6  # qualifier after " - " and parentheses: may match, costs less if absent
# Query-side confidence of a corrected word, by edit distance.
CORRECTION_FACTOR = {0: 1.0, 1: 0.9, 2: 0.75}
SHORT_WORD = 5  # ... one edit in a word this short changes it more ("hello" -> "cello"):
SHORT_CORRECTION_FACTOR = 0.8
# A rare known word (at most RARE_WORD titles) is also read as a common word one edit away
# (RARE_RATIO times more frequent), with this confidence: "rive pilot" -> "river pilot".
RARE_WORD = 10
RARE_RATIO = 5
REAL_WORD_FACTOR = 0.85
OTHER_LANG_FACTOR = 0.96  # a title in the other language, when the caller gave ``lang``
DETECTED_LANG_FACTOR = 0.99  # ... when the language was only detected: a tie-breaker
UNKNOWN_LANG_FACTOR = 0.999  # ... when it cannot be told: English titles win exact ties
LITERAL_ABBREVIATION_FACTOR = 0.9  # "rpn" read literally, below its Ontario expansion
ACRONYM_FACTOR = 0.7  # an acronym typed in lower case ("cat" is "(CAT)" only if in capitals)

# Shortlist sizes.
SINGLE_CAP = 24  # shortest titles taken from each query word's posting list
PAIR_CAP = 20  # titles taken from the intersection of two words' posting lists ...
PAIR_CHUNK = 60  # ... looking first at this many of the shorter list's shortest titles,
PAIR_SCAN = 800  # ... and at most at this many
SET_FROM = 16  # posting lists longer than this are also kept as sets
PRUNE = 0.2  # a source of titles that cannot come this close to the best is skipped
RERANK = 8  # leading NOCs re-scored with rapidfuzz (at least ``top``)
SUPPORT_BONUS = 2.5  # per other title of the NOC matching nearly as well ...
SUPPORT_WITHIN = 0.85  # ... (this share of its best score or more) ...
SUPPORT_MAX = 4  # ... counting up to this many
SHOWN_WITHIN = 0.05  # a title in the answer language this close is the one shown
RATIO_WEIGHT = 0.05  # share of rapidfuzz's character ratio in the final score (a tie-breaker)

# Decision thresholds (scores are 0-100).
NONE_BELOW = 50.0  # best candidate under this: nothing plausible
CLEAR_FROM = 72.0  # best candidate must reach this to be clear ...
CLEAR_LEAD = 8.0  # ... and lead the next NOC by this much (EXACT_LEAD for a near-exact match)
EXACT_FROM = 95.0
EXACT_LEAD = 5.0
CROWD_WITHIN = 20.0  # under NEAR_EXACT, a clear answer has at most CROWD_MAX NOCs this close
NEAR_EXACT = 90.0
CROWD_MAX = 3
KEEP_WITHIN = 25.0  # candidates further than this behind the best are not returned

_TAG = re.compile(r"<[^>]{0,200}>")
_FR_CHARS = re.compile(r"[àâçéèêëîïôûùüÿœ]")
_FR_FUNCTION = frozenset({"de", "du", "des", "la", "le", "les", "aux", "au", "et", "en", "une",
                          "d", "l", "je", "suis"})
_EN_FUNCTION = frozenset({"of", "the", "and", "in", "for", "i", "am", "my", "at", "with"})


@dataclass(frozen=True)
class Candidate:
    noc: str
    title: str  # the unit group title in the answer language
    score: float  # 0-100
    matched_title: str  # the example (or unit group) title that matched, as published


@dataclass(frozen=True)
class Resolution:
    status: Status
    # A tuple: an answer is shared (the resolver remembers its recent answers).
    candidates: tuple[Candidate, ...]
    query: str
    lang: Lang


@dataclass(frozen=True)
class LexicalRanking:
    """The lexical path's answer before any status is given (the hybrid resolver's input)."""

    # (score 0-100, tie-break, noc, index of the title shown, score of that title alone)
    scored: list[tuple[float, float, str, int, float]]
    query: str  # the text as typed, trimmed
    lang: Lang  # the answer language
    text_lang: Lang | None  # the language the text looks written in (None: cannot tell)
    meaning: str  # the text whose meaning is searched: the title, abbreviations spelt out
    has_words: bool  # False: nothing in the text could be a title word
    # noc -> the reading of the query its best title answers, when the query had several
    # ("ea": educational assistant, executive assistant); empty with one reading
    readings: dict[str, str] = field(default_factory=dict)

    def status(self) -> Status:
        """The lexical path's own verdict on its leader (``_status``)."""
        if not self.scored or self.scored[0][0] < NONE_BELOW:
            return "none"
        return _status([s[0] for s in self.scored], [s[4] for s in self.scored])


# A query word: its readings (token, confidence, idf), whether it is optional, its weight.
_Group = tuple[tuple[tuple[str, float, float], ...], bool, float]


def _phrase_table() -> dict[str, list[tuple[str, ...]]]:
    table: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for phrase in ab.NOISE_PHRASES:
        words = tuple(phrase.split())
        table[words[0]].append(words)
    for options in table.values():
        options.sort(key=len, reverse=True)  # longest first
    return dict(table)


_PHRASES = _phrase_table()
_EXCLUSION_WORDS = frozenset({"except", "excluding", "sauf", "excepte", "excluant"})


def _expansions(table: dict[str, tuple[str, ...]]
                ) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """abbreviation -> its expansions as (folded text, content tokens)."""
    return {abbr: tuple((normalize(p), tuple(content_tokens(normalize(p)))) for p in phrases)
            for abbr, phrases in table.items()}


_EN_EXPANSIONS = _expansions(ab.EN_ABBREVIATIONS)
_ONE_WORD = _expansions(ab.ONE_WORD_READINGS)
_FR_EXPANSIONS = _expansions(ab.FR_ABBREVIATIONS)
_FR_NOISE = frozenset(tuple(p.split()) for p in (
    "je suis", "etais", "je travaille comme", "je travaillais comme", "ai travaille comme",
    "ai ete", "mon emploi est", "mon metier est", "en tant que", "comme", "ancien", "ancienne",
    "actuellement", "je travaille"))


def _strip_phrases(words: list[str]) -> tuple[list[str], bool]:
    """The words without the noise phrases ("i work as", "je suis"), and whether a French
    phrase was among them."""
    out: list[str] = []
    french = False
    i, n = 0, len(words)
    while i < n:
        options = _PHRASES.get(words[i])
        if options:
            for phrase in options:
                k = len(phrase)
                if tuple(words[i:i + k]) == phrase:
                    french = french or phrase in _FR_NOISE
                    i += k
                    break
            else:
                out.append(words[i])
                i += 1
        else:
            out.append(words[i])
            i += 1
    return out, french


class TitleIndex:
    """Example and unit group titles of NOC 2021, indexed for typed job titles."""

    def __init__(self) -> None:  # use ``build``
        self.nocs: list[str] = []
        self.langs: list[Lang] = []
        self.published: list[str] = []
        self.weights: list[dict[str, float]] = []
        self.totals: list[float] = []
        self.entries: list[tuple[dict[str, float], float, Lang]] = []
        self.texts: list[str] = []
        self.postings: dict[str, list[int]] = {}
        self.posting_sets: dict[str, frozenset[int]] = {}
        self.idf: dict[str, float] = {}
        self.lang_evidence: dict[str, float] = {}

        self.group_titles: dict[str, tuple[str, str]] = {}
        self.speller: SymSpell | None = None
        self.hybrid: HybridResolver | None = None  # set by ``hybrid.attach``
        self._known: dict[str, tuple[tuple[tuple[str, float, float], ...], ...]] = {}

    # --- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, unit_groups: Iterable[UnitGroupRow | RowError],
              titles: Iterable[ExampleTitleRow | RowError]) -> TitleIndex:
        """Index the unit groups and their example titles, once at start-up. The loaders' rows
        can be passed as they come: ``RowError`` (or any other) rows are skipped."""
        self = cls()
        for group in unit_groups:
            if isinstance(group, UnitGroupRow):
                self.group_titles[group.noc] = (group.title_en, group.title_fr)
        sources: list[tuple[str, Lang, str]] = []  # (noc, lang, published title)
        for row in titles:
            if not isinstance(row, ExampleTitleRow) or row.lang not in ("en", "fr"):
                continue
            if self.group_titles and row.noc not in self.group_titles:
                continue
            if row.title.strip():
                sources.append((row.noc, row.lang, row.title.strip()))
        for noc, (title_en, title_fr) in self.group_titles.items():
            sources.append((noc, "en", title_en))
            sources.append((noc, "fr", title_fr))
        self._index(sources)
        return self

    def _index(self, sources: list[tuple[str, Lang, str]]) -> None:
        raw: list[tuple[str, Lang, str, tuple[str, ...], tuple[str, ...], str | None, str]] = []
        seen: set[tuple[str, Lang, frozenset[str], str | None]] = set()
        for noc, lang, published in sources:
            for variant in gender_variants(published):
                parsed = parse_title(variant, lang)
                if not parsed.main:
                    continue
                text = normalize(variant)
                readings = [(parsed.main, parsed.soft, parsed.head, text)]
                for acronym, expansion in parsed.acronyms:
                    # "early childhood educator (ECE)" is also indexed as "ece".
                    if not set(expansion) <= set(parsed.main):
                        continue
                    # Kept apart from the ordinary word ("cat" vs "(CAT)"): see ``_reading``.
                    acronym = acronym + ACRONYM_MARK
                    main = tuple(t for t in parsed.main if t not in expansion) + (acronym,)
                    head = acronym if parsed.head in expansion else parsed.head
                    soft = tuple(t for t in parsed.soft if t != acronym)
                    short = " ".join(t.rstrip(ACRONYM_MARK) for t in main + soft)
                    readings.append((main, soft, head, short))
                for main, soft, head, text in readings:
                    key = (noc, lang, frozenset(main + soft), head)
                    if key in seen:
                        continue
                    seen.add(key)
                    raw.append((noc, lang, published, main, soft, head, text))

        df: dict[str, int] = defaultdict(int)
        lang_df: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _noc, lang, _pub, main, soft, _head, _text in raw:
            for token in main + soft:
                df[token] += 1
                lang_df[token][lang == "fr"] += 1
        n = len(raw)
        self.idf = {t: math.log(1.0 + n / c) for t, c in df.items()}
        self.lang_evidence = {t: _lang_evidence(en, fr) for t, (en, fr) in lang_df.items()}

        # One string object per word (the vocabulary's), so lookups compare pointers.
        self.idf = {sys.intern(t): w for t, w in self.idf.items()}
        vocab = {t: t for t in self.idf}
        postings: dict[str, list[int]] = defaultdict(list)
        for eid, (noc, lang, published, main, soft, head, text) in enumerate(raw):
            weights: dict[str, float] = {}
            for token in main:
                weights[vocab[token]] = self.idf[token] * (HEAD_BOOST if token == head else 1.0)
            for token in soft:
                weights[vocab[token]] = self.idf[token] * SOFT_WEIGHT
            self.nocs.append(noc)
            self.langs.append(lang)
            self.published.append(published)
            self.weights.append(weights)
            self.totals.append(sum(weights.values()))
            self.texts.append(text)
            for token in weights:
                postings[token].append(eid)
        totals = self.totals
        self.postings = {t: sorted(ids, key=totals.__getitem__) for t, ids in postings.items()}
        # As sets too, for intersections; short lists are turned into sets when needed.
        self.posting_sets = {t: frozenset(ids) for t, ids in postings.items()
                             if len(ids) > SET_FROM}
        # What scoring reads per title, in one place: (weights, total weight, language).
        self.entries = list(zip(self.weights, self.totals, self.langs, strict=True))
        # Typos are made on the words as typed, so the speller knows them unstemmed.
        surface: dict[str, int] = defaultdict(int)
        for text in self.texts:
            for word in set(text.split()):
                if word not in STOPWORDS and not word.isdigit():
                    surface[word] += 1
        self.speller = SymSpell(surface)
        # Every word of the titles, read once now: (readings in lower case, in capitals).
        self._known = {}
        for word in surface:
            lower = self._reading(stem(word), word, False)
            upper = self._reading(stem(word), word, True)
            self._known[word] = (lower, lower if upper == lower else upper)
        clear_parse_cache()

    def __len__(self) -> int:
        return len(self.nocs)

    def _set(self, token: str) -> frozenset[int]:
        found = self.posting_sets.get(token)
        return found if found is not None else frozenset(self.postings[token])

    # --- query analysis ---------------------------------------------------------------------

    def _reading(self, token: str, word: str, capitals: bool
                 ) -> tuple[tuple[str, float, float], ...]:
        """How a query word (``token`` its stem) reads against the vocabulary: as itself, as an
        acronym, or as its closest corrections; (token, confidence, idf) each."""
        idf = self.idf
        acronym = word + ACRONYM_MARK
        if acronym in idf:  # "CNC", "ECE", "MPP": full confidence when typed in capitals
            own = self._word_reading(token, word)
            return own + ((sys.intern(acronym), 1.0 if capitals else ACRONYM_FACTOR,
                           idf[acronym]),)
        return self._word_reading(token, word)

    def _word_reading(self, token: str, word: str) -> tuple[tuple[str, float, float], ...]:
        idf = self.idf
        speller = self.speller
        if token in idf:
            exact = (sys.intern(token), 1.0, idf[token])
            freq = speller.frequencies.get(word, 0) if speller else RARE_WORD + 1
            if freq > RARE_WORD or len(word) < 4 or speller is None:
                return (exact,)
            # A rare word may be a typo of a common one ("rive pilot", "cattle sealer").
            out = {token: exact}
            for surface, _d in speller.neighbours(word):
                corrected = stem(surface)
                if corrected in idf and corrected not in out \
                        and speller.frequencies[surface] >= RARE_RATIO * max(freq, 1):
                    out[corrected] = (sys.intern(corrected), REAL_WORD_FACTOR, idf[corrected])
            return tuple(out.values())
        if token.isdigit() or speller is None or word + ACRONYM_MARK in idf:
            return ()
        out = {}
        for surface, d in speller.lookup(word, limit=8):
            corrected = stem(surface)
            if corrected in idf and corrected not in out:
                cf = SHORT_CORRECTION_FACTOR if len(word) <= SHORT_WORD else CORRECTION_FACTOR[d]
                out[corrected] = (sys.intern(corrected), cf, idf[corrected])
        return tuple(out.values())

    def _analyse(self, text: str) -> tuple[list[tuple[list[_Group], str]], Lang | None]:
        """Query variants (word groups, and as text) and the language the text looks written
        in."""
        french = not text.isascii() and bool(_FR_CHARS.search(text.lower()))
        folded = normalize(text).split()
        cleaned, french_phrase = _strip_phrases(folded)
        cleaned = _rewrite_field_phrases(cleaned)
        for i, w in enumerate(cleaned):
            if w in _EXCLUSION_WORDS and i > 0:  # "sales manager except retail": the exclusion
                cleaned = cleaned[:i]  # names what the job is not
                break
        french = french or french_phrase
        cleaned = _without_workplace(cleaned)
        words = [w for w in cleaned if w not in ab.QUERY_STOPWORDS]
        if any(w in _FR_FUNCTION for w in words):
            french = True
        english = any(w in _EN_FUNCTION for w in cleaned)
        words = [w for w in words if w not in STOPWORDS]
        if not words and cleaned:  # only small words: keep them
            words = [w for w in folded if w not in STOPWORDS]
        whole = len(words) == 1

        words = words[:12]
        lang = self._text_lang(french, english, words)

        # Each slot is a list of alternative readings of one word: (text, tokens), the tokens
        # as (token, optional, confidence, word as typed).
        slots: list[list[tuple[str, tuple[tuple[str, bool, float, str], ...]]]] = []
        for word in words:
            optional = word in ab.OPTIONAL_WORDS
            word = ab.SPELLING_VARIANTS.get(word, word)
            word = _abbreviation_singular(word)  # "psws", "rpns": PSW, RPN
            en = _EN_EXPANSIONS.get(word, ())
            fr = _FR_EXPANSIONS.get(word, ())
            if whole and word in _ONE_WORD:  # "teacher" alone: which teacher?
                en, fr = _ONE_WORD[word], ()
            expansions = fr + en if lang == "fr" else en + fr
            if expansions and word in ab.AMBIGUOUS_SHORT and not whole \
                    and not _typed_in_capitals(word, text):
                expansions = ()  # "it" / "IT": only the capitals are Information Technology
            token = stem(word)
            if expansions:
                readings = [(phrase, tuple((t, False, 1.0, t) for t in tokens))
                            for phrase, tokens in dict.fromkeys(expansions)]
                if token in self.idf or word in ab.AMBIGUOUS_SHORT:
                    readings.append((word, ((token, optional, LITERAL_ABBREVIATION_FACTOR,
                                             word),)))
                slots.append(readings)
            else:
                slots.append([(word, ((token, optional, 1.0, word),))])

        variants: list[tuple[list[_Group], str]] = []
        cache: dict[str, tuple[tuple[str, float, float], ...]] = {}
        for combo in product(*slots):
            if len(variants) >= MAX_VARIANTS:
                break
            groups: list[_Group] = []
            used: set[str] = set()
            for _text, reading in combo:
                for token, optional, confidence, surface in reading:
                    if token in used:
                        continue
                    used.add(token)
                    alts = cache.get(token)
                    if alts is None:
                        known = self._known.get(surface)
                        if known is not None:
                            alts = known[0]
                            if known[1] is not alts and _typed_in_capitals(surface, text):
                                alts = known[1]
                        else:
                            capitals = (surface + ACRONYM_MARK in self.idf
                                        and _typed_in_capitals(surface, text))
                            alts = self._reading(token, surface, capitals)
                        cache[token] = alts
                    if alts and confidence != 1.0:
                        alts = tuple((t, cf * confidence, idf) for t, cf, idf in alts)
                    if alts:
                        groups.append((alts, optional, max(a[2] for a in alts)))
            if any(len(g[0]) > MAX_READINGS for g in groups):
                groups = self._in_context(groups)
            if groups and all(g[1] for g in groups):  # only "senior": then it is the query
                groups = [(a, False, w) for a, _o, w in groups]
            if groups:
                # The variant as text, for the character-level tie-breaker.
                variants.append((groups, " ".join(t for t, _r in combo)))
        return variants, lang

    def _in_context(self, groups: list[_Group]) -> list[_Group]:
        """Keep MAX_READINGS corrections per word, preferring those that appear in a title
        with another query word: "rive pilot" -> "river" (river pilot), not "drive"."""
        sets = self._set
        out: list[_Group] = []
        for gi, (alts, optional, den) in enumerate(groups):
            if len(alts) > MAX_READINGS:
                others = [sets(a[0]) for gj, g in enumerate(groups) if gj != gi
                          for a in g[0] if len(g[0]) == 1]
                fits = [a for a in alts if any(not sets(a[0]).isdisjoint(o) for o in others)]
                alts = tuple(fits + [a for a in alts if a not in fits])[:MAX_READINGS]
                den = max(a[2] for a in alts)
            out.append((alts, optional, den))
        return out

    def _text_lang(self, french: bool, english: bool, words: list[str]) -> Lang | None:
        """"fr", "en" or None (cannot tell) from the text alone."""
        if french != english:
            return "fr" if french else "en"
        table = self.lang_evidence
        evidence = sum(table.get(stem(word), 0.0) for word in words)
        if evidence > 3.0:
            return "fr"
        if evidence < -3.0:
            return "en"
        return None

    # --- scoring -----------------------------------------------------------------------------

    def _search(self, groups: list[_Group], vi: int, lang: Lang | None, lang_factor: float,
                best: dict[int, float], origin: dict[int, int]) -> None:
        """Score the titles worth scoring for query variant ``vi``, into ``best``/``origin``.

        Sources of titles, from the inverted index: for each pair of query words, one of them
        among the three rarest, the (shortest) titles holding both; for each of the three
        rarest, the shortest titles holding it. A source is skipped when even a title holding
        nothing else could not come within ``PRUNE`` of the best score so far (MaxScore-style):
        "operator" alone cannot matter once "embossing machine operator" matched exactly.

        The score of a title is the F1 of P (share of the title's weight the query covers) and
        R (share of the query's required weight the title covers).
        """
        required = [g for g in groups if not g[1]] or groups
        ordered = sorted(required, key=lambda g: -g[2])[:8]  # rarest words first
        dq = sum(g[2] for g in required) or 1.0
        rest = dq - sum(g[2] for g in ordered[:3])  # weight of the words after the 3 rarest
        postings, sets = self.postings, self._set
        words = [[a[0] for a in g[0] if a[0] in postings] for g in ordered]
        # (bound, kind, i, j): kind 0 for a pair of words, 1 for one word (j == -1).
        sources: list[tuple[float, int, int, int]] = []
        for i in range(min(3, len(ordered))):
            for j in range(i, len(ordered)):
                covered = ordered[i][2] + (ordered[j][2] if i < j < 3 else 0.0)
                r = min(1.0, (covered + rest) / dq)
                sources.append((2.0 * r / (1.0 + r), int(i == j), i, j if j != i else -1))
        sources.sort(key=lambda src: (-src[0], src[1]))

        # (token, query-side weight, confidence, word bit); a word's readings best first.
        flat: list[tuple[str, float, float, int]] = []
        for gi, (alts, optional, _den) in enumerate(groups):
            for token, cf, idf in sorted(alts, key=lambda a: -a[1] * a[2]):
                flat.append((token, 0.0 if optional else idf * cf, cf, 1 << gi))
        several = len(flat) > len(groups)  # some word has several readings
        simple = [(token, qw, cf) for token, qw, cf, _bit in flat]
        entries, totals = self.entries, self.totals
        other_lang = lang is not None and lang_factor != 1.0
        get = best.get
        top = max(best.values()) if best else 0.0
        scored: set[int] = set()
        for bound, _kind, i, j in sources:
            if bound < top - PRUNE:
                break
            cands: set[int] = set()
            for a in words[i]:
                pa = postings[a]
                if j == -1:
                    cands.update(pa[:SINGLE_CAP])
                    continue
                for b in words[j]:
                    pb = postings[b]
                    small, other = (pa, sets(b)) if len(pa) <= len(pb) else (pb, sets(a))
                    if len(small) <= PAIR_CAP:
                        cands.update(other.intersection(small))
                    else:  # two common words: the shortest titles holding both
                        hits = other.intersection(small[:PAIR_CHUNK])
                        if len(hits) < PAIR_CAP:
                            more = other.intersection(small[PAIR_CHUNK:PAIR_SCAN])
                            if len(hits) + len(more) > PAIR_CAP:
                                cands.update(sorted(more, key=totals.__getitem__)[
                                    : PAIR_CAP - len(hits)])
                            else:
                                cands.update(more)
                        cands.update(hits)
            cands -= scored
            scored |= cands
            for eid in cands:
                tw, total, entry_lang = entries[eid]
                mq = mt = 0.0
                if several:
                    seen = 0
                    for token, qw, cf, bit in flat:
                        w = tw.get(token)
                        if w is not None and not seen & bit:
                            seen |= bit
                            mq += qw
                            mt += w * cf
                else:
                    for token, qw, cf in simple:
                        w = tw.get(token)
                        if w is not None:
                            mq += qw
                            mt += w * cf
                if mt == 0.0:
                    continue
                p = mt / total
                r = mq / dq
                f = 2.0 * p * r / (p + r) if p + r else 0.0
                if other_lang and entry_lang != lang:
                    f *= lang_factor
                if f > get(eid, 0.0):
                    best[eid] = f
                    origin[eid] = vi
                    if f > top:
                        top = f

    # --- answering ---------------------------------------------------------------------------

    def resolve(self, text: str, lang: Lang | None = None, top: int = 5) -> Resolution:
        """Resolve a typed job title to ranked NOC unit groups: the lexical ranking, fused with
        the meaning of the title when a semantic index is attached (``hybrid.py``)."""
        if self.hybrid is not None:
            return self.hybrid.resolve(self, text, lang, top)
        return self.resolve_lexical(text, lang, top)

    def resolve_lexical(self, text: str, lang: Lang | None = None, top: int = 5) -> Resolution:
        """Resolve with the lexical path only (see the module docstring)."""
        ranking = self.rank_lexical(text, lang, top)
        scored, query, answer_lang = ranking.scored, ranking.query, ranking.lang
        if not scored or scored[0][0] < NONE_BELOW:
            return Resolution("none", (), query, answer_lang)
        best_score = scored[0][0]
        status = ranking.status()
        floor = max(NONE_BELOW * 0.8, best_score - KEEP_WITHIN)
        candidates = [
            Candidate(noc, self._group_title(noc, answer_lang), round(score, 1),
                      self.published[eid])
            for score, _tie, noc, eid, _own in scored[:top] if score >= floor
        ]
        return Resolution(status, tuple(candidates), query, answer_lang)

    def rank_lexical(self, text: str, lang: Lang | None = None, top: int = 5) -> LexicalRanking:
        """The lexical scores of the leading unit groups (at least ``RERANK``), best first."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        # Tolerant of what callers outside the typed code pass ("FR", "fr-CA", junk).
        lang = as_lang(lang.strip().lower()[:2], None) if isinstance(lang, str) else None
        top = max(1, int(top))
        clipped = text[: MAX_QUERY_CHARS * 5]
        if "<" in clipped:
            clipped = _TAG.sub(" ", clipped)
        if len(clipped) > MAX_QUERY_CHARS:  # keep whole words
            clipped = clipped[:MAX_QUERY_CHARS]
            if " " in clipped.strip():
                clipped = clipped.rsplit(" ", 1)[0]
        query = text.strip()[:MAX_QUERY_CHARS]

        variants, text_lang = self._analyse(clipped)
        answer_lang = lang or text_lang or "en"
        meaning = _meaning_text(clipped, variants)
        if not variants:
            return LexicalRanking([], query, answer_lang, text_lang, meaning, False)

        best: dict[int, float] = {}
        origin: dict[int, int] = {}  # title -> the variant that scored it best
        factor = (OTHER_LANG_FACTOR if lang else
                  DETECTED_LANG_FACTOR if text_lang else UNKNOWN_LANG_FACTOR)
        for vi, (groups, _text) in enumerate(variants):
            self._search(groups, vi, answer_lang, factor, best, origin)
        if not best:
            return LexicalRanking([], query, answer_lang, text_lang, meaning, True)

        # Per NOC: its best title, how many of its titles match nearly as well (support), and
        # its best title in the answer language (the one shown, when nearly as good).
        nocs, langs = self.nocs, self.langs
        ranked = sorted(best.items(), key=_by_score)
        top_f = ranked[0][1]
        limit = max(top, RERANK)
        records: dict[str, list] = {}  # noc -> [f, title, support, shown f, shown title]
        for eid, f in ranked:
            noc = nocs[eid]
            rec = records.get(noc)
            if rec is None:
                if len(records) >= limit:
                    if f < 0.5 * top_f:
                        break
                    continue
                rec = records[noc] = [f, eid, 0, -1.0, -1]
            elif f >= SUPPORT_WITHIN * rec[0] and f >= 0.5 * top_f:
                rec[2] += 1
            if rec[4] < 0 and langs[eid] == answer_lang:
                rec[3], rec[4] = f, eid

        # Re-rank the leaders with a character-level ratio (rapidfuzz) between the query variant
        # and the title: word order, small words and spelling separate near ties.
        texts = self.texts
        # (score, tie-break, noc, title shown, score of the best title alone)
        scored: list[tuple[float, float, str, int, float]] = []
        for noc, (f, eid, support, shown_f, shown) in records.items():
            ratio = fuzz.ratio(variants[origin[eid]][1], texts[eid]) / 100.0
            own = 100.0 * f * (1.0 - RATIO_WEIGHT + RATIO_WEIGHT * ratio)
            score = own + min(support, SUPPORT_MAX) * SUPPORT_BONUS
            if shown >= 0 and shown_f >= f - SHOWN_WITHIN:
                eid = shown  # as good, and in the answer language: show that one
            scored.append((min(score, 100.0), score, noc, eid, own))
        scored.sort(key=lambda s: (-s[0], -s[4], -s[1], s[2]))  # exact titles win ties
        readings = ({noc: variants[origin[rec[1]]][1] for noc, rec in records.items()}
                    if len(variants) > 1 else {})
        return LexicalRanking(scored, query, answer_lang, text_lang, meaning, True, readings)

    def _group_title(self, noc: str, lang: Lang) -> str:
        titles = self.group_titles.get(noc)
        if titles is None:
            return noc
        return titles[1] if lang == "fr" else titles[0]


# "meat cutter at Costco": the employer's name; not "server at a restaurant" (a workplace).
_AT_EMPLOYER = re.compile(r"(?<=\w)\s+(?i:at|@|chez)\s+"
                          r"(?!(?i:a|an|the|un|une|le|la|les)\s+[a-zà-ÿ])(?=\S)")


def _without_workplace(words: list[str]) -> list[str]:
    """``words`` without the workplaces of ``abbreviations.WORKPLACES``; a bare generic title
    next to one becomes the title it means there."""
    places = [w for w in words if w in ab.WORKPLACES]
    if not places:
        return words
    rest = [w for w in words if w not in ab.WORKPLACES and w not in STOPWORDS]
    meant = ab.WORKPLACES[places[0]].get(rest[0]) if len(rest) == 1 else None
    return normalize(meant).split() if meant else [w for w in words if w not in ab.WORKPLACES]


def _abbreviation_singular(word: str) -> str:
    """An abbreviation's plural ("psws", "eces") read as the abbreviation; other words as
    they are."""
    if len(word) > 3 and word.endswith("s") and word not in _EN_EXPANSIONS and \
            word not in _FR_EXPANSIONS and (word[:-1] in _EN_EXPANSIONS or
                                            word[:-1] in _FR_EXPANSIONS):
        return word[:-1]
    return word


def _meaning_text(clipped: str, variants: list[tuple[list[_Group], str]]) -> str:
    """The text to encode: as typed (case and accents help the encoder), unless the lexical
    reading spelt an abbreviation out ("psw" -> "personal support worker")."""
    typed = " ".join(clipped.split())
    # "meat cutter at Costco", "bouchère chez IGA": the employer's name means nothing here.
    typed = _AT_EMPLOYER.split(typed, maxsplit=1)[0] or typed
    if variants:
        first = variants[0][1]
        if len(first.split()) > len(normalize(typed).split()):
            return first
    return typed


def _rewrite_field_phrases(words: list[str]) -> list[str]:
    """Replace the word sequences of ``abbreviations.FIELD_PHRASES`` (longest first)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase, replacement in _FIELD_PHRASES:
            if tuple(words[i:i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


_FIELD_PHRASES = sorted(ab.FIELD_PHRASES.items(), key=lambda item: -len(item[0]))


def _typed_in_capitals(word: str, text: str) -> bool:
    pattern = r"(?<![A-Za-z])" + re.escape(word.upper()) + r"(?![A-Za-z])"
    return re.search(pattern, text) is not None


def _lang_evidence(en: int, fr: int) -> float:
    """How much a word says the text is French (> 0) or English (< 0), from the titles."""
    # Capped: "chef" is mostly French in the titles, and still an English word.
    evidence = max(-2.0, min(2.0, math.log((fr + 1.0) / (en + 1.0))))
    if en == 0 and fr >= 2:
        evidence += 3.0  # a word only French titles use ("soudeuse", "machiniste")
    elif fr == 0 and en >= 2:
        evidence -= 3.0
    return evidence


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


def _status(scores: list[float], own: list[float]) -> Status:
    """clear: one NOC ahead, by a margin, and not in a crowd; otherwise ambiguous.

    ``own`` are the scores without the support bonus. A leader whose title matches (nearly)
    exactly on its own is judged on those: "administrative assistant" is clear even though the
    legal assistants' many titles lift 13111 close to it; "welder", exact under two NOCs, is not.
    Otherwise many partial matches are a crowd, whatever their bonus."""
    best = scores[0]
    if best < CLEAR_FROM:
        return "ambiguous"
    if own[0] >= EXACT_FROM:
        second = max(own[1:], default=0.0)
        return "clear" if own[0] - second >= EXACT_LEAD else "ambiguous"
    second = scores[1] if len(scores) > 1 else 0.0
    if best - second < CLEAR_LEAD:
        return "ambiguous"
    if own[0] < NEAR_EXACT:
        crowd = sum(1 for s in scores[1:] if s >= best - CROWD_WITHIN)
        if crowd > CROWD_MAX:
            return "ambiguous"
    return "clear"
