"""Database ids as requests carry them: whole numbers from 1 to 2**63 - 1, the range of the
integer columns (SQLite's, PostgreSQL's bigint). A larger number names no row, and SQLite
cannot even bind it to a query (an error, a 500), so it is refused first (422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1

IdInPath = Annotated[int, Path(ge=1, le=MAX_ID)]
