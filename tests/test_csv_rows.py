"""The CSV reading every loader shares (knowledge/loaders/csv_rows.py): encoding, comment lines,
column names, required columns, and each row's line, cells and cell count."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from knowledge.loaders.csv_rows import CsvRows, read_rows
from knowledge.loaders.report import RowError


def test_rows_carry_their_line_and_stripped_cells(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text(
        "\ufeff# a notice\n# another\n"
        " code ,Name\u00a0 EN,other\n"
        "a1,  Alpha ,x\n"
        '"b2","two\nlines",y\n'
        "c3,Gamma\n"
        "d4,Delta,z,surplus,cells\n",
        encoding="utf-8")
    with read_rows(path, comments=True) as rows:
        assert rows.columns == ("code", "Name EN", "other")
        assert rows.missing_columns(["code", "other"]) is None
        found = list(rows)
    assert [(r.line, r.get("code"), r.get("Name EN")) for r in found] == [
        (4, "a1", "Alpha"), (6, "b2", "two\nlines"), (7, "c3", "Gamma"), (8, "d4", "Delta")]
    short, extra = found[2], found[3]
    assert (short.short, short.extra, short.get("other"), short.get("nowhere")) == (1, 0, "", "")
    with pytest.raises(KeyError):
        short["other"]  # the row has no such cell
    with pytest.raises(KeyError):
        short["nowhere"]  # the file has no such column
    assert (extra.short, extra.extra, extra["other"]) == (0, 2, "z")
    assert found[0].error("bad") == RowError("table.csv", 4, "bad")


def test_missing_columns_are_one_error_on_the_header_line() -> None:
    rows = CsvRows(io.StringIO("# notice\nid,title_en\nx,y\n", newline=""), "programs.csv",
                   comments=True)
    assert rows.missing_columns(["id", "url", "cost"]) == RowError(
        "programs.csv", 2, "missing columns: url, cost")
    empty = CsvRows(io.StringIO(""), "empty.csv")
    assert empty.columns == () and list(empty) == []
    assert empty.missing_columns(["id"]) == RowError("empty.csv", 1, "missing columns: id")


def test_without_comments_a_hash_line_is_the_header() -> None:
    rows = CsvRows(io.StringIO("#,b\n1,2\n"), "x.csv")
    assert rows.columns == ("#", "b")
    assert [(r.line, r.get("b")) for r in rows] == [(2, "2")]
