"""Learn the hybrid resolver's weights (``rerank.json``) from NOC's own example titles.

    .venv/bin/python -m knowledge.resolver.train            # writes knowledge/resolver/rerank.json

The two paths are built from the titles of folds 2-19 (``folds.py``); the titles of fold 1
are the queries, as published and as typed (``typing_noise.py``: typos, abbreviations, "I
work as a"), each labelled with every unit group it is published under, so the re-ranker
learns how to weigh words and meaning on titles neither path has seen. Fold 0 (the
evaluation titles of ``bench/resolver.py``) is read by nothing here.

The weights maximise the likelihood of the right candidates under the softmax of one query's
candidates (a conditional logit, Adam, L2). ``clear_from`` is the lowest probability at which
the clear answers of the training queries are right at least ``CLEAR_PRECISION`` of the
time. Whether a text is a job title at all is a logistic regression on QUERY_FEATURES: the
training titles against what learners write that is no title (the examples of the NLU
intents in ``NOT_TITLES``: greetings, thanks, questions, constraints); ``title_from`` keeps
``TITLES_KEPT`` of the titles.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
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
from knowledge.resolver.folds import EVALUATION, RERANKER, fold_of
from knowledge.resolver.hybrid import (
    FEATURES,
    QUERY_FEATURES,
    WEIGHTS_FILE,
    HybridResolver,
    Reranker,
    candidate_features,
    query_features,
    semantic_titles,
    softmax_scores,
)
from knowledge.resolver.index import TitleIndex
from knowledge.resolver.normalize import fold
from knowledge.resolver.semantic import SemanticIndex, packaged_encoder
from knowledge.resolver.typing_noise import noisy_query, reverse_abbreviations
from knowledge.settings import PROJECT_ROOT, data_dir

CLEAR_PRECISION = 0.97
TITLES_KEPT = 0.99
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
    untrained = Reranker(tuple(0.0 for _ in FEATURES), 1.0, tuple(0.0 for _ in QUERY_FEATURES),
                         0.0)
    index.hybrid = HybridResolver(SemanticIndex.build(semantic_titles(index), encoder), encoder,
                                  untrained)
    return index


def typed_versions(titles: Sequence[ExampleTitleRow], labels: dict[str, frozenset[str]],
                   seed: int = 1) -> list[ExampleTitleRow]:
    """One typed version of each title, labelled (through ``labels``) as the title is."""
    rng = random.Random(seed)
    reverse = {lang: reverse_abbreviations(lang) for lang in ("en", "fr")}
    out = []
    for t in titles:
        typed, _noise = noisy_query(t.title, t.lang, rng, reverse[t.lang])
        key = " ".join(fold(typed).split())
        if key not in labels:  # a typo that made another published title is left out
            labels[key] = labels[" ".join(fold(t.title).split())]
            out.append(ExampleTitleRow(t.noc, t.lang, typed))
    return out


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


def feature_rows(index: TitleIndex, queries: Sequence[ExampleTitleRow],
                 labels: dict[str, frozenset[str]]) -> tuple[Rows, list[float]]:
    """Per query: its candidates' features and which are right; and its best cosine."""
    hybrid = index.hybrid
    assert hybrid is not None
    rankings = [index.rank_lexical(q.title, q.lang) for q in queries]
    vectors = hybrid.encoder.encode([r.meaning for r in rankings])
    hits = hybrid.semantic.search(vectors)
    rows: Rows = []
    best: list[float] = []
    for q, ranking, hit in zip(queries, rankings, hits, strict=True):
        right = labels[" ".join(fold(q.title).split())]
        cands = candidate_features(ranking, hit, hybrid.semantic)
        rows.append(([f for _n, f, _t in cands], [n in right for n, _f, _t in cands]))
        best.append(hit.best)
    return rows, best


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


def calibrate(rows: Rows, weights: Sequence[float], precision: float = CLEAR_PRECISION
              ) -> tuple[float, list[tuple[float, float, float]]]:
    """The lowest top probability whose clear answers are right ``precision`` of the time,
    and the trade-off (threshold, share clear, precision of clear) for the report."""
    tops = []
    for x, y in rows:
        probabilities = softmax_scores(weights, x)
        k = int(np.argmax(probabilities))
        tops.append((float(probabilities[k]), bool(y[k])))
    tops.sort(reverse=True)
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
    args = parser.parse_args(argv)
    groups, titles = load_rows()
    labels = published_under(titles)
    index = build_paths(groups, titles, {EVALUATION, RERANKER})
    published = [t for t in titles if fold_of(t.title) == RERANKER]
    queries = published + typed_versions(published, labels)
    rows, _best = feature_rows(index, queries, labels)
    weights = fit(rows)
    clear_from, table = calibrate(rows, weights)
    top1, top3 = accuracy(rows, weights)
    assert index.hybrid is not None
    index.hybrid.reranker = Reranker(tuple(weights), clear_from,
                                     tuple(0.0 for _ in QUERY_FEATURES), 0.0)
    positives = title_rows(index, [q.title for q in queries], None)
    negatives = title_rows(index, not_titles())
    title_weights = fit_binary(positives, negatives)

    def probability(row: Sequence[float]) -> float:
        return 1.0 / (1.0 + float(np.exp(-np.clip(np.dot(title_weights, row), -30, 30))))

    title_from = float(np.quantile([probability(r) for r in positives], 1.0 - TITLES_KEPT))
    rejected = np.mean([probability(r) < title_from for r in negatives])
    print(f"{len(queries)} training queries (fold {RERANKER}: {len(published)} titles as "
          f"published, the others as typed); fold {EVALUATION} unused")
    print(f"training fit: top-1 {top1:.3f}, top-3 {top3:.3f}")
    for feature, w in zip(FEATURES, weights, strict=True):
        print(f"  {feature:14} {w:+.3f}")
    print("  top probability >= : share clear, right when clear")
    for p, share, prec in table:
        print(f"  {p:.3f}: {share:.2f}, {prec:.3f}")
    print(f"clear_from {clear_from:.3f} (clear answers right >= {CLEAR_PRECISION:.0%})")
    print(f"is it a title: {len(positives)} titles, {len(negatives)} other texts; title_from "
          f"{title_from:.3f} keeps {TITLES_KEPT:.0%} of titles, turns down {rejected:.1%} of "
          "the other texts")
    for feature, w in zip(QUERY_FEATURES, title_weights, strict=True):
        print(f"  {feature:16} {w:+.3f}")
    args.out.write_text(json.dumps({
        "about": "Learned by `python -m knowledge.resolver.train` (see its docstring); "
                 f"{len(published)} fold-{RERANKER} titles as published and "
                 f"{len(queries) - len(published)} as typed, fold {EVALUATION} never read.",
        "features": list(FEATURES), "weights": [round(float(w), 5) for w in weights],
        "clear_from": round(clear_from, 4),
        "query_features": list(QUERY_FEATURES),
        "title_weights": [round(float(w), 5) for w in title_weights],
        "title_from": round(title_from, 4),
        "training_top1": round(top1, 4), "training_top3": round(top3, 4),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
