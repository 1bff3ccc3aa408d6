"""What a load did: rows kept per table, and the rows it refused with file and line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RowError:
    """A malformed input row: reported with where it is, then skipped whole."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class LoadReport:
    rows: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def count(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    def as_dict(self) -> dict[str, object]:
        return {"rows": dict(self.rows), "errors": [str(e) for e in self.errors]}
