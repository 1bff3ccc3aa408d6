"""A turn sent twice is stored once (issue 14): the relays' client (connectors/rasa_client.py)
sends a turn again, with the same message id, only when the engine did not answer it (no
connection, a dropped one, a balancer's 502/503/504), and the engine's REST channel
(bot/engine/channels.py) runs a message id once per conversation, under the conversation's
lock, answering a repeat with what it stored.

The retry policy against a local stand-in of the engine; everything else against the suite's
shared engine (real Rasa and actions server), reached directly or through a stand-in of the
load balancer that loses the first answer after the engine gave it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bot.engine.redaction import redact_event
from bot.stack import Stack, free_port
from connectors import rasa_client
from connectors.message_ids import MESSAGE_ID_KEY, is_message_id, new_message_id
from connectors.rasa_client import RasaClient, RasaUnavailable
from connectors.senders import RELAY_TOKEN_HEADER
from tests.conftest import TEST_RASA_TOKEN, Stacks
from tests.http_stand_in import LocalHTTPServer, QuietHandler, read_json, send_json

CARDS = {"cards": True}
# A turn that needs the actions server and answers with text, buttons and a payload (cards).
RECOMMENDING = "I'm a cashier and want to become a bookkeeper, online please"
DROP = "drop"  # a stand-in's answer: close the connection without one


# --- the client's retry policy, against a stand-in ---------------------------------------

class EngineStandIn(LocalHTTPServer):
    """Rasa's REST channel as the client sees it through a balancer: answers the scripted
    ``faults`` in turn (a status, or DROP), then 200 with ``REPLY``. Records each request's
    message id and when it came. ``stall_s``: how long it thinks before answering."""

    REPLY = [{"recipient_id": "x", "text": "Hello!"}]

    def __init__(self, *faults: int | str, stall_s: float = 0.0) -> None:
        self.message_ids: list[str | None] = []
        self.paths: list[str] = []
        self.times: list[float] = []
        script = list(faults)
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = read_json(self)
                self._answer((body.get("metadata") or {}).get(MESSAGE_ID_KEY))

            def do_GET(self) -> None:  # noqa: N802
                self._answer(None)

            def _answer(self, message_id: str | None) -> None:
                stand_in.times.append(time.monotonic())
                stand_in.message_ids.append(message_id)
                stand_in.paths.append(self.path.split("?")[0])
                time.sleep(stall_s)
                fault = script.pop(0) if script else None
                if fault == DROP:
                    self.close_connection = True  # closed with nothing said
                elif isinstance(fault, int):
                    self.send_error(fault)
                elif self.command == "GET":
                    send_json(self, {"slots": {"language": "fr"}, "events": []})
                else:
                    send_json(self, EngineStandIn.REPLY, {"Content-Language": "en"})

        super().__init__(Handler)


def _send(url: str, message_id: str = "m-1", **client: Any) -> rasa_client.Reply:
    async def turn() -> rasa_client.Reply:
        rasa = RasaClient(url, TEST_RASA_TOKEN, **client)
        try:
            return await rasa.send("learner-1", "hi", message_id=message_id)
        finally:
            await rasa.aclose()
    return asyncio.run(turn())


def test_a_dropped_connection_is_sent_again_once_with_the_same_id() -> None:
    with EngineStandIn(DROP) as engine:
        reply = _send(engine.url, message_id="tg-42-7")
    assert engine.message_ids == ["tg-42-7", "tg-42-7"]
    assert reply.messages == EngineStandIn.REPLY and reply.language == "en"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_balancers_bad_gateway_is_sent_again_after_a_pause(status: int) -> None:
    with EngineStandIn(status) as engine:
        reply = _send(engine.url)
    assert engine.message_ids == ["m-1", "m-1"]
    assert engine.times[1] - engine.times[0] >= rasa_client.RETRY_PAUSE_S
    assert reply.messages == EngineStandIn.REPLY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 429, 500, 501])
def test_an_answer_of_the_engine_is_not_sent_again(status: int) -> None:
    """A 4xx or another 5xx is the engine's own answer: sending it again would not help."""
    with EngineStandIn(status) as engine, pytest.raises(RasaUnavailable):
        _send(engine.url)
    assert engine.message_ids == ["m-1"]


@pytest.mark.parametrize("faults", [(DROP, DROP), (502, 504), (DROP, 503)])
def test_only_once(faults: tuple[int | str, ...]) -> None:
    with EngineStandIn(*faults) as engine, pytest.raises(RasaUnavailable):
        _send(engine.url)
    assert engine.message_ids == ["m-1", "m-1"]


def test_an_engine_that_answers_too_slowly_is_not_sent_the_turn_again() -> None:
    """Alive but stuck: the learner has waited the whole timeout already."""
    with EngineStandIn(stall_s=1.0) as engine, pytest.raises(RasaUnavailable):
        _send(engine.url, turn_timeout_s=0.3)
    assert engine.message_ids == ["m-1"]


def test_an_engine_that_cannot_be_reached_is_tried_twice(
        caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(RasaUnavailable):
        _send(f"http://127.0.0.1:{free_port()}")
    retries = [r for r in caplog.records if "sending it again" in r.getMessage()]
    assert len(retries) == 1 and "ConnectError" in retries[0].getMessage()


def test_a_tracker_read_is_retried_the_same_way() -> None:
    async def read(url: str) -> dict[str, Any]:
        rasa = RasaClient(url, TEST_RASA_TOKEN)
        try:
            return await rasa.tracker("web-" + "0" * 32)
        finally:
            await rasa.aclose()

    with EngineStandIn(502) as engine:
        tracker = asyncio.run(read(engine.url))
    assert tracker["slots"] == {"language": "fr"}
    assert engine.paths == ["/conversations/web-" + "0" * 32 + "/tracker"] * 2


def test_message_ids_are_bounded_printable_tokens() -> None:
    for good in ("a", "tg-123456789-42", "tg--1001234567890-cb-7", new_message_id(),
                 "web.1:2_3", "x" * 128):
        assert is_message_id(good), good
    for bad in ("", " a", "a b", "-a", "x" * 129, "é", "a\n", "<b>", 'a"b', 7, None):
        assert not is_message_id(bad), bad


def test_redaction_leaves_the_message_id_intact() -> None:
    """The id is the user event's message_id, which no redaction touches, even when it is
    shaped like a phone number or a SIN (a Telegram chat id is a digit run)."""
    for message_id in ("tg-4165550199-12", "123456789", "tg-4111111111111111-3"):
        event: dict[str, Any] = {
            "event": "user", "text": "call 416-555-0199", "message_id": message_id,
            "parse_data": {"text": "call 416-555-0199", "entities": [], "message_id": message_id},
            "metadata": {"cards": True}}
        redacted = redact_event(event)
        assert redacted["message_id"] == redacted["parse_data"]["message_id"] == message_id
        assert "416-555-0199" not in redacted["text"]


# --- the engine: a message id runs once per conversation ----------------------------------

@pytest.fixture(scope="module")
def stack(stacks: Stacks) -> Stack:
    return stacks.engine()


@pytest.fixture()
def engine(stacks: Stacks) -> Stack:
    """The shared engine with its actions server running (a test may stop it)."""
    return stacks.engine()


def new_sender() -> str:
    return f"idem-{uuid.uuid4().hex[:12]}"


def post(stack: Stack, sender: str, message: str, message_id: Any = None,
         **headers: str) -> httpx.Response:
    metadata: dict[str, Any] = dict(CARDS)
    if message_id is not None:
        metadata[MESSAGE_ID_KEY] = message_id
    return httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=60, headers=headers,
                      json={"sender": sender, "message": message, "metadata": metadata})


def events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                        params={"token": stack.rasa_token}, timeout=30).json()
    found: list[dict[str, Any]] = tracker["events"]
    return found


def user_messages(stack: Stack, sender: str) -> list[tuple[str, str]]:
    return [(e["text"], e["message_id"]) for e in events(stack, sender) if e["event"] == "user"]


def test_the_same_message_id_twice_is_stored_once_and_answered_alike(engine: Stack) -> None:
    sender = new_sender()
    assert post(engine, sender, "Hello", "m-hello").status_code == 200
    first = post(engine, sender, RECOMMENDING, "m-psw")
    assert first.status_code == 200
    answer = first.json()
    # Premise: the answer has all the REST channel gives (text, buttons, a payload).
    assert any(m.get("text") for m in answer) and any(m.get("custom") for m in answer)
    assert any(m.get("buttons") for m in answer)
    stored = events(engine, sender)

    again = post(engine, sender, RECOMMENDING, "m-psw")
    assert again.status_code == 200
    assert again.json() == answer
    assert again.headers["content-language"] == first.headers["content-language"] == "en"
    assert events(engine, sender) == stored  # nothing ran, nothing was added
    assert user_messages(engine, sender) == [("Hello", "m-hello"), (RECOMMENDING, "m-psw")]
    # A new id is a new turn, even with the same words.
    assert post(engine, sender, RECOMMENDING, "m-psw-2").status_code == 200
    assert [m for m in user_messages(engine, sender) if m[0] == RECOMMENDING] == [
        (RECOMMENDING, "m-psw"), (RECOMMENDING, "m-psw-2")]


def test_a_message_id_reused_for_other_words_is_refused(engine: Stack) -> None:
    sender = new_sender()
    assert post(engine, sender, "my email is ana@example.com, I'm a cashier",
                "m-1").status_code == 200
    stored = events(engine, sender)
    # The same words again (stored redacted): the stored answer, nothing added.
    again = post(engine, sender, "my email is ana@example.com, I'm a cashier", "m-1")
    assert again.status_code == 200 and again.json()
    assert events(engine, sender) == stored
    reused = post(engine, sender, "I'm a welder", "m-1")
    assert reused.status_code == 409 and "message_id" in reused.json()["error"]
    assert events(engine, sender) == stored  # nothing ran


def test_a_repeat_is_answered_in_the_conversations_language(engine: Stack) -> None:
    sender = new_sender()
    first = post(engine, sender, "Bonjour", "m-1")
    assert first.headers["content-language"] == "fr"
    post(engine, sender, "in English please", "m-2")
    again = post(engine, sender, "Bonjour", "m-1")
    assert again.json() == first.json()  # the answer as it was, in French...
    assert again.headers["content-language"] == "en"  # ... and the conversation's language now
    assert [text for text, _ in user_messages(engine, sender)] == ["Bonjour", "in English please"]


def test_two_identical_sends_at_once_are_stored_once(engine: Stack) -> None:
    sender = new_sender()
    post(engine, sender, "Hello", "m-0")
    start = threading.Barrier(2)

    def send() -> httpx.Response:
        start.wait()
        return post(engine, sender, RECOMMENDING, "m-1")

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [f.result(timeout=90) for f in [pool.submit(send), pool.submit(send)]]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() and answers[0].json()
    assert user_messages(engine, sender) == [("Hello", "m-0"), (RECOMMENDING, "m-1")]


class SlowActions(LocalHTTPServer):
    """An actions server that thinks for ``delay_s`` before it answers each call with a
    message (text, buttons, a payload), on the engine's actions port. Counts its calls."""

    ANSWER = {"text": "Slow but sure.", "buttons": [{"title": "Yes", "payload": "/affirm"}],
              "custom": {"type": "slow"}}

    def __init__(self, port: int, delay_s: float) -> None:
        self.calls = 0
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                read_json(self)
                stand_in.calls += 1
                time.sleep(delay_s)
                send_json(self, {"events": [], "responses": [SlowActions.ANSWER]})

        super().__init__(Handler, port)


def test_a_repeat_of_a_turn_still_running_waits_for_it_and_gets_its_answer(
        engine: Stack) -> None:
    """Not dead, just slow: the repeat arrives while the first attempt runs (its action
    takes 2 s), waits for the conversation's lock, and answers what the first one stored;
    the action ran once."""
    sender = new_sender()
    post(engine, sender, "Hello", "m-0")
    engine.stop_service("actions")
    with SlowActions(engine.config.actions_port, delay_s=2.0) as actions, \
            ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(post, engine, sender, "I am a cashier", "m-1")
        time.sleep(0.5)
        assert not first.done(), "premise: the first attempt is still running"
        repeat = pool.submit(post, engine, sender, "I am a cashier", "m-1")
        first_answer = first.result(timeout=60)
        calls = actions.calls
        repeat_answer = repeat.result(timeout=60)
    assert calls >= 1 and actions.calls == calls  # nothing ran for the repeat
    assert first_answer.json() == repeat_answer.json()
    # The action's message as the REST channel gives it: text with buttons, then the payload.
    assert first_answer.json()[:2] == [
        {"recipient_id": sender, "text": SlowActions.ANSWER["text"],
         "buttons": SlowActions.ANSWER["buttons"]},
        {"recipient_id": sender, "custom": SlowActions.ANSWER["custom"]}]
    assert user_messages(engine, sender) == [("Hello", "m-0"), ("I am a cashier", "m-1")]


def test_a_message_id_only_ever_matches_in_its_own_conversation(engine: Stack) -> None:
    """Knowing another conversation's message id gives nothing of it: the check reads the
    sender's own conversation only."""
    ana, eve = new_sender(), new_sender()
    secret = post(engine, ana, RECOMMENDING, "m-1").json()
    stored = events(engine, ana)
    answer = post(engine, eve, "Hello", "m-1").json()
    assert answer and answer != secret
    assert all(m["recipient_id"] == eve for m in answer)
    assert events(engine, ana) == stored
    assert user_messages(engine, eve) == [("Hello", "m-1")]


@pytest.mark.parametrize("message_id", ["", "a b", "x" * 129, 42, ["m-1"], {"id": 1},
                                        "<script>", "é-1"])
def test_a_message_id_that_is_no_token_is_a_400_with_a_reason(
        engine: Stack, message_id: Any) -> None:
    sender = new_sender()
    refused = post(engine, sender, "Hello", message_id)
    assert refused.status_code == 400
    assert MESSAGE_ID_KEY in refused.json()["error"]
    assert user_messages(engine, sender) == []


def test_an_id_shaped_like_personal_data_survives_redaction(engine: Stack) -> None:
    """The tracker store redacts phone and SIN shapes before writing: a Telegram-like id full
    of digits is stored as sent, so its repeat is still recognised."""
    sender = new_sender()
    message_id = "tg-4165550199-123456789"
    first = post(engine, sender, "Hello", message_id).json()
    assert user_messages(engine, sender) == [("Hello", message_id)]
    assert post(engine, sender, "Hello", message_id).json() == first
    assert len(user_messages(engine, sender)) == 1


# --- the relay's client and the engine, through a balancer that loses an answer -----------

class LossyBalancer(LocalHTTPServer):
    """A load balancer in front of the real engine that passes every request on, but loses
    the engine's answer to the first ``lose`` of them (the replica died after the turn ran,
    before its answer got out) and says so as a balancer does: ``how`` is a status (502) or
    DROP (the connection closed). Records (message id, the engine's answer) per request."""

    def __init__(self, engine_url: str, lose: int = 1, how: int | str = 502) -> None:
        self.seen: list[tuple[str | None, Any]] = []
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                self._relay(read_json(self))

            def do_GET(self) -> None:  # noqa: N802
                self._relay(None)

            def _relay(self, body: Any) -> None:
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() == RELAY_TOKEN_HEADER.lower()}
                answer = httpx.request(self.command, f"{engine_url}{self.path}", json=body,
                                       headers=headers, timeout=60)
                message_id = ((body or {}).get("metadata") or {}).get(MESSAGE_ID_KEY)
                stand_in.seen.append((message_id, answer.json()))
                if len(stand_in.seen) <= lose:
                    if how == DROP:
                        self.close_connection = True
                    else:
                        self.send_error(int(how))
                    return
                extra = {"Content-Language": answer.headers["content-language"]} \
                    if "content-language" in answer.headers else None
                send_json(self, answer.json(), extra)

        super().__init__(Handler)


@pytest.mark.parametrize("how", [502, DROP])
def test_the_relays_retry_after_a_lost_answer_is_answered_from_the_store(
        engine: Stack, how: int | str) -> None:
    sender = "web-" + uuid.uuid4().hex  # a relay's own conversation: needs the token
    with LossyBalancer(engine.rasa_url, how=how) as balancer:
        reply = _send_as(balancer.url, sender, RECOMMENDING, "w-1")
    [(first_id, lost), (second_id, retried)] = balancer.seen
    assert first_id == second_id == "w-1"
    assert retried == lost  # the answer the learner would have had
    assert reply.messages == lost and reply.language == "en"
    assert user_messages(engine, sender) == [(RECOMMENDING, "w-1")]


def _send_as(url: str, sender: str, message: str, message_id: str) -> rasa_client.Reply:
    async def turn() -> rasa_client.Reply:
        rasa = RasaClient(url, TEST_RASA_TOKEN)
        try:
            return await rasa.send(sender, message, message_id=message_id)
        finally:
            await rasa.aclose()
    return asyncio.run(turn())


def test_ids_in_the_stores_events_are_the_ones_sent(engine: Stack) -> None:
    """What the console and the events consumer read: the user event's message_id is the
    relay's id, and the metadata keeps the channel's flags without it."""
    sender, message_id = new_sender(), f"m-{uuid.uuid4().hex}"
    post(engine, sender, "Hello", message_id)
    [user] = [e for e in events(engine, sender) if e["event"] == "user"]
    # The event's id and its copy in the parse data (Rasa's NLU message), which redaction
    # leaves alone; nowhere else, so nothing rewrites it.
    assert user["message_id"] == user["parse_data"]["message_id"] == message_id
    assert user["metadata"].get("cards") is True and MESSAGE_ID_KEY not in user["metadata"]
    assert json.dumps(user).count(message_id) == 2
