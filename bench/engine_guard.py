"""What a long text costs the engine, and what the other learners see meanwhile.

Starts the actions server and the Rasa engine as `pathfinder run` does, then prints:

- the median time of ``POST /model/parse`` by text length (100 to 60,000 characters; NLU
  reads only the first 5,000: bot/engine/bounded_tokenizer.py);
- the median time of a learner's greeting over the REST channel, alone (the baseline) and
  while another client's 60,000-character text is being parsed, and their ratio.

Usage: ``.venv/bin/python -m bench.engine_guard [--runs 7]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.stack import Stack, StackConfig, free_port
from knowledge.settings import PROJECT_ROOT

SENTENCE = "I am a welder from Toronto and want CNC machining online under $800. "
LENGTHS = (100, 1_000, 5_000, 20_000, 60_000)


def text_of(length: int) -> str:
    return (SENTENCE * (length // len(SENTENCE) + 1))[:length]


def timed(call: httpx.Client, method: str, url: str, **kwargs: object) -> float:
    started = time.perf_counter()
    response = call.request(method, url, timeout=600, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        config = StackConfig(root=PROJECT_ROOT, rasa_port=free_port(),
                             actions_port=free_port(), web_port=None,
                             tracker_db=Path(tmp) / "tracker.db", log_dir=Path(tmp) / "logs")
        with Stack(config, on_progress=print) as stack, httpx.Client() as http, \
                ThreadPoolExecutor(max_workers=1) as pool:
            parse = f"{stack.rasa_url}/model/parse"
            token = {"token": stack.rasa_token}
            webhook = f"{stack.rasa_url}/webhooks/rest/webhook"

            def greet() -> float:
                return timed(http, "POST", webhook,
                             json={"sender": f"bench-{uuid.uuid4().hex}", "message": "Hello"})

            greet()  # warm-up
            print(f"\n/model/parse, median of {runs} (NLU reads at most 5,000 characters):")
            for length in LENGTHS:
                times = [timed(http, "POST", parse, params=token, json={"text": text_of(length)})
                         for _ in range(runs)]
                print(f"  {length:>6,} characters: {statistics.median(times) * 1000:7.1f} ms")

            alone = statistics.median(greet() for _ in range(runs))
            during = []
            for _ in range(runs):
                with httpx.Client() as other:
                    long_parse = pool.submit(timed, other, "POST", parse, params=token,
                                             json={"text": text_of(60_000)})
                    time.sleep(0.02)  # the long text is on its way first
                    during.append(greet())
                    long_parse.result()
            with_long = statistics.median(during)
            print(f"\nA learner's greeting, median of {runs}:")
            print(f"  alone (baseline):                   {alone * 1000:7.1f} ms")
            print(f"  while a 60,000-character text parses: {with_long * 1000:7.1f} ms "
                  f"({with_long / alone:.1f}x)")


if __name__ == "__main__":
    main()
