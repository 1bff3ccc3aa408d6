"""The `pathfinder` command, as a person or another tool would use it."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main, make_private


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


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_the_command_creates_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The knowledge base holds staff accounts and inquiries (names, e-mail addresses), next
    to it var/ holds conversations and logs: none of it readable by other local users, even
    from a shell whose umask would allow it (022, the usual)."""
    var = tmp_path / "var"
    script = Path(sys.executable).parent / "pathfinder"
    result = subprocess.run(
        [str(script), "--database", f"sqlite:///{var / 'pathfinder.sqlite'}", "load-data",
         "--quiet"], capture_output=True, text=True, check=False,
        preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    assert _mode(var) == 0o700
    assert [(p.name, _mode(p)) for p in var.iterdir()] == [("pathfinder.sqlite", 0o600)]


def test_files_left_readable_under_var_are_made_private(tmp_path: Path) -> None:
    """What an older version created with the shell's umask (var/tracker.db, var/log/*.log)
    is tightened when the command starts (bot.cli.main does this to var/)."""
    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    for path, mode in ((var / "tracker.db", 0o644), (var / "log" / "rasa.log", 0o666),
                       (var / "run.sh", 0o755)):
        path.write_text("x")
        path.chmod(mode)
    var.chmod(0o755)
    (var / "log").chmod(0o777)
    make_private(var)
    assert {str(p.relative_to(tmp_path)): _mode(p) for p in (var, *var.rglob("*"))} == {
        "var": 0o700, "var/log": 0o700, "var/tracker.db": 0o600, "var/log/rasa.log": 0o600,
        "var/run.sh": 0o700}


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
