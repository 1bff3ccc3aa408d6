"""The resolver's answer from both paths: words (``index.py``) and meaning (``semantic.py``).

For one query, the candidates are the lexical leaders, the unit groups of the nearest titles
and the classifier's most likely ones. Each candidate gets ``FEATURES`` and a score ``w . x``;
``w`` was learned from NOC's own example titles by ``python -m knowledge.resolver.train``
(a conditional logit: the softmax over one query's candidates, right ones as the target), on
titles that neither path had seen, and the evaluation titles of ``bench/resolver.py`` kept
out of everything (``folds.py``). The softmax of the scores is the candidates' probability:

* ``clear``: the best one is at least ``clear_from`` likely (calibrated by the training
  script so that a clear answer is seldom wrong);
* ``none``: no title word, or the text does not read as a job title (``title_from``, a
  logistic regression on QUERY_FEATURES: titles against what learners write that is none);
* ``ambiguous`` otherwise: the assistant asks back among the candidates.
"""

from __future__ import annotations

import json
import math
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
AGREED_FROM = 0.5  # the fused probability from which a clear lexical answer stays clear
READING_TIE = 0.95  # readings of an abbreviation this close to the best answer: ask back


@dataclass(frozen=True)
class Reranker:
    weights: tuple[float, ...]  # of FEATURES: the candidates' score
    clear_from: float  # probability of the best candidate from which the answer is clear
    title_weights: tuple[float, ...]  # of QUERY_FEATURES: is the text a job title at all
    title_from: float  # probability under which it is not ("none")
    keep_from: float = 0.02  # candidates less likely than this are not shown

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Reranker:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (tuple(data["features"]) != FEATURES
                or tuple(data["query_features"]) != QUERY_FEATURES):
            raise ValueError(f"{path}: trained on other features; run "
                             "`python -m knowledge.resolver.train`")
        return cls(tuple(float(w) for w in data["weights"]), float(data["clear_from"]),
                   tuple(float(w) for w in data["title_weights"]), float(data["title_from"]))

    def title_probability(self, features: Sequence[float]) -> float:
        z = float(np.dot(self.title_weights, features))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Scored:
    noc: str
    probability: float
    features: tuple[float, ...]
    title: int  # the lexical index's title that matched; -1: the nearest in meaning


def candidate_features(ranking: LexicalRanking, hits: SemanticHits, semantic: SemanticIndex
                       ) -> list[tuple[str, tuple[float, ...], int]]:
    """The candidates of one query and their FEATURES (see the module docstring), with the
    lexical index's title that matched (-1: none, the semantic index names one)."""
    lexical = {noc: (score / 100.0, rank, eid)
               for rank, (score, _t, noc, eid, _o) in enumerate(ranking.scored[:LEXICAL_LEADERS])}
    classes = semantic.classes
    out: list[tuple[str, tuple[float, ...], int]] = []
    for noc in dict.fromkeys([*lexical, *(classes[c] for c in hits.leaders)]):
        c = semantic.class_of.get(noc)
        score, rank, eid = lexical.get(noc, (0.0, -1, -1))
        near = float(hits.nearest[c]) if c is not None else 0.0
        logprob = float(hits.logprob[c]) if c is not None else -20.0
        votes = hits.votes.get(c, 0.0) if c is not None else 0.0
        features = (score, 1.0 if rank >= 0 else 0.0, 1.0 / (1 + rank) if rank >= 0 else 0.0,
                    near, near - hits.best, votes, logprob / 10.0, math.exp(logprob))
        out.append((noc, features, eid))
    return out


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
                 reranker: Reranker | None = None) -> None:
        self.semantic = semantic
        self.encoder = encoder
        self.reranker = reranker or Reranker.load()

    def resolve(self, index: TitleIndex, text: str, lang: Lang | None, top: int
                ) -> Resolution:
        return self.resolve_many(index, [text], lang, top)[0]

    def resolve_many(self, index: TitleIndex, texts: Sequence[str], lang: Lang | None = None,
                     top: int = 5) -> list[Resolution]:
        """Resolve several titles, encoding them in one batch (``pathfinder resolve
        --batch``)."""
        rankings = [index.rank_lexical(text, lang, top) for text in texts]
        # A text without a single title word is "none" whatever it means: not encoded.
        wanted = [i for i, r in enumerate(rankings) if r.has_words and r.meaning.strip()]
        vectors = self.encoder.encode([rankings[i].meaning for i in wanted])
        by_query = dict(zip(wanted, self.semantic.search(vectors), strict=True))
        out = []
        for i, ranking in enumerate(rankings):
            hits = by_query.get(i)
            out.append(self._answer(index, ranking, hits, top) if hits else _none(ranking))
        return out

    def score(self, ranking: LexicalRanking, hits: SemanticHits) -> list[Scored]:
        """The candidates of one query with their probability, most likely first."""
        rows = candidate_features(ranking, hits, self.semantic)
        p = softmax_scores(self.reranker.weights, [f for _n, f, _t in rows])
        scored = [Scored(noc, float(prob), f, t) for (noc, f, t), prob in zip(rows, p,
                                                                          strict=True)]
        scored.sort(key=lambda s: (-s.probability, s.noc))
        return scored

    def _answer(self, index: TitleIndex, ranking: LexicalRanking, hits: SemanticHits,
                top: int) -> Resolution:
        from knowledge.resolver.index import Candidate, Resolution

        if not ranking.has_words:
            return _none(ranking)
        scored = self.score(ranking, hits)
        if self.reranker.title_probability(query_features(ranking, hits, scored)) \
                < self.reranker.title_from:
            return _none(ranking)
        best = scored[0].probability
        # Clear when the fused answer is sure, or when the word path is sure of the same unit
        # group and the meaning does not disagree ("medical administrative assistant").
        sure = best >= self.reranker.clear_from or (
            best >= AGREED_FROM and ranking.status() == "clear"
            and ranking.scored[0][2] == scored[0].noc)
        status: Status = "clear" if sure else "ambiguous"
        tied = _tied_readings(ranking)
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
        return Resolution(status, candidates, ranking.query, ranking.lang)


def _tied_readings(ranking: LexicalRanking) -> set[str]:
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

    return Resolution("none", [], ranking.query, ranking.lang)


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
    index.hybrid = HybridResolver(semantic, encoder, reranker)
    return index
