"""Reference data read once and shared between sessions.

The knowledge base changes only when a dataset is (re)loaded, and every chat turn asks it the
same questions: occupation titles, wages, outlooks, the skills an occupation needs, the
catalog. Answers are kept per database and per *version*: the load time of every dataset
plus the number of programs (an import that adds or removes programs changes it). A new
version starts an empty store, so a reload is seen by the next session.

Cached values are shared by threads and sessions: they must be immutable (frozen
dataclasses, tuples) or treated as read-only, and ORM objects in them must be detached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import models

T = TypeVar("T")

MAX_ENTRIES = 4096  # per database; a full store drops its least recently used answers

_VERSION_KEY = "pathfinder.snapshot.version"
_LOCK = threading.Lock()
_STORES: dict[str, tuple[tuple[object, ...], dict[Hashable, object]]] = {}


def version(session: Session) -> tuple[object, ...]:
    """The datasets' load times and the program count, read once per session."""
    cached = session.info.get(_VERSION_KEY)
    if isinstance(cached, tuple):
        return cached
    loads = tuple(sorted(session.execute(
        select(models.Dataset.key, models.Dataset.loaded_at)).tuples()))
    programs = session.scalar(select(func.count()).select_from(models.Program))
    current: tuple[object, ...] = (loads, programs)
    session.info[_VERSION_KEY] = current
    return current


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``key`` in this database at its current version."""
    bind = session.get_bind()
    database = str(getattr(bind, "url", id(bind)))
    current = version(session)
    with _LOCK:
        entry = _STORES.get(database)
        if entry is None or entry[0] != current:
            entry = (current, {})
            _STORES[database] = entry
        store = entry[1]
        if key in store:
            value = store.pop(key)
            store[key] = value  # the most recently used last: evicted last
            return value  # type: ignore[return-value]
    value = compute()
    with _LOCK:
        while len(store) >= MAX_ENTRIES:
            # The least recently used first: per-message entries (a field's words), never
            # the whole-dataset ones (the catalog, the title index) every turn reads.
            store.pop(next(iter(store)))
        store[key] = value
    return value
