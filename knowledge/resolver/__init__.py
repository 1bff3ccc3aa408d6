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

__all__ = ["Candidate", "Resolution", "TitleIndex", "default_index", "index_from_database",
           "resolve_title",
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
