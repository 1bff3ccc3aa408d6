"""Counting what one client does: events in a sliding window (inquiries sent, failed console
logins from one address) and failures in a row that make a client wait (failed logins of one
address to one account).

In memory, per process: enough to stop one client flooding an institution's inbox or
guessing passwords from one address, with one web app. Several replicas would each give a
client its own allowance: with PATHFINDER_REDIS_URL, create_app puts the same limits, kept in
Redis, where the routers look for these (bot/api/shared_limits.py, same interface).
Clients are told apart by bot/api/client_address.py:
behind a proxy every visitor has the proxy's address unless PATHFINDER_TRUSTED_PROXIES names
it (README, Configuration)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000  # beyond this many clients, idle ones are forgotten


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

    def forgive(self, key: str) -> None:
        """Takes back the last event of ``key`` (an attempt counted up front that succeeded)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def exceeded(self, key: str) -> bool:
        """Whether ``key`` has had ``limit`` events in the window (records nothing)."""
        with self._lock:
            return self._full(key)

    def _full(self, key: str) -> bool:
        now = time.monotonic()
        if len(self._events) > MAX_KEYS:
            self._events = {k: v for k, v in self._events.items()
                            if v and v[-1] > now - self.window_s}
        events = self._events.get(key)
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events is not None and len(events) >= self.limit


class FailureBackoff:
    """After ``threshold`` failures in a row a key is refused for ``first_wait_s``, twice as
    long after each further failure, at most ``longest_wait_s``. A success forgets the key,
    and so does ``longest_wait_s`` without a failure once the wait is over. Refused attempts
    are not failures: they were never checked."""

    def __init__(self, threshold: int, first_wait_s: float, longest_wait_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.first_wait_s = first_wait_s
        self.longest_wait_s = longest_wait_s
        self._clock = clock
        # key -> (failures in a row, refused until; the last failure's time before the threshold)
        self._keys: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def refused(self, key: str) -> bool:
        with self._lock:
            failures, until = self._keys.get(key, (0, 0.0))
            return failures >= self.threshold and until > self._clock()

    def failed(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            if len(self._keys) > MAX_KEYS:
                self._keys = {k: v for k, v in self._keys.items()
                              if v[1] + self.longest_wait_s > now}
            failures, until = self._keys.get(key, (0, 0.0))
            if until + self.longest_wait_s <= now:
                failures = 0  # quiet for long enough: a fresh start
            failures += 1
            wait = 0.0
            if failures >= self.threshold:
                wait = min(self.longest_wait_s,
                           self.first_wait_s * 2 ** min(failures - self.threshold, 32))
            self._keys[key] = (failures, now + wait)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)
