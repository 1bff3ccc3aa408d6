"""Reading a CSV file row by row: the part every loader of data/ shares.

``read_rows(path)`` opens a file as UTF-8 (a byte-order mark is accepted) with ``newline=""``, so
a quoted cell keeps its own line breaks; ``CsvRows(handle, name)`` reads text already open (an
upload). Either way:

- ``comments=True`` skips the leading lines that begin with ``#`` (the catalog's sample notice);
  they still count for line numbers.
- Column names are whitespace-normalized (stripped, runs of spaces and non-breaking spaces made one
  space: the OaSIS headers carry stray ones); ``columns`` lists them in file order.
- ``missing_columns(required)``: a file without some required columns is one ``RowError`` on
  its header line, naming them all.
- Each row is a ``CsvRow``: the line csv counts for it (``csv.DictReader.line_num``, plus the
  comment lines); its cells, stripped, by column name (``row.get(column)`` is ``""`` for a cell
  the row lacks, ``row[column]`` raises ``KeyError``); how many cells it has beyond the header
  (``extra``) or short of it (``short``); and ``error(reason)``, the ``RowError`` of its file
  and line. Empty lines are skipped, as ``csv.DictReader`` does.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from knowledge.loaders.report import RowError


def column_name(header: str) -> str:
    """A header cell as a column name: stripped, inner whitespace runs (NBSP too) one space."""
    return " ".join(header.split())


@dataclass(frozen=True, slots=True)
class CsvRow:
    file: str
    line: int
    # The cells by column name as csv.DictReader gives them: None for a cell the row lacks, the
    # surplus cells as a list under the key None.
    raw: dict[Any, Any]

    def get(self, column: str) -> str:
        """The stripped cell; "" when the row or the file lacks it."""
        value = self.raw.get(column)
        return value.strip() if isinstance(value, str) else ""

    def __getitem__(self, column: str) -> str:
        """The stripped cell; ``KeyError`` when the file lacks the column or the row is short."""
        value = self.raw[column]
        if value is None:
            raise KeyError(column)
        return str(value).strip()

    @property
    def extra(self) -> int:
        """How many cells the row has beyond the header's columns."""
        return len(self.raw.get(None) or ())

    @property
    def short(self) -> int:
        """How many of the header's columns the row has no cell for."""
        return sum(1 for key, value in self.raw.items() if key is not None and value is None)

    def error(self, reason: str) -> RowError:
        return RowError(self.file, self.line, reason)


class CsvRows:
    """The rows of CSV text after its header (and leading ``#`` lines with ``comments``)."""

    def __init__(self, handle: TextIO, name: str, *, comments: bool = False) -> None:
        self.name = name
        self.offset = _skip_comments(handle) if comments else 0  # lines before the header
        self._reader = csv.DictReader(handle)
        header = self._reader.fieldnames  # reads the header row
        self.columns: tuple[str, ...] = tuple(column_name(h or "") for h in header or ())
        if header is not None:
            self._reader.fieldnames = list(self.columns)

    def missing_columns(self, required: Iterable[str]) -> RowError | None:
        """One error on the header line naming the required columns the file lacks, or None."""
        absent = [c for c in required if c not in self.columns]
        if not absent:
            return None
        return RowError(self.name, self.offset + 1, f"missing columns: {', '.join(absent)}")

    def __iter__(self) -> Iterator[CsvRow]:
        for raw in self._reader:
            yield CsvRow(self.name, self._reader.line_num + self.offset, raw)


@contextmanager
def read_rows(path: Path, *, comments: bool = False) -> Iterator[CsvRows]:
    """The rows of the CSV file ``path``; errors name the file by ``path.name``."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield CsvRows(handle, path.name, comments=comments)


def _skip_comments(handle: TextIO) -> int:
    """Move past the leading lines that start with ``#``; how many there were."""
    skipped = 0
    while True:
        position = handle.tell()
        if not handle.readline().startswith("#"):
            handle.seek(position)
            return skipped
        skipped += 1
