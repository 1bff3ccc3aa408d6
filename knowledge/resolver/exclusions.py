"""NOC's exclusions as titles of the unit group they point to.

An exclusion line of a unit group names a confusable title and where it belongs:
"Medical administrative assistants (See 13112 ...)" under the receptionists (14101). To the
resolver that is one more title of 13112, as good as an example title: both paths index it
(``index_from_database``, ``train.py``, ``bench/resolver.py``). Lines pointing above the unit
groups ("See 1003 Managers in communication") name no occupation a learner holds: left out.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from knowledge.loaders.noc import EXCLUSIONS_FILE, ExampleTitleRow, ExclusionRow, read_exclusions


def exclusion_titles(root: Path, unit_groups: Collection[str] | None = None
                     ) -> list[ExampleTitleRow]:
    """The exclusion titles of ``root``/noc2021 as (target unit group, language, title), once
    each; only targets in ``unit_groups`` when given. No file: none (older data folders)."""
    path = root / EXCLUSIONS_FILE
    if not path.exists():
        return []
    seen: set[tuple[str, str, str]] = set()
    out: list[ExampleTitleRow] = []
    for row in read_exclusions(path):
        if not isinstance(row, ExclusionRow) or not row.names_unit_group:
            continue
        if unit_groups is not None and row.noc not in unit_groups:
            continue
        key = (row.noc, row.lang, row.title.casefold())
        if key not in seen:
            seen.add(key)
            out.append(ExampleTitleRow(row.noc, row.lang, row.title))
    return out
