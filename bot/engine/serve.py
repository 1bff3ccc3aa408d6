"""``python -m bot.engine.serve [rasa run arguments]``: ``rasa run`` with its HTTP API locked.

Rasa's HTTP API (trackers, ``/model/parse``, training, loading a model: a model archive can
carry code) answers anyone unless ``rasa run`` gets ``--auth-token``. A token on the command
line is readable by every local user (``ps``), so this launcher takes it from the
environment (``PATHFINDER_RASA_TOKEN``), adds it to Rasa's arguments inside the process, and
refuses to start without one. Its callers send it as ``?token=`` (Rasa 3.6 reads it from
the query string only; connectors/rasa_client.py). The REST channel stays public, as Rasa
designed it; it reads the same token from the environment to recognise our relays
(bot/engine/channels.py). Rasa's Sanic access log is switched off (``bot/stack.py``
sets ``SANIC_ACCESS_LOG``), so the token is not written to the engine's log either.

Nothing leaves the machine: Rasa's telemetry (usage events to Segment) and its error
reporting (exceptions to Sentry, which Rasa starts only while telemetry is enabled) are
switched off here (``RASA_TELEMETRY_ENABLED=false``, as Rasa's docs say to opt out), whatever
the caller's environment or ``~/.config/rasa/global.yml`` say; bot/stack.py sets it too.

This file runs in the engine's environment (.venv-engine, Python 3.10).
"""

from __future__ import annotations

import os
import sys

from knowledge.settings import RASA_TOKEN_ENV, SettingsError, engine_settings

# Rasa's own switch (rasa/telemetry.py): it also decides whether errors are sent to Sentry.
RASA_TELEMETRY_ENV = "RASA_TELEMETRY_ENABLED"

# Options that would undo the lock-down if a caller passed them (-t is --auth-token).
REFUSED = ("--auth-token", "--cors", "--jwt-secret", "-t")


def rasa_argv(argv: list[str], token: str) -> list[str]:
    """Rasa's own argv: ``rasa`` + the caller's arguments + the token."""
    for arg in argv:
        name = arg.split("=", 1)[0]
        # argparse also takes any unambiguous prefix of a long option ("--cor").
        if name in REFUSED or (name.startswith("--") and len(name) > 2
                               and any(option.startswith(name) for option in REFUSED)):
            raise SystemExit(f"bot.engine.serve sets the API's protection itself; {arg} "
                             f"is not accepted (the token comes from {RASA_TOKEN_ENV}).")
    # One argument with "=": a token may start with "-", which argparse would take for an option.
    return ["rasa", *argv, f"--auth-token={token}"]


def main() -> None:
    try:
        # Every setting of our code in the engine (the channel's too), checked before Rasa's
        # minute of loading: a malformed one stops the start, naming the variable.
        settings = engine_settings()
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    sys.argv = rasa_argv(sys.argv[1:], settings.rasa_token)
    os.environ[RASA_TELEMETRY_ENV] = "false"  # read by Rasa as it starts: no Segment, no Sentry
    from rasa.__main__ import main as rasa_main  # a few seconds: after the checks

    rasa_main()


if __name__ == "__main__":
    main()
