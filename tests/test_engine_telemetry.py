"""No data leaves the machine from a Rasa engine we start: Rasa 3.6 sends usage events to
Segment and its own errors to Sentry unless its telemetry is off (rasa/telemetry.py:
``initialize_error_reporting`` runs only while telemetry is enabled, by
``RASA_TELEMETRY_ENABLED``, else by ``~/.config/rasa/global.yml``, which says yes unless
someone ran ``rasa telemetry disable``). bot/stack.py turns it off in the environment of every
engine it starts (one stack's, each replica's), and bot/engine/serve.py, the launcher every
engine goes through, turns it off whatever its caller's environment says."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.engine.serve import RASA_TELEMETRY_ENV
from bot.stack import Stack, StackConfig, free_port
from tests.conftest import TEST_RASA_TOKEN, unavailable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENGINE_PYTHON = PROJECT_ROOT / ".venv-engine" / "bin" / "python"


def _engine_stack(tmp_path: Path, **rasa_env: str) -> Stack:
    return Stack(StackConfig(root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
                             web_port=None, tracker_db=tmp_path / "tracker.db",
                             log_dir=tmp_path / "logs", rasa_env=rasa_env))


def test_every_engine_a_stack_starts_has_rasa_telemetry_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the operator's environment, or the stack's extra engine settings, say
    otherwise; and only the engine's environment is changed."""
    monkeypatch.setenv(RASA_TELEMETRY_ENV, "true")
    stack = _engine_stack(tmp_path, **{RASA_TELEMETRY_ENV: "true"})
    engine = stack.process("rasa")
    assert "bot.engine.serve" in engine.argv
    assert engine.env[RASA_TELEMETRY_ENV] == "false"
    assert stack.process("actions").env[RASA_TELEMETRY_ENV] == "true"  # not the engine


# What Rasa's own `rasa run` does first (rasa/__main__.py), then says what it found: whether
# telemetry is on and whether a Sentry client was set up. Run through bot.engine.serve.
RASA_START = """
import sentry_sdk
import rasa.__main__
import rasa.telemetry
from bot.engine import serve

def rasa_main():
    rasa.telemetry.initialize_telemetry()
    rasa.telemetry.initialize_error_reporting()
    print(rasa.telemetry.is_telemetry_enabled(), sentry_sdk.Hub.current.client is not None)

rasa.__main__.main = rasa_main
serve.main()
"""


def test_the_engine_launcher_starts_rasa_with_no_telemetry_and_no_sentry(
        tmp_path: Path) -> None:
    """In the engine's environment, as Rasa starts: a caller that says nothing, or says
    yes, and a Rasa configuration in $HOME that says yes (Rasa's default) still give an
    engine that reports nothing. Without the launcher's setting Rasa would set up Sentry."""
    if not ENGINE_PYTHON.exists():
        unavailable(f"no engine environment at {ENGINE_PYTHON}: run `make setup`")
    home = tmp_path / "home"
    (home / ".config" / "rasa").mkdir(parents=True)
    (home / ".config" / "rasa" / "global.yml").write_text(
        "metrics:\n  enabled: true\n  rasa_user_id: 0123456789abcdef0123456789abcdef\n"
        "  date: 2026-12-04 00:00:00\n", encoding="utf-8")
    base = {name: value for name, value in os.environ.items() if name != RASA_TELEMETRY_ENV}
    base.update(HOME=str(home), PYTHONPATH=str(PROJECT_ROOT),
                PATHFINDER_RASA_TOKEN=TEST_RASA_TOKEN)

    def started(**extra: str) -> list[str]:
        done = subprocess.run([str(ENGINE_PYTHON), "-c", RASA_START, "run"], cwd=PROJECT_ROOT,
                              env={**base, **extra}, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.split()[-2:]

    assert started() == ["False", "False"]
    assert started(**{RASA_TELEMETRY_ENV: "true"}) == ["False", "False"]
