"""The `pathfinder` command, as a person or another tool would use it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "pathfinder"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("load-data", "resolve", "occupation", "run"):
        assert command in result.stdout


def test_load_data_prints_rows_per_table(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, out, err = run(capsys, "--database", f"sqlite:///{tmp_path / 'kb.sqlite'}",
                         "load-data")
    assert code == 0
    assert "occupations" in out and "516" in out
    assert "example_titles" in out and "programs" in out
    assert "Loading" in err  # the progress bar


def test_resolve_psw_is_ambiguous_between_two_support_worker_groups(
        capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    code, out, _ = run(capsys, "--database", sqlite_url, "resolve", "psw", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["schema"] == "pathfinder.resolve/1"
    assert payload["status"] == "ambiguous"
    nocs = [c["noc"] for c in payload["candidates"][:3]]
    assert {"33102", "44101"} <= set(nocs)
    assert set(payload["candidates"][0]) == {"noc", "title", "score", "matched_title"}


def test_resolve_french_cnc_machinist(capsys: pytest.CaptureFixture[str],
                                      sqlite_url: str) -> None:
    code, out, _ = run(capsys, "--database", sqlite_url, "resolve", "machiniste CNC",
                       "--lang", "fr", "--json", "--top", "3")
    payload = json.loads(out)
    assert code == 0 and payload["lang"] == "fr" and payload["status"] != "none"
    assert len(payload["candidates"]) <= 3
    assert "72100" in [c["noc"] for c in payload["candidates"]]
    # French question, French occupation titles.
    assert payload["candidates"][0]["title"] != ""
    assert any("achinist" in c["title"] for c in payload["candidates"])


def test_resolve_batch_gives_one_json_line_per_input_line(
        capsys: pytest.CaptureFixture[str], sqlite_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["registered nurse", "", "x" * 10_000, "<b>welder</b>", "infirmière"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, _ = run(capsys, "--database", sqlite_url, "resolve", "--batch", "-")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(lines)
    assert results[0]["candidates"][0]["noc"] == "31301"
    assert results[1]["status"] == "none" and results[1]["candidates"] == []
    assert results[2]["status"] == "none"
    assert "72106" in [c["noc"] for c in results[3]["candidates"][:2]]  # tags stripped: welder


def test_occupation_json_has_titles_teer_wage_outlook_skills(
        capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    code, out, _ = run(capsys, "--database", sqlite_url, "occupation", "33102", "--region",
                       "ER3530", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["schema"] == "pathfinder.occupation/1"
    assert payload["teer"] == 3
    assert payload["title_fr"].startswith("Aides-infirmiers")
    assert payload["wage"]["region_name"] == "Toronto" and payload["wage"]["unit"] == "hour"
    assert payload["wage"]["low"] <= payload["wage"]["median"] <= payload["wage"]["high"]
    assert payload["outlook"]["period"] == "2024-2033"
    assert payload["skills"]


def test_unknown_occupation_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                            sqlite_url: str) -> None:
    code, out, err = run(capsys, "--database", sqlite_url, "occupation", "99999")
    assert code == 2 and out == ""
    assert "99999" in err and "not a NOC 2021 unit group" in err


def test_resolve_on_an_empty_database_says_to_load(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    from knowledge.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    migrate(make_engine(url))
    with pytest.raises(SystemExit, match="load-data"):
        main(["--database", url, "resolve", "nurse"])
