"""Rasa's lock store on Redis, with each step one atomic Redis script.

Rasa processes one turn of a conversation at a time with a ticket lock: a turn takes the
next ticket and waits until it is the oldest live one. With several engines
(``pathfinder run --replicas``, bot/cluster.py) the tickets must be shared, in Redis; but
Rasa 3.6's ``RedisLockStore`` reads the lock, changes it in Python and writes it back, at
every step (RASA_NOTES: the race between instances, RasaHQ/rasa#9213). Two turns that
arrive at once on two engines may then both get ticket 0 and run side by side, and one's
events are lost when the other saves the tracker (tests/test_cluster.py saw it happen). Here
issuing, checking and returning a ticket are each one Lua script, which Redis runs alone:

- a conversation's live tickets are a hash, ``number -> expiry`` (milliseconds, Redis's
  clock, so that engines on machines whose clocks differ agree), beside the counter that
  numbers them;
- a turn is served when its ticket is the lowest live one; a ticket lives
  ``lock_lifetime`` seconds (TICKET_LIFETIME_S, 15; Rasa's own store: 60), so that an
  engine killed while serving holds its conversation that long at most;
- the last ticket returned deletes both keys, and both expire with the newest ticket;
- a ticket that cannot be returned (Redis went away during the turn) is logged and left to
  expire: the turn it served is answered as usual, not with the REST channel's apology.

Configured by bot/stack.py in a replica's endpoints file as
``lock_store: {type: bot.engine.lock_store.AtomicRedisLockStore, url, port, db, username,
password, use_ssl}``. Only ``lock()``, the one method Rasa 3.6 calls, is the store's.

This file runs in the engine's environment (.venv-engine, Python 3.10).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

logger = logging.getLogger(__name__)
KEY_PREFIX = "pathfinder:lock:"  # not Rasa's "lock:": its store keeps a string there
# How long a ticket lives unless returned: shorter than Rasa's 60 s (LOCK_LIFETIME) so that a
# turn retried on another engine after its engine was killed (the relays' message-id retry)
# waits for the dead ticket less than the REST channel's turn timeout (20 s) and is answered,
# not apologised for. A turn still running after it (none of ours comes near) no longer
# keeps the conversation's next message waiting.
TICKET_LIFETIME_S = min(15.0, LOCK_LIFETIME)
POLL_S = 0.05                    # how often a waiting turn asks whether it is served
SOCKET_TIMEOUT_S = 10.0

_NOW_MS = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
"""
# KEYS: tickets, counter; ARGV: lifetime (ms). Returns the new ticket's number.
ISSUE = _NOW_MS + """
local number = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], number, string.format('%d', now + tonumber(ARGV[1])))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return number
"""
# KEYS: tickets; ARGV: the ticket. Drops expired tickets; 1: served now, 0: wait, -1: the
# ticket has expired (or the lock with it).
SERVED = _NOW_MS + """
local entries = redis.call('HGETALL', KEYS[1])
local first = nil
for i = 1, #entries, 2 do
  local number = tonumber(entries[i])
  if tonumber(entries[i + 1]) < now then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif first == nil or number < first then
    first = number
  end
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
if first == tonumber(ARGV[1]) then return 1 end
return 0
"""
# KEYS: tickets, counter; ARGV: the ticket.
RETURN = """
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock, shared by every engine through Redis, each step atomic."""

    def __init__(self, endpoint_config: Any) -> None:
        options = dict(endpoint_config.kwargs)
        self.red = redis.StrictRedis(
            host=endpoint_config.url or "localhost", port=int(options.get("port", 6379)),
            db=int(options.get("db", 0)), username=options.get("username"),
            password=options.get("password"), ssl=bool(options.get("use_ssl", False)),
            socket_timeout=float(options.get("socket_timeout", SOCKET_TIMEOUT_S)))
        self._issue = self.red.register_script(ISSUE)
        self._served = self.red.register_script(SERVED)
        self._return = self.red.register_script(RETURN)
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> list[str]:
        tickets = KEY_PREFIX + conversation_id
        return [tickets, tickets + ":last"]

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = TICKET_LIFETIME_S,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock while the block runs: wait (in order of arrival)
        until every turn that came before is done; LockError when the ticket expires first
        or Redis fails."""
        keys = self._keys(conversation_id)
        try:
            ticket = int(self._issue(keys=keys, args=[int(lock_lifetime * 1000)]))
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        try:
            await self._wait(conversation_id, keys, ticket, min(wait_time_in_seconds, POLL_S))
            yield TicketLock(conversation_id)
        finally:
            self._release(keys, ticket, lock_lifetime)

    def _release(self, keys: list[str], ticket: int, lock_lifetime: float) -> None:
        """Return the ticket. A failure is logged, never raised: the turn it served has run
        and been stored, and raising would turn its answer into the apology, which a client
        without a message id answers by sending the turn again (stored twice). The ticket
        expires with its lifetime; until then the conversation's next turn waits."""
        try:
            self._return(keys=keys, args=[ticket])
        except Exception as exc:  # any failure: Redis gone, or another
            logger.warning("Could not return a conversation's lock ticket to Redis (%s: %s); "
                           "it expires by itself within %.0f s.", type(exc).__name__, exc,
                           lock_lifetime)

    async def _wait(self, conversation_id: str, keys: list[str], ticket: int,
                    poll_s: float) -> None:
        while True:
            try:
                served = int(self._served(keys=keys[:1], args=[ticket]))
            except redis.RedisError as exc:
                raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
            if served == 1:
                return
            if served == -1:
                raise LockError(f"Could not acquire lock for conversation_id "
                                f"'{conversation_id}'.")
            await asyncio.sleep(poll_s)
