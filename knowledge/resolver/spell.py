"""Token-level typo correction: a symmetric-delete (SymSpell-style) dictionary.

Every vocabulary word is stored under all the strings obtained by deleting up to two characters
from its first ``PREFIX`` characters (one-deletion and two-deletion strings in separate tables).
A typed word is looked up the same way: one deletion first, which finds every word one edit
away; two only when there is none. The words that share a delete string are the only ones whose
edit distance is checked (rapidfuzz's optimal-string-alignment distance, so a swap of two
letters, "regsitered", costs one edit). A lookup touches a few dozen keys instead of the
vocabulary's ~20,000 words.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapidfuzz.distance import OSA

PREFIX = 7
# Shortest word a typo is corrected to: three-letter words are mostly acronyms ("asf", "tes"),
# and "yes" or "asdf" must not become one.
MIN_TARGET = 4


def _deletes(word: str, depth: int) -> set[str]:
    """The word and every string obtained by deleting one or (depth 2) two of its characters."""
    ones = {word[:i] + word[i + 1:] for i in range(len(word))} if len(word) > 1 else set()
    out = ones | {word}
    if depth >= 2:
        for w in ones:
            if len(w) > 1:
                out.update(w[:i] + w[i + 1:] for i in range(len(w)))
    return out


def _add(index: dict[str, object], key: str, word: str) -> None:
    slot = index.get(key)
    if slot is None:
        index[key] = word  # most delete strings have one word: keep it bare
    elif isinstance(slot, str):
        if slot != word:
            index[key] = [slot, word]
    elif word not in slot:  # type: ignore[operator]
        slot.append(word)  # type: ignore[attr-defined]


def max_distance_for(token: str) -> int:
    """Edits tolerated for a token of this length (short words have too many neighbours)."""
    n = len(token)
    if n <= 2:
        return 0
    if n <= 5:
        return 1
    return 2


class SymSpell:
    def __init__(self, frequencies: Mapping[str, int], max_distance: int = 2) -> None:
        self.frequencies = dict(frequencies)
        self.max_distance = min(max_distance, 2)
        # Delete strings at depth 0-1 and at depth 2 apart: a one-edit lookup needs the first
        # only, which keeps its candidate lists short.
        near: dict[str, object] = {}
        far: dict[str, object] = {}
        for word in self.frequencies:
            if len(word) < MIN_TARGET:
                continue
            prefix = word[:PREFIX]
            ones = _deletes(prefix, 1)
            for d in ones:
                _add(near, d, word)
            if max_distance >= 2:
                for d in _deletes(prefix, max_distance) - ones:
                    _add(far, d, word)
        self._near = near
        self._far = far

    def __len__(self) -> int:
        return len(self._near) + len(self._far)

    def lookup(self, token: str, limit: int = 5) -> list[tuple[str, int]]:
        """The closest vocabulary words as (word, distance), most frequent first."""
        max_d = min(self.max_distance, max_distance_for(token))
        if max_d == 0:
            return []
        # One deletion on the query side finds every word one edit away (the index holds the
        # words' own deletions); only when there is none, try two.
        found = self._search(token, 1, max_d)
        if (not found or found[0][1] > 1) and max_d > 1:
            found = self._search(token, 2, max_d)
        return found[:limit]

    def neighbours(self, word: str, limit: int = 2) -> list[tuple[str, int]]:
        """Other vocabulary words one edit from a (known) word, most frequent first."""
        if max_distance_for(word) == 0:
            return []
        return self._search(word, 1, 1, exclude=word)[:limit]

    def _search(self, token: str, depth: int, max_d: int,
                exclude: str | None = None) -> list[tuple[str, int]]:
        words: set[str] = set()
        indexes = (self._near,) if depth <= 1 else (self._near, self._far)
        for d in _deletes(token[:PREFIX], depth):
            for index in indexes:
                slot = index.get(d)
                if slot is not None:
                    if isinstance(slot, str):
                        words.add(slot)
                    else:
                        words.update(slot)  # type: ignore[arg-type]
        words.discard(exclude)  # type: ignore[arg-type]
        best_d = max_d + 1
        best: list[str] = []
        n = len(token)
        distance = OSA.distance
        for word in words:
            if abs(len(word) - n) > max_d:
                continue
            dist = distance(token, word, score_cutoff=best_d)
            if dist < best_d:
                best_d, best = dist, [word]
            elif dist == best_d:
                best.append(word)
        if best_d > max_d:
            return []
        freq = self.frequencies
        best.sort(key=lambda w: (-freq[w], w))
        return [(w, best_d) for w in best]
