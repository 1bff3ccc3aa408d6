"""``pathfinder run``: start the actions server, the Rasa engine and the web app, show the chat
URL, restart a service that stops answering, and stop everything on Ctrl-C or SIGTERM. The
events consumer (bot/events/) runs in a thread of this process, keeping the staff console's
conversation summaries current.

A service that exits ends the run (its log says why). One that is alive but no longer answers
its health check for ``StackConfig.unresponsive_after_s`` (a frozen event loop: every learner
on every channel waits) is killed and started again, while the others keep serving."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from bot.stack import LABELS, Stack, StackConfig, StackError, secret_key_for

WATCH_INTERVAL_S = 1.0
HEALTH_EVERY_S = 5.0


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same way out as Ctrl-C: the `finally` that stops every service.
    raise KeyboardInterrupt


def run(config: StackConfig, out: TextIO | None = None) -> int:
    """Run the stack until interrupted; 0 after Ctrl-C/SIGTERM, 1 if a service fails."""
    stream = out or sys.stdout

    def say(message: str) -> None:
        print(message, file=stream, flush=True)

    # Raises StackError, before anything starts, for a setting some service cannot start with.
    stack = Stack(config, on_progress=say)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    events: threading.Event | None = None
    try:
        try:
            stack.start()
        except StackError as exc:
            say(f"Could not start Pathfinder: {exc}")
            return 1
        events = _start_events_consumer(stack)
        _announce(stack, config, say)
        try:
            failed = _watch(stack, say)
        except StackError as exc:
            say(f"Could not restart a service: {exc}")
            return 1
        say(f"The {LABELS[failed]} stopped unexpectedly; see {config.log_path / failed}.log. "
            "Stopping the other services.")
        return 1
    except KeyboardInterrupt:
        say("\nStopping Pathfinder…")
        return 0
    finally:
        if events is not None:
            events.set()
        stack.stop()
        signal.signal(signal.SIGTERM, previous)
        say("All Pathfinder services are stopped.")


def _start_events_consumer(stack: Stack) -> threading.Event:
    """The events consumer (bot/events/), in a thread of this process, once the web app has
    migrated the database: it keeps the console's summaries current from the tracker store
    this stack's engine writes. Set the event to stop it."""
    from bot.events.consumer import start_thread
    from knowledge.settings import database_url

    config = stack.config
    _thread, stop = start_thread(f"sqlite:///{config.tracker_db_path}",
                                 config.database_url or database_url(),
                                 secret_key_for(config).encode("utf-8"))
    return stop


def _announce(stack: Stack, config: StackConfig, say: Callable[[str], None]) -> None:
    say("")
    if config.web_port is not None:
        say(f"Pathfinder is running. Chat with it at {_browser_url(stack.web_url)}")
    say(f"  Rasa REST webhook: {stack.rasa_url}/webhooks/rest/webhook")
    say(f"  Actions server:    {stack.actions_url}")
    if "telegram" in stack.services:
        say("  Telegram:          the connector is polling Telegram for your bot's messages")
    say(f"  Logs:              {config.log_path}")
    say("Press Ctrl-C to stop.")


def _browser_url(url: str) -> str:
    return url.replace("//127.0.0.1:", "//localhost:")


def _watch(stack: Stack, say: Callable[[str], None]) -> str:
    """Block until a service exits on its own (its name); restart those that stop answering."""
    failing_since: dict[str, float] = {}
    next_check = time.monotonic() + HEALTH_EVERY_S
    while True:
        failed = stack.poll()
        if failed is not None:
            return failed
        now = time.monotonic()
        if now >= next_check:
            failing_since = {name: failing_since.get(name, now) for name in stack.unhealthy()}
            for name, since in list(failing_since.items()):
                if now - since >= stack.config.unresponsive_after_s:
                    say(f"The {LABELS[name]} has not answered its health check for "
                        f"{now - since:.0f} s; restarting it.")
                    stack.restart_service(name)
                    del failing_since[name]
            next_check = time.monotonic() + HEALTH_EVERY_S
        time.sleep(WATCH_INTERVAL_S)
