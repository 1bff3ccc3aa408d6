"""The rate limits of bot/api/rate_limit.py kept in Redis, so that every replica of the web app
counts the same client once: with PATHFINDER_REDIS_URL set, create_app (bot/api/app.py) puts
these in app.state where the routers look for their limiters; unset, each process counts alone.

Same interface as :class:`~bot.api.rate_limit.RateLimiter` and
:class:`~bot.api.rate_limit.FailureBackoff`, same rules, shared:

- A sliding window is a sorted set per client, ``{prefix}{name}:{digest}``, one member per
  event scored by its time; one Lua script drops the events older than the window, counts the
  rest and adds the new one (atomic: two replicas cannot both take the last place). Its expiry
  is the window, renewed by each event. ``forgive`` takes back the newest event (ZPOPMAX).
- A failure count is a hash per client and account (``failures``, ``until``), updated by one
  Lua script with the doubling wait; it expires ``longest_wait_s`` after the wait ends, when
  the in-memory class would forget it too.
- Times are the Redis server's (``TIME``, in milliseconds): replicas on several machines agree
  even when their clocks do not.
- No address or e-mail is stored: the client part of a key is an HMAC-SHA256 of it (with the
  kind of limit) under a key every replica has (PATHFINDER_SECRET_KEY, else the engine's
  token), cut to 128 bits. A Redis dump does not give the addresses back, even by trying all
  2**32 IPv4 ones.

Redis unreachable, slow or refusing (any redis-py error): never a 500, never a wait of more
than ``TIMEOUT_S`` (connect and each reply; redis-py's own retries are off), and after one
failure no request tries Redis for ``RETRY_AFTER_S``: they decide at once. What they decide is
each limiter's ``when_down``:

- inquiries: counted in this process instead (the in-memory limiter, as with one replica), so
  the form keeps working and a client gets at most one allowance per replica while Redis is
  away. Not "no limit at all": an outage must not open the institutions' inboxes to a flood.
- console logins (failures per address, waits per address and account): refused (fail closed,
  429), as the password is never checked: a limit that N replicas would multiply is what a
  password guesser wants, and staff, whose open sessions live in the database and go on
  working, can wait for Redis. Counting a failure or a success that cannot reach Redis is
  given up (logged).

One warning is logged when Redis stops answering and one line when it answers again."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from bot.api.rate_limit import RateLimiter

logger = logging.getLogger(__name__)
T = TypeVar("T")

KEY_PREFIX = "pathfinder:rl:"
# Seconds to connect and for each reply. Redis answers in well under a millisecond on the
# same machine or network: past this it is in trouble, and the request decides without it.
TIMEOUT_S = 0.5
# After a failure, seconds during which no request tries Redis (each would wait TIMEOUT_S
# when it does not answer at all); the first request after them tries again.
RETRY_AFTER_S = 2.0
DIGEST_HEX_CHARS = 32  # 128 bits of the HMAC: no two clients of one limit share a count

# Redis's clock, in milliseconds: 13 digits, exact in Lua 5.1's "%.14g" number-to-string.
_NOW = ("local t = redis.call('TIME') "
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ")

# KEYS[1]: the window's sorted set. ARGV: window ms, limit, a member unique to this event.
_WINDOW_ALLOW = _NOW + """
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""

# KEYS[1]: the window's sorted set. ARGV: window ms, limit. 1: full (records nothing).
_WINDOW_FULL = _NOW + """
local count = redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')
if count >= tonumber(ARGV[2]) then return 1 end
return 0
"""

# KEYS[1]: the failures' hash. ARGV: threshold. 1: refused.
_BACKOFF_REFUSED = _NOW + """
local v = redis.call('HMGET', KEYS[1], 'failures', 'until')
if (tonumber(v[1]) or 0) >= tonumber(ARGV[1]) and (tonumber(v[2]) or 0) > now then
  return 1
end
return 0
"""

# KEYS[1]: the failures' hash. ARGV: threshold, first wait ms, longest wait ms. Returns the
# failures in a row. The rules of FailureBackoff.failed, in Redis's time.
_BACKOFF_FAILED = _NOW + """
local threshold = tonumber(ARGV[1])
local longest = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'failures', 'until')
local failures = tonumber(v[1]) or 0
if (tonumber(v[2]) or 0) + longest <= now then failures = 0 end
failures = failures + 1
local wait = 0
if failures >= threshold then
  wait = math.floor(math.min(longest, tonumber(ARGV[2]) * 2 ^ math.min(failures - threshold, 32)))
end
redis.call('HSET', KEYS[1], 'failures', failures, 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], wait + longest)
return failures
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class SharedLimits:
    """One Redis connection pool for a web app's limiters, the key of their client digests,
    and whether Redis answered last time."""

    def __init__(self, client: redis.Redis, digest_key: bytes, prefix: str | None = None,
                 retry_after_s: float = RETRY_AFTER_S) -> None:
        self.client = client
        self.prefix = KEY_PREFIX if prefix is None else prefix
        self._digest_key = digest_key
        self._retry_after_s = retry_after_s
        self._down_until = 0.0  # time.monotonic(): until then, Redis is not tried
        self._down = False
        self._lock = threading.Lock()
        self.window_allow = client.register_script(_WINDOW_ALLOW)
        self.window_full = client.register_script(_WINDOW_FULL)
        self.backoff_refused = client.register_script(_BACKOFF_REFUSED)
        self.backoff_failed = client.register_script(_BACKOFF_FAILED)

    @classmethod
    def connect(cls, url: str, digest_key: bytes, prefix: str | None = None,
                timeout_s: float = TIMEOUT_S, retry_after_s: float = RETRY_AFTER_S
                ) -> SharedLimits:
        """Limits in the Redis at ``url`` (no connection is made before the first request)."""
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
            # redis-py retries three times with backoff by default (seconds of waiting):
            # a limit decides without Redis instead.
            retry=Retry(NoBackoff(), 0), retry_on_timeout=False)
        return cls(client, digest_key, prefix, retry_after_s)

    def key(self, name: str, client_key: str) -> str:
        """The Redis key of ``client_key`` (an address, an address and an e-mail) in the limit
        ``name``: no part of it in clear."""
        digest = hmac.new(self._digest_key, f"{name}\0{client_key}".encode(),
                          hashlib.sha256).hexdigest()
        return f"{self.prefix}{name}:{digest[:DIGEST_HEX_CHARS]}"

    def run(self, command: Callable[[], T], what: str) -> T | None:
        """``command()``'s answer, or None when Redis did not give one (now, or lately)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            answer = command()
        except (RedisError, OSError) as exc:
            with self._lock:
                self._down_until = time.monotonic() + self._retry_after_s
                first, self._down = not self._down, True
            if first:
                logger.warning("Redis does not answer (%s: %s): %s; the rate limits decide "
                               "without it (inquiries counted in this process, console logins "
                               "refused) until it does", type(exc).__name__, exc, what)
            return None
        if self._down:
            with self._lock:
                was, self._down = self._down, False
            if was:
                logger.warning("Redis answers again: the rate limits are shared again")
        return answer

    def rate_limiter(self, name: str, limit: int, window_s: float,
                     when_down: RateLimiter | None) -> SharedRateLimiter:
        return SharedRateLimiter(self, name, limit, window_s, when_down)

    def failure_backoff(self, name: str, threshold: int, first_wait_s: float,
                        longest_wait_s: float) -> SharedFailureBackoff:
        return SharedFailureBackoff(self, name, threshold, first_wait_s, longest_wait_s)

    def close(self) -> None:
        self.client.close()


class SharedRateLimiter:
    """:class:`~bot.api.rate_limit.RateLimiter` in Redis. ``when_down``: the limiter that
    decides while Redis does not answer; None: every event is refused (fail closed)."""

    def __init__(self, limits: SharedLimits, name: str, limit: int, window_s: float,
                 when_down: RateLimiter | None) -> None:
        self.limit = limit
        self.window_s = window_s
        self.name = name
        self.when_down = when_down
        self._limits = limits
        self._window_ms = _ms(window_s)

    def allow(self, key: str) -> bool:
        """Records an event for ``key`` unless it has had ``limit`` in the window."""
        answer: Any = self._limits.run(lambda: self._limits.window_allow(
            keys=[self._limits.key(self.name, key)],
            args=[self._window_ms, self.limit, secrets.token_hex(8)]), f"{self.name}: allow")
        if answer is None:
            return self.when_down.allow(key) if self.when_down is not None else False
        return bool(answer)

    def forgive(self, key: str) -> None:
        """Takes back the newest event of ``key`` (an attempt counted up front that
        succeeded). Without Redis, the event stays counted."""
        answer = self._limits.run(
            lambda: self._limits.client.zpopmax(self._limits.key(self.name, key)),
            f"{self.name}: forgive")
        if answer is None and self.when_down is not None:
            self.when_down.forgive(key)

    def exceeded(self, key: str) -> bool:
        """Whether ``key`` has had ``limit`` events in the window (records nothing)."""
        answer: Any = self._limits.run(lambda: self._limits.window_full(
            keys=[self._limits.key(self.name, key)], args=[self._window_ms, self.limit]),
            f"{self.name}: exceeded")
        if answer is None:
            return self.when_down.exceeded(key) if self.when_down is not None else True
        return bool(answer)


class SharedFailureBackoff:
    """:class:`~bot.api.rate_limit.FailureBackoff` in Redis. While Redis does not answer,
    every key is refused (fail closed) and failures and successes are not counted."""

    def __init__(self, limits: SharedLimits, name: str, threshold: int, first_wait_s: float,
                 longest_wait_s: float) -> None:
        self.threshold = threshold
        self.first_wait_s = first_wait_s
        self.longest_wait_s = longest_wait_s
        self.name = name
        self._limits = limits

    def refused(self, key: str) -> bool:
        answer: Any = self._limits.run(lambda: self._limits.backoff_refused(
            keys=[self._limits.key(self.name, key)], args=[self.threshold]),
            f"{self.name}: refused")
        return True if answer is None else bool(answer)

    def failed(self, key: str) -> None:
        self._limits.run(lambda: self._limits.backoff_failed(
            keys=[self._limits.key(self.name, key)],
            args=[self.threshold, _ms(self.first_wait_s), _ms(self.longest_wait_s)]),
            f"{self.name}: failed")

    def succeeded(self, key: str) -> None:
        self._limits.run(lambda: self._limits.client.delete(self._limits.key(self.name, key)),
                         f"{self.name}: succeeded")
