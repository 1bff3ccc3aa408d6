"""The resolver's answer from both paths: words (``index.py``) and meaning (``semantic.py``).

For one query, the candidates are the lexical leaders, the unit groups of the nearest titles
and the classifier's most likely ones. Each candidate gets ``FEATURES`` and a score ``w . x``;
``w`` was learned from NOC's own example titles by ``python -m knowledge.resolver.train``
(a conditional logit: the softmax over one query's candidates, right ones as the target), on
titles that neither path had seen, and the evaluation titles of ``bench/resolver.py`` kept
out of everything (``folds.py``). The softmax of the scores is the candidates' probability:

* ``clear``: the best one is likely right: a logistic regression on CLEAR_FEATURES (how
  sure the softmax is, whether the word path, the classifier and the nearest title agree,
  whether the query is one of its titles word for word) says so at least ``clear_from``,
  calibrated on a fold of titles that neither the paths nor the weights were learned from so
  that a clear answer is seldom wrong; a query that is word for word a title of one unit
  group only is clear without the meaning path (nothing to encode);
* ``none``: no title word, or the text does not read as a job title (``title_from``, a
  logistic regression on QUERY_FEATURES: titles against what learners write that is none);
* ``ambiguous`` otherwise: the assistant asks back among the candidates.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.language import Lang
from knowledge.resolver.semantic import Encoder, SemanticHits, SemanticIndex

if TYPE_CHECKING:
    from knowledge.resolver.index import (
        Candidate,
        LexicalRanking,
        Resolution,
        Status,
        TitleIndex,
    )

WEIGHTS_FILE = Path(__file__).with_name("rerank.json")
FEATURES = (
    "lexical",        # the lexical score, 0-1 (0: not among the lexical leaders)
    "lexical_found",  # 1 when among them
    "lexical_rank",   # 1 / (1 + rank among them)
    "nearest",        # best cosine between the query and one of the unit group's titles
    "nearest_gap",    # ... minus the best cosine of all
    "votes",          # the unit group's share of the neighbourhood
    "logprob",        # the classifier's log-probability / 10
    "prob",           # the classifier's probability
    "exact",          # 1 when the query is one of its titles, word for word
    "lexical_clear",  # 1 when the word path alone answers it clearly
    "classifier_top",  # 1 when it is the classifier's most likely
)
CLEAR_FEATURES = (
    "bias",
    "best",             # the probability of the best candidate
    "best_logit",       # ... as log-odds / 6, within +-1: 0.99 is much surer than 0.9
    "margin",           # ... minus the second's
    "exact",            # the query is one of the best candidate's titles, word for word
    "exact_elsewhere",  # ... and of another unit group's too
    "lexical_clear",    # the word path alone answers the best candidate clearly
    "lexical_agrees",   # the word path's leader is the best candidate
    "classifier_agrees",  # the classifier's most likely is the best candidate
    "nearest_agrees",   # the nearest title in meaning is one of the best candidate's
    "nearest_best",     # the best cosine with any title
    "lexical_best",     # the best lexical score, 0-1
    "words",            # how many words the reading has, up to 6, / 6
)
LEXICAL_LEADERS = 10
SEMANTIC_LEADERS = 10


QUERY_FEATURES = (
    "bias",
    "lexical_best",   # the best lexical score, 0-1
    "fused_best",     # the probability of the best candidate
    "classifier_best",  # the classifier's best probability
    "nearest_best",   # the best cosine with any title
    "votes_best",     # the largest share of the neighbourhood
    "words",          # how many words the reading has, up to 6, / 6
)
RECENT_ANSWERS = 512  # answers kept per process (a few KB each)
READING_TIE = 0.95  # readings of an abbreviation this close to the best answer: ask back


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Reranker:
    weights: tuple[float, ...]  # of FEATURES: the candidates' score
    clear_weights: tuple[float, ...]  # of CLEAR_FEATURES: is the best candidate right
    clear_from: float  # ... probability from which the answer is clear
    title_weights: tuple[float, ...]  # of QUERY_FEATURES: is the text a job title at all
    title_from: float  # probability under which it is not ("none")
    exact_right: float = 0.99  # how often a word-for-word title of one unit group is right
    keep_from: float = 0.02  # candidates less likely than this are not shown

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Reranker:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (tuple(data["features"]) != FEATURES
                or tuple(data.get("clear_features", ())) != CLEAR_FEATURES
                or tuple(data["query_features"]) != QUERY_FEATURES):
            raise ValueError(f"{path}: trained on other features; run "
                             "`python -m knowledge.resolver.train`")
        return cls(tuple(float(w) for w in data["weights"]),
                   tuple(float(w) for w in data["clear_weights"]), float(data["clear_from"]),
                   tuple(float(w) for w in data["title_weights"]), float(data["title_from"]),
                   float(data["exact_right"]))

    def title_probability(self, features: Sequence[float]) -> float:
        return _sigmoid(float(np.dot(self.title_weights, features)))

    def clear_probability(self, features: Sequence[float]) -> float:
        return _sigmoid(float(np.dot(self.clear_weights, features)))


@dataclass(frozen=True)
class Scored:
    noc: str
    probability: float
    features: tuple[float, ...]
    title: int  # the lexical index's title that matched; -1: the nearest in meaning


def exact_key(text: str) -> str:
    """A query or title as compared word for word: folded, small words and order kept."""
    from knowledge.resolver.normalize import normalize

    return " ".join(normalize(text).split())


def exact_titles(index: TitleIndex) -> dict[str, frozenset[str]]:
    """Every title of the index (each gender form, acronyms alone) -> its unit groups."""
    from knowledge.resolver.normalize import gender_variants

    out: dict[str, set[str]] = {}
    for noc, published, text in zip(index.nocs, index.published, index.texts, strict=True):
        for key in {exact_key(text), *map(exact_key, gender_variants(published))}:
            out.setdefault(key, set()).add(noc)
    return {k: frozenset(v) for k, v in out.items()}


def exact_nocs(ranking: LexicalRanking, titles: dict[str, frozenset[str]]) -> frozenset[str]:
    """The unit groups one of whose titles the query is, word for word."""
    return titles.get(exact_key(ranking.query), frozenset())


def candidate_features(ranking: LexicalRanking, hits: SemanticHits, semantic: SemanticIndex,
                       exact: frozenset[str] = frozenset()
                       ) -> list[tuple[str, tuple[float, ...], int]]:
    """The candidates of one query and their FEATURES (see the module docstring), with the
    lexical index's title that matched (-1: none, the semantic index names one)."""
    lexical = {noc: (score / 100.0, rank, eid)
               for rank, (score, _t, noc, eid, _o) in enumerate(ranking.scored[:LEXICAL_LEADERS])}
    lexical_clear = ranking.scored[0][2] if ranking.status() == "clear" else None
    classes = semantic.classes
    top_class = int(np.argmax(hits.logprob)) if len(hits.logprob) else -1
    out: list[tuple[str, tuple[float, ...], int]] = []
    for noc in dict.fromkeys([*lexical, *(classes[c] for c in hits.leaders)]):
        c = semantic.class_of.get(noc)
        score, rank, eid = lexical.get(noc, (0.0, -1, -1))
        near = float(hits.nearest[c]) if c is not None else 0.0
        logprob = float(hits.logprob[c]) if c is not None else -20.0
        votes = hits.votes.get(c, 0.0) if c is not None else 0.0
        features = (score, 1.0 if rank >= 0 else 0.0, 1.0 / (1 + rank) if rank >= 0 else 0.0,
                    near, near - hits.best, votes, logprob / 10.0, math.exp(logprob),
                    float(noc in exact), float(noc == lexical_clear), float(c == top_class))
        out.append((noc, features, eid))
    return out


def clear_features(ranking: LexicalRanking, hits: SemanticHits, scored: Sequence[Scored],
                   semantic: SemanticIndex, exact: frozenset[str]) -> tuple[float, ...]:
    """CLEAR_FEATURES of one query (see ``Reranker.clear_probability``)."""
    if not scored:
        return (1.0,) + (0.0,) * (len(CLEAR_FEATURES) - 1)
    best = scored[0]
    second = scored[1].probability if len(scored) > 1 else 0.0
    c = semantic.class_of.get(best.noc, -1)
    nearest_class = hits.nearest_class
    lexical_leader = ranking.scored[0][2] if ranking.scored else None
    lexical_best = ranking.scored[0][0] / 100.0 if ranking.scored else 0.0
    words = min(6, len(ranking.meaning.split())) / 6.0
    x = dict(zip(FEATURES, best.features, strict=True))
    p = min(max(best.probability, 0.0025), 0.9975)
    return (1.0, best.probability, math.log(p / (1.0 - p)) / 6.0, best.probability - second,
            x["exact"],
            float(bool(exact - {best.noc})), x["lexical_clear"],
            float(lexical_leader == best.noc), x["classifier_top"], float(nearest_class == c),
            hits.best, lexical_best, words)


def query_features(ranking: LexicalRanking, hits: SemanticHits, scored: Sequence[Scored]
                   ) -> tuple[float, ...]:
    """QUERY_FEATURES of one query (see ``Reranker.title_probability``)."""
    lexical = ranking.scored[0][0] / 100.0 if ranking.scored else 0.0
    fused = scored[0].probability if scored else 0.0
    classifier = math.exp(float(hits.logprob.max())) if len(hits.logprob) else 0.0
    votes = max(hits.votes.values()) if hits.votes else 0.0
    words = min(6, len(ranking.meaning.split())) / 6.0
    return (1.0, lexical, fused, classifier, hits.best, votes, words)


def softmax_scores(weights: Sequence[float], rows: Sequence[Sequence[float]]) -> np.ndarray:
    scores = np.asarray(rows, dtype=np.float64) @ np.asarray(weights, dtype=np.float64)
    scores -= scores.max()
    p = np.exp(scores)
    return p / p.sum()


class HybridResolver:
    """A semantic index, its encoder and the learned weights, attached to a TitleIndex."""

    def __init__(self, semantic: SemanticIndex, encoder: Encoder,
                 reranker: Reranker | None = None,
                 titles: dict[str, frozenset[str]] | None = None) -> None:
        self.semantic = semantic
        self.encoder = encoder
        self.reranker = reranker or Reranker.load()
        self.titles = titles or {}  # ``exact_titles`` of the index
        # Recent answers: one chat turn asks about the same words several times (the
        # message's spans, then the current job and the target among them), and each
        # meaning lookup reads every title's vector.
        self._recent: OrderedDict[tuple[str, Lang | None, int], Resolution] = OrderedDict()
        self._recent_lock = threading.Lock()

    def forget_recent(self) -> None:
        """Drop the remembered answers (a benchmark times the work, not the memory)."""
        with self._recent_lock:
            self._recent.clear()

    def resolve(self, index: TitleIndex, text: str, lang: Lang | None, top: int
                ) -> Resolution:
        return self.resolve_many(index, [text], lang, top)[0]

    def resolve_many(self, index: TitleIndex, texts: Sequence[str], lang: Lang | None = None,
                     top: int = 5) -> list[Resolution]:
        """Resolve several titles, encoding them in one batch (``pathfinder resolve
        --batch``); a title asked again recently is answered from memory."""
        with self._recent_lock:
            known = {i: self._recent[(text, lang, top)] for i, text in enumerate(texts)
                     if (text, lang, top) in self._recent}
        if len(known) == len(texts):
            return [known[i] for i in range(len(texts))]
        fresh = [i for i in range(len(texts)) if i not in known]
        answers = self._resolve_many(index, [texts[i] for i in fresh], lang, top)
        with self._recent_lock:
            for i, answer in zip(fresh, answers, strict=True):
                known[i] = self._recent[(texts[i], lang, top)] = answer
            while len(self._recent) > RECENT_ANSWERS:
                self._recent.popitem(last=False)
        return [known[i] for i in range(len(texts))]

    def _resolve_many(self, index: TitleIndex, texts: Sequence[str], lang: Lang | None,
                      top: int) -> list[Resolution]:
        rankings = [index.rank_lexical(text, lang, top) for text in texts]
        exact = [exact_nocs(r, self.titles) for r in rankings]
        out: dict[int, Resolution] = {}
        for i, (ranking, nocs) in enumerate(zip(rankings, exact, strict=True)):
            if not ranking.has_words or not ranking.meaning.strip():
                out[i] = _none(ranking)  # no title word: "none" whatever it means
            elif self.word_for_word(ranking, nocs):
                out[i] = self._exact_answer(index, ranking)
        wanted = [i for i in range(len(rankings)) if i not in out]
        vectors = self.encoder.encode([rankings[i].meaning for i in wanted])
        for i, hits in zip(wanted, self.semantic.search(vectors), strict=True):
            out[i] = self._answer(index, rankings[i], hits, top, exact[i])
        return [out[i] for i in range(len(rankings))]

    @staticmethod
    def word_for_word(ranking: LexicalRanking, exact: frozenset[str]) -> bool:
        """The query is a title of one unit group only, that the word path also puts first
        and clearly, with no second reading: nothing the meaning could add."""
        return (len(exact) == 1 and not ranking.readings and bool(ranking.scored)
                and ranking.scored[0][2] in exact and ranking.status() == "clear")

    def score(self, ranking: LexicalRanking, hits: SemanticHits,
              exact: frozenset[str] = frozenset()) -> list[Scored]:
        """The candidates of one query with their probability, most likely first."""
        rows = candidate_features(ranking, hits, self.semantic, exact)
        p = softmax_scores(self.reranker.weights, [f for _n, f, _t in rows])
        scored = [Scored(noc, float(prob), f, t) for (noc, f, t), prob in zip(rows, p,
                                                                          strict=True)]
        scored.sort(key=lambda s: (-s.probability, s.noc))
        return scored

    def _exact_answer(self, index: TitleIndex, ranking: LexicalRanking) -> Resolution:
        from knowledge.resolver.index import Candidate, Resolution

        _score, _tie, noc, eid, _own = ranking.scored[0]
        candidate = Candidate(noc, index._group_title(noc, ranking.lang),
                              round(100.0 * self.reranker.exact_right, 1), index.published[eid])
        return Resolution("clear", (candidate,), ranking.query, ranking.lang)

    def _answer(self, index: TitleIndex, ranking: LexicalRanking, hits: SemanticHits,
                top: int, exact: frozenset[str] = frozenset()) -> Resolution:
        from knowledge.resolver.index import Candidate, Resolution

        if not ranking.has_words:
            return _none(ranking)
        scored = self.score(ranking, hits, exact)
        if self.reranker.title_probability(query_features(ranking, hits, scored)) \
                < self.reranker.title_from:
            return _none(ranking)
        confidence = self.reranker.clear_probability(
            clear_features(ranking, hits, scored, self.semantic, exact))
        status: Status = "clear" if confidence >= self.reranker.clear_from else "ambiguous"
        tied = tied_readings(ranking)
        if len(tied) > 1:  # "ea": the educational or the executive assistant? Ask.
            status = "ambiguous"
            scored = ([s for s in scored if s.noc in tied]
                      + [s for s in scored if s.noc not in tied])
        candidates: list[Candidate] = []
        for s in scored[:top]:
            if candidates and s.probability < self.reranker.keep_from and s.noc not in tied:
                break
            matched = (index.published[s.title] if s.title >= 0
                       else self.semantic.nearest_title(hits, s.noc))
            candidates.append(Candidate(s.noc, index._group_title(s.noc, ranking.lang),
                                        round(100.0 * s.probability, 1), matched))
        if status == "clear":
            candidates = candidates[:1] + [c for c in candidates[1:] if c.score >= 5.0]
        return Resolution(status, tuple(candidates), ranking.query, ranking.lang)


def tied_readings(ranking: LexicalRanking) -> set[str]:
    """The best unit group of each reading of an abbreviation that answers (nearly) as well
    as the best one: two readings there mean the abbreviation alone cannot tell."""
    if not ranking.readings or not ranking.scored:
        return set()
    best = ranking.scored[0][0]
    by_reading: dict[str, str] = {}
    for score, _t, noc, _e, _o in ranking.scored:
        if score < READING_TIE * best:
            break
        by_reading.setdefault(ranking.readings.get(noc, ""), noc)
    return set(by_reading.values())


def _none(ranking: LexicalRanking) -> Resolution:
    from knowledge.resolver.index import Resolution

    return Resolution("none", (), ranking.query, ranking.lang)


def semantic_titles(index: TitleIndex) -> list[tuple[str, str]]:
    """(noc, title) of everything the lexical index holds, once each, each gender form
    apart ("caissier/caissière" is "caissier" and "caissière": people type one)."""
    from knowledge.resolver.normalize import gender_variants

    return sorted({(noc, variant) for noc, title in zip(index.nocs, index.published,
                                                         strict=True)
                   for variant in gender_variants(title)})


def attach(index: TitleIndex, encoder: Encoder | None = None,
           reranker: Reranker | None = None) -> TitleIndex:
    """Give ``index`` its semantic path (built from, or read from the cache for, the same
    titles) so that ``index.resolve`` fuses both. Returns the index."""
    from knowledge.resolver.semantic import packaged_encoder

    encoder = encoder or packaged_encoder()
    semantic = SemanticIndex.build(semantic_titles(index), encoder)
    index.hybrid = HybridResolver(semantic, encoder, reranker, exact_titles(index))
    return index
