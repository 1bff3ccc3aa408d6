"""Counting what one client does in a sliding window (inquiries sent, failed console logins).

In memory, per process: enough to stop one client flooding an institution's inbox or
guessing passwords from one address. Behind a proxy every visitor has the proxy's address
unless uvicorn trusts its X-Forwarded-For (FORWARDED_ALLOW_IPS; README, Configuration)."""

from __future__ import annotations

import os
import threading
import time
from collections import deque


def rate_from_env(name: str, default: str) -> tuple[int, float]:
    """``COUNT/SECONDS`` from the environment variable ``name`` (e.g. ``5/600``), else from
    ``default``; a malformed value falls back to the default."""
    for text in (os.environ.get(name, default), default):
        try:
            count, seconds = text.split("/")
            return max(1, int(count)), max(1.0, float(seconds))
        except ValueError:
            continue
    raise ValueError(f"bad default rate {default!r}")


class RateLimiter:
    """At most ``limit`` events per key in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Records an event for ``key`` unless it has had ``limit`` in the window."""
        with self._lock:
            if self._full(key):
                return False
            self._events.setdefault(key, deque()).append(time.monotonic())
            return True

    def exceeded(self, key: str) -> bool:
        """Whether ``key`` has had ``limit`` events in the window (records nothing)."""
        with self._lock:
            return self._full(key)

    def _full(self, key: str) -> bool:
        now = time.monotonic()
        if len(self._events) > 10_000:  # forget idle clients
            self._events = {k: v for k, v in self._events.items()
                            if v and v[-1] > now - self.window_s}
        events = self._events.get(key)
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events is not None and len(events) >= self.limit
