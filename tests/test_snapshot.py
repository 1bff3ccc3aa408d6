"""Reference data read once per knowledge-base version (knowledge/snapshot.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from knowledge import snapshot


def test_many_answers_about_messages_never_push_out_the_catalog(db: Session) -> None:
    # Each distinct learner message adds an answer (a field's words); the whole-dataset
    # entries every turn reads must stay, or some turn pays seconds to rebuild them.
    builds: list[str] = []

    def build_catalog() -> str:
        builds.append("catalog")
        return "catalog"

    assert snapshot.cached(db, "test-catalog", build_catalog) == "catalog"
    for n in range(snapshot.MAX_ENTRIES + 50):
        snapshot.cached(db, ("test-message", n), lambda: "an answer")
        if n % 100 == 0:
            assert snapshot.cached(db, "test-catalog", build_catalog) == "catalog"
    assert snapshot.cached(db, "test-catalog", build_catalog) == "catalog"
    assert builds == ["catalog"]
    # The oldest message answers went instead, and come back when asked again.
    assert snapshot.cached(db, ("test-message", 0), lambda: "again") == "again"
