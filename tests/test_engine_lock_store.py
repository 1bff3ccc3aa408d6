"""The engines' lock store (bot/engine/lock_store.py) when a turn has run but its ticket
cannot be returned to Redis: the turn's answer stands (an error there would become the REST
channel's apology, and a client without a message id would send the turn again and have it
stored twice), the failure is logged, and the ticket expires by itself, so the
conversation's next turn, on any engine, is served once its lifetime is over.

In the engine's environment (Rasa 3.6, Python 3.10), against the machine's Redis: one engine
whose Redis goes out of reach during a turn (its connections now lead to a closed port), and
one whose return of the ticket fails with an error that is not Redis's."""

from __future__ import annotations

import json
import os
import random
import subprocess
import uuid
from pathlib import Path

import pytest

from bot.cluster import check_redis
from bot.stack import StackError, free_port
from tests.cluster_support import REDIS_SERVER
from tests.conftest import unavailable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENGINE_PYTHON = PROJECT_ROOT / ".venv-engine" / "bin" / "python"
LIFETIME_S = 1.0

# One turn under the lock of engine A, whose ticket's return fails (how: argv[4]); then a
# turn of the same conversation on engine B. Prints what the turn gave back, the warnings
# logged, and how long B waited for the lock.
RELEASE_FAILS = """
import asyncio, json, logging, sys, time
from types import SimpleNamespace
from bot.engine.lock_store import AtomicRedisLockStore
db, conversation, closed_port, how, lifetime = (
    int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
warnings = []
class Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())
logging.getLogger("bot.engine.lock_store").addHandler(Collect())
config = SimpleNamespace(url="127.0.0.1", kwargs={"db": db})

class ReturnFails(AtomicRedisLockStore):
    def __init__(self, config):
        super().__init__(config)
        def fail(**kwargs):
            raise OSError("the ticket's return failed")
        self._return = fail

async def main():
    a = ReturnFails(config) if how == "error" else AtomicRedisLockStore(config)
    b = AtomicRedisLockStore(config)
    outcome = {}
    try:
        async with a.lock(conversation, lock_lifetime=lifetime):
            if how == "redis-gone":  # Redis out of reach for engine A from now on
                a.red.connection_pool.connection_kwargs["port"] = closed_port
                a.red.connection_pool.reset()  # its connections are made again, there
            await asyncio.sleep(0.3)  # the turn runs (the next one's ticket outlives this)
            answer = "the turn's answer"
        outcome["answer"] = answer
    except Exception as exc:
        outcome["raised"] = f"{type(exc).__name__}: {exc}"
    started = time.monotonic()
    async with b.lock(conversation, lock_lifetime=lifetime):
        outcome["next_waited_s"] = time.monotonic() - started
    outcome["warnings"] = warnings
    outcome["keys_left"] = len(b.red.keys("pathfinder:lock:" + conversation + "*"))
    print(json.dumps(outcome))

asyncio.run(main())
"""


@pytest.mark.parametrize("how", ["redis-gone", "error"])
def test_a_turn_whose_lock_cannot_be_returned_keeps_its_answer(how: str) -> None:
    try:
        check_redis(REDIS_SERVER)
    except StackError as exc:
        unavailable(f"Redis is not reachable: {exc}")
    if not ENGINE_PYTHON.exists():
        unavailable(f"no engine environment at {ENGINE_PYTHON}: run `make setup`")
    done = subprocess.run(
        [str(ENGINE_PYTHON), "-c", RELEASE_FAILS, str(random.randrange(8, 16)),
         f"test-release-{uuid.uuid4().hex}", str(free_port()), how, str(LIFETIME_S)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # The turn had run: its answer is returned, not an error (the channel's apology).
    assert outcome.get("answer") == "the turn's answer", outcome
    # The operator reads why in the engine's log, without the conversation's id.
    [warning] = outcome["warnings"]
    assert "Could not return a conversation's lock ticket" in warning
    assert "expires by itself" in warning and "test-release-" not in warning
    # The ticket expired by itself: the conversation's next turn got the lock after its
    # lifetime, not never, and the last turn left no key behind.
    assert 0.5 * LIFETIME_S <= outcome["next_waited_s"] < LIFETIME_S + 5, outcome
    assert outcome["keys_left"] == 0
