"""NOC's exclusions as titles of the unit group they point to.

An exclusion line of a unit group names a confusable title and where it belongs:
"Medical administrative assistants (See 13112 ...)" under the receptionists (14101). To the
resolver that is one more title of 13112, as good as an example title: both paths index it
(the knowledge base's ``exclusion_titles``, loaded by ``pathfinder load-data``; ``train.py``
and ``bench/resolver.py`` read the file). Lines pointing above the unit
groups ("See 1003 Managers in communication") name no occupation a learner holds: left out.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from knowledge.loaders.noc import (
    EXCLUSIONS_FILE,
    ExampleTitleRow,
    ExclusionRow,
    distinct_titles,
    read_exclusions,
)


def exclusion_titles(root: Path, unit_groups: Collection[str] | None = None
                     ) -> list[ExampleTitleRow]:
    """The exclusion titles of ``root``/noc2021's file (the offline paths: training and the
    bench read the files; the app reads the knowledge base, loaded the same way)."""
    path = root / EXCLUSIONS_FILE
    if not path.exists():
        return []
    rows = [r for r in read_exclusions(path) if isinstance(r, ExclusionRow)]
    return distinct_titles(rows, unit_groups)
