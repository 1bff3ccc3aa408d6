"""Resolve what a learner types as a job title to NOC 2021 unit groups (EN/FR).

    >>> resolve_title("regsitered nurse").candidates[0].noc
    '31301'

``resolve_title`` uses ``default_index()`` unless an index is passed; build one per process with
``TitleIndex.build(unit_groups, example_titles)`` (the web app and the CLI do this from the
database at start-up).
"""

from __future__ import annotations

import threading

from knowledge.language import Lang
from knowledge.resolver.index import Candidate, Resolution, TitleIndex

__all__ = ["Candidate", "Resolution", "TitleIndex", "default_index", "described_among",
           "index_from_database", "resolve_title",
           "resolve_titles", "set_default_index"]

_default: TitleIndex | None = None
_lock = threading.Lock()


def index_from_database(database_url: str | None = None, semantic: bool = True) -> TitleIndex:
    """Build the index from a knowledge base's unit groups, example titles and exclusion
    titles (``exclusions.py``); ``semantic``:
    with the meaning path (``hybrid.attach``: its vectors and model come from ``var/cache/``,
    built on first use, a minute or two, and by ``pathfinder load-data``)."""
    from knowledge.db import make_engine, session_factory
    from knowledge.occupations import resolver_vocabulary

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            groups, titles = resolver_vocabulary(session)
    finally:
        engine.dispose()
    if not groups:
        raise LookupError("The knowledge base is empty: run `pathfinder load-data` first.")
    index = TitleIndex.build(groups, titles)
    if semantic:
        from knowledge.resolver.hybrid import attach

        attach(index)
    return index


def default_index() -> TitleIndex:
    """The process-wide index, built on first use from the knowledge base's NOC titles."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = index_from_database()
    return _default


def default_index_ready() -> bool:
    """Whether :func:`default_index` is built (it then returns at once)."""
    return _default is not None


def set_default_index(index: TitleIndex | None) -> None:
    """Replace the process-wide index (``None``: rebuild from the database on next use)."""
    global _default
    _default = index


def resolve_title(text: str, lang: Lang | None = None, top: int = 5,
                  index: TitleIndex | None = None) -> Resolution:
    """Resolve a typed job title; ``lang`` None detects EN/FR and searches both."""
    return (index if index is not None else default_index()).resolve(text, lang, top)


def resolve_titles(texts: list[str], lang: Lang | None = None, top: int = 5,
                   index: TitleIndex | None = None) -> list[Resolution]:
    """``resolve_title`` for many titles at once (their meanings encoded in one batch)."""
    index = index if index is not None else default_index()
    if index.hybrid is None:
        return [index.resolve(text, lang, top) for text in texts]
    return index.hybrid.resolve_many(index, texts, lang, top)


# An answer picks one of the offered occupations when it scores it this many times the next
# one, and the answer's best reading of all at most this many times it.
PICK_AHEAD = 2.0


def described_among(text: str, offered: list[str], lang: Lang | None = None) -> str | None:
    """Which of the ``offered`` unit groups (asked back about) the learner's answer in words
    describes ("I work in a nursing home" after "PSW": 33102, not 44101): the one the answer
    resolves to well ahead of the other offered ones, and not far below the answer's best
    reading of all ("I drive a truck for a hospital" names a truck driver). None when it
    names none of them, two alike, or another job."""
    scores = {c.noc: c.score for c in resolve_title(text, lang=lang).candidates}
    if not scores or not offered:
        return None
    ranked = sorted(offered, key=lambda noc: scores.get(noc, 0.0), reverse=True)
    best = scores.get(ranked[0], 0.0)
    runner_up = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    near_top = PICK_AHEAD * best >= max(scores.values())
    return ranked[0] if best > 0 and best >= PICK_AHEAD * runner_up and near_top else None
