"""Learn the hybrid resolver's weights (``rerank.json``) from NOC's own example titles.

    .venv/bin/python -m knowledge.resolver.train            # writes knowledge/resolver/rerank.json

The two paths are built from the titles of folds 3-19 (``folds.py``) and NOC's exclusions
(``exclusions.py``, through the same folds). The queries, each labelled with every unit group
its title is published under, are as published and as typed (``typing_noise.py``: typos,
abbreviations, "I work as a"; ``TYPED`` versions each):

* fold 1 titles, unseen by both paths, and a sample of titles the paths hold (a learner often
  types a published title): the re-ranker learns how to weigh words and meaning on them, and
  the clear model (is the best candidate right?) is fitted on them;
* fold 2 titles and another sample of held titles: ``clear_from`` is the lowest probability
  of the clear model at which the clear answers there are right at least ``CLEAR_PRECISION``
  of the time (calibrated on queries none of the weights was fitted on).

Fold 0 (the evaluation titles of ``bench/resolver.py``) is read by nothing here.

The weights maximise the likelihood of the right candidates under the softmax of one query's
candidates (a conditional logit, Adam, L2). Whether a text is a job title at all is a logistic
regression on QUERY_FEATURES: the training titles against what learners write that is no
title (the examples of the NLU intents in ``NOT_TITLES``: greetings, thanks, questions,
constraints); ``title_from`` keeps ``TITLES_KEPT`` of the titles.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.language import Lang
from knowledge.loaders.noc import (
    CLASSES_FILE,
    EXAMPLES_FILE,
    ExampleTitleRow,
    UnitGroupRow,
    read_example_titles,
    read_unit_groups,
)
from knowledge.resolver.exclusions import exclusion_titles
from knowledge.resolver.folds import CALIBRATION, EVALUATION, RERANKER, fold_of
from knowledge.resolver.hybrid import (
    CLEAR_FEATURES,
    FEATURES,
    QUERY_FEATURES,
    WEIGHTS_FILE,
    HybridResolver,
    Reranker,
    candidate_features,
    clear_features,
    exact_nocs,
    exact_titles,
    query_features,
    semantic_titles,
    softmax_scores,
    tied_readings,
)
from knowledge.resolver.index import LexicalRanking, TitleIndex
from knowledge.resolver.normalize import fold
from knowledge.resolver.semantic import SemanticHits, SemanticIndex, packaged_encoder
from knowledge.resolver.typing_noise import noisy_query, reverse_abbreviations
from knowledge.settings import PROJECT_ROOT, data_dir

CLEAR_PRECISION = 0.96  # on NOC titles; on what people type (titles.yml dev) about 97%
TITLES_KEPT = 0.99
TYPED = 2  # typed versions of each query title
HELD_SAMPLE = 0.25  # held titles added to a fold's queries, per title of the fold
NLU_DIR = PROJECT_ROOT / "nlu" / "intents"
NOT_TITLES = frozenset({
    "greet", "goodbye", "thanks", "affirm", "deny", "help", "bot_challenge", "chitchat",
    "out_of_scope", "start_over", "change_language", "ask_microcredential",
    "ask_financial_aid", "ask_contact", "inform_constraint", "ask_recommendations",
    "ask_cheaper"})
_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
_L2, _STEPS, _RATE = 1e-3, 500, 0.05

Rows = list[tuple[list[tuple[float, ...]], list[bool]]]  # per query: features, is it right


def load_rows(root: Path | None = None) -> tuple[list[UnitGroupRow], list[ExampleTitleRow]]:
    """The unit groups and example titles of NOC 2021 in ``root`` (PATHFINDER_DATA_DIR)."""
    root = root or data_dir()
    groups = [g for g in read_unit_groups(root / CLASSES_FILE) if isinstance(g, UnitGroupRow)]
    titles = [t for t in read_example_titles(root / EXAMPLES_FILE)
              if isinstance(t, ExampleTitleRow)]
    return groups, titles


def index_titles(titles: Sequence[ExampleTitleRow], root: Path | None = None
                 ) -> list[ExampleTitleRow]:
    """What the paths are built from: the example titles and the exclusion titles."""
    return [*titles, *exclusion_titles(root or data_dir())]


def published_under(titles: Sequence[ExampleTitleRow]) -> dict[str, frozenset[str]]:
    """Folded title -> every unit group that publishes it (a query's right answers)."""
    nocs: dict[str, set[str]] = defaultdict(set)
    for t in titles:
        nocs[" ".join(fold(t.title).split())].add(t.noc)
    return {k: frozenset(v) for k, v in nocs.items()}


def build_paths(groups: Sequence[UnitGroupRow], titles: Sequence[ExampleTitleRow],
                left_out: set[int]) -> TitleIndex:
    """Both paths, from the titles outside the ``left_out`` folds."""
    kept = [t for t in titles if fold_of(t.title) not in left_out]
    index = TitleIndex.build(groups, kept)
    encoder = packaged_encoder()
    untrained = Reranker(tuple(0.0 for _ in FEATURES), tuple(0.0 for _ in CLEAR_FEATURES), 1.0,
                         tuple(0.0 for _ in QUERY_FEATURES), 0.0)
    index.hybrid = HybridResolver(SemanticIndex.build(semantic_titles(index), encoder), encoder,
                                  untrained, exact_titles(index))
    return index


def typed_versions(titles: Sequence[ExampleTitleRow], labels: dict[str, frozenset[str]],
                   seed: int = 1, versions: int = 1) -> list[ExampleTitleRow]:
    """``versions`` typed versions of each title, labelled (through ``labels``) as the title
    is."""
    rng = random.Random(seed)
    reverse = {lang: reverse_abbreviations(lang) for lang in ("en", "fr")}
    out = []
    for _ in range(versions):
        for t in titles:
            typed, _noise = noisy_query(t.title, t.lang, rng, reverse[t.lang])
            key = " ".join(fold(typed).split())
            if key not in labels:  # a typo that made another published title is left out
                labels[key] = labels[" ".join(fold(t.title).split())]
                out.append(ExampleTitleRow(t.noc, t.lang, typed))
    return out


def fold_queries(titles: Sequence[ExampleTitleRow], labels: dict[str, frozenset[str]],
                 fold_number: int, held: Sequence[ExampleTitleRow], seed: int
                 ) -> list[ExampleTitleRow]:
    """The titles of one fold and a sample of ``held`` (titles the paths hold), each as
    published and ``TYPED`` times as typed."""
    published = [t for t in titles if fold_of(t.title) == fold_number]
    rng = random.Random(seed)
    sample = rng.sample(list(held), min(len(held), int(HELD_SAMPLE * len(published))))
    both = published + sample
    return both + typed_versions(both, labels, seed, TYPED)


def not_titles(nlu_dir: Path = NLU_DIR) -> list[str]:
    """The NLU examples of the NOT_TITLES intents that name no job (entities unmarked)."""
    from ruamel.yaml import YAML

    texts: list[str] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        for block in YAML(typ="safe").load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if block.get("intent") not in NOT_TITLES:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip().removeprefix("- ").strip()
                if line and "job_title" not in line and "target_job" not in line:
                    texts.append(_ENTITY.sub(lambda m: m.group(1) or m.group(2) or "", line))
    return texts


def title_rows(index: TitleIndex, texts: Sequence[str], lang: Lang | None = None
               ) -> list[tuple[float, ...]]:
    """QUERY_FEATURES of texts that have title words (the others are "none" anyway)."""
    hybrid = index.hybrid
    assert hybrid is not None
    rankings = [index.rank_lexical(t, lang) for t in texts]
    rankings = [r for r in rankings if r.has_words and r.meaning.strip()]
    vectors = hybrid.encoder.encode([r.meaning for r in rankings])
    out = []
    for ranking, hit in zip(rankings, hybrid.semantic.search(vectors), strict=True):
        out.append(query_features(ranking, hit, hybrid.score(ranking, hit)))
    return out


def fit_binary(positives: Sequence[Sequence[float]], negatives: Sequence[Sequence[float]],
               l2: float = _L2, steps: int = 2000) -> np.ndarray:
    """Logistic regression, both classes weighing the same, by full-batch Adam."""
    x = np.asarray([*positives, *negatives], dtype=np.float64)
    y = np.asarray([1.0] * len(positives) + [0.0] * len(negatives))
    weight = np.where(y == 1.0, 0.5 / len(positives), 0.5 / len(negatives))
    w = np.zeros(x.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ ((p - y) * weight) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= _RATE * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w


@dataclass
class QueryRun:
    """One training query through both paths: what the weights are fitted on."""

    ranking: LexicalRanking
    hits: SemanticHits
    exact: frozenset[str]
    right: frozenset[str]
    candidates: list[tuple[str, tuple[float, ...], int]]

    @property
    def row(self) -> tuple[list[tuple[float, ...]], list[bool]]:
        return [f for _n, f, _t in self.candidates], [n in self.right
                                                     for n, _f, _t in self.candidates]


def run_queries(index: TitleIndex, queries: Sequence[ExampleTitleRow],
                labels: dict[str, frozenset[str]], batch: int = 512) -> list[QueryRun]:
    hybrid = index.hybrid
    assert hybrid is not None
    out: list[QueryRun] = []
    for start in range(0, len(queries), batch):
        part = queries[start:start + batch]
        rankings = [index.rank_lexical(q.title, q.lang) for q in part]
        vectors = hybrid.encoder.encode([r.meaning for r in rankings])
        for q, ranking, hit in zip(part, rankings, hybrid.semantic.search(vectors),
                                   strict=True):
            exact = exact_nocs(ranking, hybrid.titles)
            out.append(QueryRun(ranking, hit, exact, labels[" ".join(fold(q.title).split())],
                                candidate_features(ranking, hit, hybrid.semantic, exact)))
    return out


def clear_rows(runs: Sequence[QueryRun], hybrid: HybridResolver
               ) -> list[tuple[tuple[float, ...], bool, bool]]:
    """Per query: CLEAR_FEATURES under the hybrid's weights, whether the best candidate is
    right, and whether the status can be clear at all (no tied readings, not answered word
    for word before the meaning path)."""
    out = []
    for run in runs:
        scored = hybrid.score(run.ranking, run.hits, run.exact)
        features = clear_features(run.ranking, run.hits, scored, hybrid.semantic, run.exact)
        right = bool(scored) and scored[0].noc in run.right
        open_ = (len(tied_readings(run.ranking)) <= 1
                 and not hybrid.word_for_word(run.ranking, run.exact))
        out.append((features, right, open_))
    return out


def exact_precision(runs: Sequence[QueryRun], hybrid: HybridResolver) -> tuple[float, int]:
    """How often the word-for-word answer is right, and over how many queries."""
    answered = [run.ranking.scored[0][2] in run.right for run in runs
                if hybrid.word_for_word(run.ranking, run.exact)]
    return (sum(answered) + 1) / (len(answered) + 2), len(answered)  # Laplace: never 1.0


def fit(rows: Rows, l2: float = _L2, steps: int = _STEPS) -> list[float]:
    """Conditional logit by full-batch Adam; queries whose candidates miss every right answer
    teach nothing and are skipped."""
    data = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
            for x, y in rows if any(y)]
    w = np.zeros(len(FEATURES))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        grad = l2 * w
        for x, y in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += x.T @ (p - y / y.sum()) / len(data)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= _RATE * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return [float(x) for x in w]


def calibrate(scored: Sequence[tuple[float, bool]], precision: float = CLEAR_PRECISION
              ) -> tuple[float, list[tuple[float, float, float]]]:
    """The lowest probability whose clear answers (``scored``: probability, is it right) are
    right ``precision`` of the time, and the trade-off (threshold, share clear, precision of
    clear) for the report."""
    tops = sorted(scored, reverse=True)
    table = []
    chosen = 1.0
    right = 0
    for n, (top, ok) in enumerate(tops, 1):
        right += ok
        if right / n >= precision:
            chosen = top
        if n % max(1, len(tops) // 20) == 0:
            table.append((top, n / len(tops), right / n))
    return chosen, table


def accuracy(rows: Rows, weights: Sequence[float]) -> tuple[float, float]:
    top1 = top3 = 0
    for x, y in rows:
        order = np.argsort(-softmax_scores(weights, x), kind="stable")
        top1 += bool(y[order[0]]) if len(order) else 0
        top3 += any(y[k] for k in order[:3])
    return top1 / len(rows), top3 / len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--precision", type=float, default=CLEAR_PRECISION)
    args = parser.parse_args(argv)
    groups, titles = load_rows()
    labels = published_under(titles)
    left_out = {EVALUATION, RERANKER, CALIBRATION}
    index = build_paths(groups, index_titles(titles), left_out)
    hybrid = index.hybrid
    assert hybrid is not None
    held = [t for t in titles if fold_of(t.title) not in left_out]
    half = len(held) // 2  # the held samples of the two folds do not overlap
    fit_queries = fold_queries(titles, labels, RERANKER, held[:half], 1)
    calibration_queries = fold_queries(titles, labels, CALIBRATION, held[half:], 2)
    fit_runs = run_queries(index, fit_queries, labels)
    calibration_runs = run_queries(index, calibration_queries, labels)
    rows = [run.row for run in fit_runs]
    weights = fit(rows)
    top1, top3 = accuracy(rows, weights)
    hybrid.reranker = Reranker(tuple(weights), tuple(0.0 for _ in CLEAR_FEATURES), 1.0,
                               tuple(0.0 for _ in QUERY_FEATURES), 0.0)
    fitted = [(x, ok) for x, ok, open_ in clear_rows(fit_runs, hybrid) if open_]
    clear_weights = fit_binary([x for x, ok in fitted if ok], [x for x, ok in fitted if not ok])

    def sigmoid(w: np.ndarray, row: Sequence[float]) -> float:
        return 1.0 / (1.0 + float(np.exp(-np.clip(np.dot(w, row), -30, 30))))

    held_out = [(sigmoid(clear_weights, x), ok)
                for x, ok, open_ in clear_rows(calibration_runs, hybrid) if open_]
    clear_from, table = calibrate(held_out, args.precision)
    exact_right, exact_n = exact_precision([*fit_runs, *calibration_runs], hybrid)

    positives = [query_features(run.ranking, run.hits,
                                hybrid.score(run.ranking, run.hits, run.exact))
                 for run in fit_runs if run.ranking.has_words and run.ranking.meaning.strip()]
    negatives = title_rows(index, not_titles())
    title_weights = fit_binary(positives, negatives)
    title_from = float(np.quantile([sigmoid(title_weights, r) for r in positives],
                                   1.0 - TITLES_KEPT))
    rejected = np.mean([sigmoid(title_weights, r) < title_from for r in negatives])
    print(f"{len(fit_queries)} training queries (fold {RERANKER} and held titles, as published "
          f"and typed), {len(calibration_queries)} calibration queries (fold {CALIBRATION} and "
          f"other held titles); fold {EVALUATION} unused")
    print(f"training fit: top-1 {top1:.3f}, top-3 {top3:.3f}")
    for feature, w in zip(FEATURES, weights, strict=True):
        print(f"  {feature:14} {w:+.3f}")
    print("is the best right:")
    for feature, w in zip(CLEAR_FEATURES, clear_weights, strict=True):
        print(f"  {feature:18} {w:+.3f}")
    print(f"  calibration (fold {CALIBRATION}), probability >= : share clear, right when clear")
    for p, share, prec in table:
        print(f"  {p:.3f}: {share:.2f}, {prec:.3f}")
    print(f"clear_from {clear_from:.3f} (clear answers right >= {args.precision:.0%}); word for "
          f"word: {exact_n} queries, right {exact_right:.3f}")
    print(f"is it a title: {len(positives)} titles, {len(negatives)} other texts; title_from "
          f"{title_from:.3f} keeps {TITLES_KEPT:.0%} of titles, turns down {rejected:.1%} of "
          "the other texts")
    for feature, w in zip(QUERY_FEATURES, title_weights, strict=True):
        print(f"  {feature:16} {w:+.3f}")
    args.out.write_text(json.dumps({
        "about": "Learned by `python -m knowledge.resolver.train` (see its docstring); "
                 f"{len(fit_queries)} fold-{RERANKER} and held titles as published and typed, "
                 f"calibrated on {len(calibration_queries)} fold-{CALIBRATION} ones, "
                 f"fold {EVALUATION} never read.",
        "features": list(FEATURES), "weights": [round(float(w), 5) for w in weights],
        "clear_features": list(CLEAR_FEATURES),
        "clear_weights": [round(float(w), 5) for w in clear_weights],
        "clear_from": round(clear_from, 4), "clear_precision": args.precision,
        "exact_right": round(exact_right, 4),
        "query_features": list(QUERY_FEATURES),
        "title_weights": [round(float(w), 5) for w in title_weights],
        "title_from": round(title_from, 4),
        "training_top1": round(top1, 4), "training_top3": round(top3, 4),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
