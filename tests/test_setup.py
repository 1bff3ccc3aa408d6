"""The environments `make setup` builds: the app env (.venv, this interpreter) and the
Rasa engine env (.venv-engine), both matching their locks in requirements/."""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_LOCK = ROOT / "requirements" / "app.txt"
ENGINE_LOCK = ROOT / "requirements" / "engine.txt"
ENGINE_BIN = ROOT / ".venv-engine" / "bin"
FINDER = ROOT / "bot" / "engine_python.sh"
HELP = (
    "Rasa 3.6 needs Python 3.10: install it with `pyenv install 3.10` or "
    "`apt-get install python3.10 python3.10-venv`, or set "
    "PATHFINDER_PYTHON310=/path/to/python3.10"
)
ENGINE_RASA = "3.6.21"

# Prints {normalized name: version} for everything installed in the running interpreter.
LIST_INSTALLED = (
    "import importlib.metadata as md, json, re; "
    "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version "
    "for d in md.distributions()}))"
)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        assert "==" in line and " @ " not in line and not line.startswith("-"), (
            f"{path.name}: not a name==version pin: {raw!r}"
        )
        name, version = line.split("==", 1)
        pins[norm(name)] = version.strip()
    return pins


def installed_in(python: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(python), "-c", LIST_INSTALLED], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def diff_against_lock(installed: dict[str, str], lock: dict[str, str]) -> list[str]:
    problems = []
    for name, version in sorted(lock.items()):
        got = installed.get(name)
        if got != version:
            problems.append(f"{name}: locked {version}, installed {got}")
    for name in sorted(set(installed) - set(lock) - {"pip", "pathfinder"}):
        problems.append(f"{name}: installed {installed[name]} but not in the lock")
    return problems


# --- the locks ---------------------------------------------------------------------


def test_locks_pin_rasa_and_are_plain_pins() -> None:
    engine = read_lock(ENGINE_LOCK)
    app = read_lock(APP_LOCK)
    assert engine["rasa"] == ENGINE_RASA
    assert "rasa" not in app, "the app env talks to Rasa over HTTP; Rasa itself is engine-only"
    assert "pathfinder" not in app and "pip" not in app


# --- the app env (this interpreter) ------------------------------------------------


def test_running_in_the_app_env() -> None:
    assert sys.version_info >= (3, 11)
    assert Path(sys.prefix).resolve() == (ROOT / ".venv").resolve(), (
        f"tests should run in .venv (make test), not {sys.prefix}"
    )


@pytest.mark.parametrize(
    "package",
    ["sqlalchemy", "fastapi", "rapidfuzz", "spacy", "python-telegram-bot", "rasa-sdk"],
)
def test_app_key_package_matches_lock(package: str) -> None:
    assert md.version(package) == read_lock(APP_LOCK)[package]


def test_app_env_is_exactly_the_lock() -> None:
    # Only the env's site-packages: importing pkg_resources (textstat does) puts setuptools'
    # vendored copies on sys.path, and those are not installed packages.
    site_packages = sysconfig.get_paths()["purelib"]
    installed = {norm(d.metadata["Name"]): d.version
                 for d in md.distributions(path=[site_packages])}
    assert diff_against_lock(installed, read_lock(APP_LOCK)) == []


def test_pathfinder_installed_editable_with_console_script() -> None:
    dist = md.distribution("pathfinder")
    assert dist.read_text("direct_url.json") is not None  # installed from the work tree
    script = ROOT / ".venv" / "bin" / "pathfinder"
    assert script.is_file() and os.access(script, os.X_OK)
    assert "from bot.cli import main" in script.read_text()


# --- the engine env ----------------------------------------------------------------


def test_engine_rasa_version_and_python() -> None:
    proc = subprocess.run(
        [str(ENGINE_BIN / "rasa"), "--version"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    fields = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    assert fields.get("Rasa Version") == ENGINE_RASA, proc.stdout
    assert fields.get("Python Version", "").startswith("3.10."), proc.stdout
    version = subprocess.run(
        [str(ENGINE_BIN / "python"), "-c", "import sys; print(*sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert version == ["3", "10"]


def test_engine_env_is_exactly_the_lock() -> None:
    installed = installed_in(ENGINE_BIN / "python")
    assert diff_against_lock(installed, read_lock(ENGINE_LOCK)) == []


# --- bot/engine_python.sh ----------------------------------------------------------


def run_finder(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the finder with nothing inherited: an empty bin dir as PATH, a HOME with no
    ~/.pyenv, no system dirs to probe, plus whatever `env` adds."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir(exist_ok=True)
    no_system = tmp_path / "no-system-dirs"  # blank would mean the default dirs
    no_system.mkdir(exist_ok=True)
    base = {"PATH": str(empty_bin), "HOME": str(tmp_path),
            "PATHFINDER_PY310_SYSTEM_DIRS": str(no_system)}
    return subprocess.run(
        ["/bin/bash", str(FINDER)],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_finder_fails_with_help_when_no_python310(tmp_path: Path) -> None:
    proc = run_finder(tmp_path)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert HELP in proc.stderr


def test_finder_skips_a_broken_pyenv_shim(tmp_path: Path) -> None:
    shim = tmp_path / "bin" / "python3.10"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.10: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    proc = run_finder(tmp_path)
    assert proc.returncode != 0
    assert HELP in proc.stderr


def test_finder_rejects_a_wrong_override(tmp_path: Path) -> None:
    proc = run_finder(tmp_path, PATHFINDER_PYTHON310=sys.executable)  # 3.11+
    assert proc.returncode != 0
    assert "PATHFINDER_PYTHON310" in proc.stderr and HELP in proc.stderr


def test_finder_accepts_a_good_override(tmp_path: Path) -> None:
    engine_python = str(ENGINE_BIN / "python3.10")
    proc = run_finder(tmp_path, PATHFINDER_PYTHON310=engine_python)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == engine_python


def test_finder_finds_pyenv_versions_without_pyenv_on_path(tmp_path: Path) -> None:
    """The machine's case: python3.10 is only a failing shim, 3.10 sits under pyenv."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    if not list(pyenv_root.glob("versions/3.10*/bin/python3.10")):
        pytest.skip(f"no Python 3.10 under {pyenv_root}")
    shim = tmp_path / "bin" / "python3.10"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\nexit 127\n")
    shim.chmod(0o755)
    proc = run_finder(tmp_path, PYENV_ROOT=str(pyenv_root))
    assert proc.returncode == 0, proc.stderr
    found = proc.stdout.strip()
    assert found.startswith(str(pyenv_root)) and found.endswith("/bin/python3.10")
