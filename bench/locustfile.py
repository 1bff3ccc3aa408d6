"""Simulated learners for bench/load.py, run by Locust (headless, in its own process).

Each learner holds one conversation at a time: the scripted EN or FR learner path of
bench/conversation.py, one message every 5-15 s (think time), half of them through Rasa's
REST channel and half through the web app's widget API, as the two public doors of a
deployment. A turn fails when the answer is not a 200 or holds no message: a learner who
gets silence has been failed as surely as one who gets an error.

    .venv/bin/locust -f bench/locustfile.py --headless -u 50 -r 5 -t 2m \
        --rasa-url http://127.0.0.1:5005 --web-url http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import sys
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversation import SCRIPTS  # noqa: E402

TURN_TIMEOUT_S = 60.0
_LEARNERS = itertools.count()  # alternates language and door, learner by learner


@events.init_command_line_parser.add_listener
def _urls(parser: Any) -> None:
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005",
                        help="Rasa's REST channel (the balancer's port with replicas)")
    parser.add_argument("--web-url", default="http://127.0.0.1:8000",
                        help="the web app (the widget's API)")


class Learner(HttpUser):
    wait_time = between(5, 15)
    host = "http://127.0.0.1"  # each request names its full URL (two services)

    def on_start(self) -> None:
        number = next(_LEARNERS)
        self.lang = ("en", "fr")[number % 2]
        self.widget = (number // 2) % 2 == 1
        self._new_conversation()

    def _new_conversation(self) -> None:
        self.step = 0
        self.sender = f"web-{uuid.uuid4().hex}" if self.widget else f"load-{uuid.uuid4().hex}"

    @task
    def say_next(self) -> None:
        script = SCRIPTS[self.lang]
        text = script[self.step]
        options = self.environment.parsed_options
        if self.widget:
            url = f"{options.web_url}/api/conversations/{self.sender}/messages"
            body: dict[str, str] = {"message": text}
        else:
            url = f"{options.rasa_url}/webhooks/rest/webhook"
            body = {"sender": self.sender, "message": text}
        with self.client.post(url, json=body, name="widget" if self.widget else "rest",
                              timeout=TURN_TIMEOUT_S, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif not _messages(response.json(), self.widget):
                response.failure("no answer")
        self.step += 1
        if self.step == len(script):
            self._new_conversation()


def _messages(answer: Any, widget: bool) -> list[Any]:
    if widget:
        return list(answer.get("messages") or []) if isinstance(answer, dict) else []
    return list(answer) if isinstance(answer, list) else []
