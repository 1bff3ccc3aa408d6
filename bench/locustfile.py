"""Simulated learners for bench/load.py, run by Locust (headless, in its own process).

Each learner holds one conversation at a time: the scripted EN or FR learner path of
bench/conversation.py, one message every 5-15 s (think time), half of them through Rasa's
REST channel and half through the web app's widget API, as the two public doors of a
deployment (with replicas, both are the balancer's ports).

Each learner is a client as the product's own are, so that the bench measures the
product's behaviour and not a naive client's:

- a widget learner does what connectors/widget/pathfinder-widget.js does: each message
  goes with a ``message_id`` of its own, and is sent once more with it, after 1 s, when no
  answer came (the connection failed or dropped, or 502, 503 or 504);
- a REST learner (a portal's own client) does what connectors/rasa_client.py does: the id
  in the metadata, sent once more after 0.5 s when the engine could not be reached,
  dropped the connection, or the balancer answered 502, 503 or 504; not after a read
  timeout.

A turn is one Locust request (name ``rest`` or ``widget``), timed from the first attempt
to the last answer, as the learner waits. It fails when the last answer is not a 200, holds
no message, or is the engine's apology (``utter_action_failed``: the actions server failed
or was too slow): a learner who gets silence or "please try again" has been failed as surely
as one who gets an error.

With ``PATHFINDER_LOAD_RECORDS=DIR`` each Locust process appends to ``DIR/sent-PID.jsonl``
one line as it sends each message (``"k": "send"``: sender, its number in the
conversation, message id, text, door, time) and one when the turn ends (``"k": "done"``:
its time, milliseconds, attempts, the error if any and what the first attempt got when it
was retried), so that bench/load.py can check that every message sent was stored exactly
once and in order.

    .venv/bin/locust -f bench/locustfile.py --headless -u 50 -r 5 -t 2m \
        --rasa-url http://127.0.0.1:5005 --web-url http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import IO, Any

import gevent
import requests
from locust import User, between, events, task

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversation import SCRIPTS  # noqa: E402
from knowledge.settings import LOAD_RECORDS  # noqa: E402

RECORDS_ENV = LOAD_RECORDS.name
TURN_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0
RESEND_STATUSES = frozenset({502, 503, 504})
# The pause before the one resend: the widget's (RESEND_AFTER_MS), the relays' client's
# (connectors/rasa_client.py RETRY_PAUSE_S).
RESEND_AFTER_S = {"widget": 1.0, "rest": 0.5}
_LEARNERS = itertools.count()  # alternates language and door, learner by learner


def _apologies() -> frozenset[str]:
    """The texts of ``utter_action_failed`` (domain.yml), EN and FR."""
    from ruamel.yaml import YAML

    domain = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return frozenset(v["text"] for v in domain["responses"]["utter_action_failed"])


APOLOGIES = _apologies()


@events.init_command_line_parser.add_listener
def _urls(parser: Any) -> None:
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005",
                        help="Rasa's REST channel (the balancer's port with replicas)")
    parser.add_argument("--web-url", default="http://127.0.0.1:8000",
                        help="the web app (the widget's API)")


class _Records:
    """This process's JSONL file of what was sent (None without PATHFINDER_LOAD_RECORDS)."""

    def __init__(self) -> None:
        self._file: IO[str] | None = None

    def write(self, **fields: Any) -> None:
        folder = os.environ.get(RECORDS_ENV)
        if not folder:
            return
        if self._file is None:
            path = Path(folder) / f"sent-{os.getpid()}.jsonl"
            self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._file.write(json.dumps(fields, ensure_ascii=False) + "\n")


RECORDS = _Records()


class Turn:
    """What one attempt got: the error kind (None: answered) and whether it is resent."""

    def __init__(self, door: str, response: requests.Response | None,
                 exc: requests.RequestException | None) -> None:
        self.resend = False
        self.length = 0
        if exc is not None:
            self.error: str | None = type(exc).__name__
            # What the widget's fetch() and the relays' client treat as "no answer": could
            # not connect, or the connection dropped; not a read timeout (the engine is
            # alive and the learner has waited long enough).
            self.resend = (isinstance(exc, requests.ConnectionError)
                           and not isinstance(exc, requests.ReadTimeout))
            return
        assert response is not None
        self.length = len(response.content)
        if response.status_code != 200:
            self.error = f"HTTP {response.status_code}"
            self.resend = response.status_code in RESEND_STATUSES
            return
        try:
            texts = _texts(response.json(), door)
        except ValueError:
            self.error = "not JSON"
            return
        if texts is None:
            self.error = "no answer"
        elif texts and all(text in APOLOGIES for text in texts):
            self.error = "apology (utter_action_failed)"
        else:
            self.error = None


class Learner(User):
    wait_time = between(5, 15)

    def on_start(self) -> None:
        number = next(_LEARNERS)
        self.number = number
        self.lang = ("en", "fr")[number % 2]
        self.door = "widget" if (number // 2) % 2 == 1 else "rest"
        # A learner's own connections, as a browser's or a portal's client's.
        self.http = requests.Session()
        self._new_conversation()

    def on_stop(self) -> None:
        self.http.close()

    def _new_conversation(self) -> None:
        self.step = 0
        prefix = "web" if self.door == "widget" else "load"
        self.sender = f"{prefix}-{uuid.uuid4().hex}"

    @task
    def say_next(self) -> None:
        script = SCRIPTS[self.lang]
        text = script[self.step]
        message_id = uuid.uuid4().hex
        options = self.environment.parsed_options
        if self.door == "widget":
            url = f"{options.web_url}/api/conversations/{self.sender}/messages"
            body: dict[str, Any] = {"message": text, "message_id": message_id}
        else:
            url = f"{options.rasa_url}/webhooks/rest/webhook"
            body = {"sender": self.sender, "message": text,
                    "metadata": {"message_id": message_id}}
        RECORDS.write(k="send", learner=self.number, sender=self.sender, seq=self.step,
                      id=message_id, text=text, door=self.door, t=time.time())
        started = time.perf_counter()
        first_error = None
        attempts = 1
        outcome = self._attempt(url, body)
        if outcome.resend:
            first_error = outcome.error
            gevent.sleep(RESEND_AFTER_S[self.door])  # the other learners go on meanwhile
            attempts = 2
            outcome = self._attempt(url, body)
        elapsed_ms = (time.perf_counter() - started) * 1000
        RECORDS.write(k="done", sender=self.sender, id=message_id, t=time.time(),
                      ms=round(elapsed_ms, 1), attempts=attempts, error=outcome.error,
                      resent_after=first_error)
        self.environment.events.request.fire(
            request_type="POST", name=self.door, response_time=elapsed_ms,
            response_length=outcome.length, context={},
            exception=None if outcome.error is None else TurnFailed(outcome.error))
        self.step += 1
        if self.step == len(script):
            self._new_conversation()

    def _attempt(self, url: str, body: dict[str, Any]) -> Turn:
        try:
            response = self.http.post(url, json=body,
                                      timeout=(CONNECT_TIMEOUT_S, TURN_TIMEOUT_S))
        except requests.RequestException as exc:
            return Turn(self.door, None, exc)
        return Turn(self.door, response, None)


class TurnFailed(Exception):
    """A turn the learner was failed on; its text is the kind (Locust's failures table)."""


def _texts(answer: Any, door: str) -> list[str] | None:
    """The texts of the bot's messages (None: no message at all)."""
    if door == "widget":
        messages = answer.get("messages") if isinstance(answer, dict) else None
    else:
        messages = answer if isinstance(answer, list) else None
    if not messages:
        return None
    return [m["text"] for m in messages if isinstance(m, dict) and isinstance(m.get("text"), str)]
