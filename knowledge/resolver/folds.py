"""Which NOC example titles the resolver may learn from, and which measure it.

Every published title falls in one of ``FOLDS`` folds by a hash of its folded text (so that
"Soudeur/soudeuse" and "SOUDEUR" fall together). ``EVALUATION`` titles are kept out of all
that the resolver learns (its classifier, its re-ranker, their calibration) whenever
``bench/resolver.py`` measures it on them; ``RERANKER`` titles are the re-ranker's training
queries, unseen by the two paths it learns to weigh; ``CALIBRATION`` titles, unseen by the
paths and the weights, set from which probability an answer is clear.
"""

from __future__ import annotations

import hashlib

from knowledge.resolver.normalize import fold

FOLDS = 20
EVALUATION = 0
RERANKER = 1
CALIBRATION = 2


def fold_of(title: str) -> int:
    key = " ".join(fold(title).split())
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % FOLDS
