"""The engine as the outside sees it, against a real Rasa engine and actions server started as
`pathfinder run` starts them. The REST channel (bot/engine/channels.py): a learner always
gets an answer in their language, even when the actions server is down or hangs, and bad
requests get a reason instead of a crash. The HTTP API: nothing without the token, no CORS,
and no text so long that it holds the engine up for everyone else."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.stack import Stack, group_processes
from connectors.senders import RELAY_TOKEN_HEADER
from tests.conftest import ENGINE_TURN_TIMEOUT_S as TURN_TIMEOUT_S
from tests.conftest import Stacks

# A message that needs the actions server (action_resolve_job).
NEEDS_ACTIONS = {"en": "I am a cashier", "fr": "Je suis caissière"}
GREETING = {"en": "Hello", "fr": "Bonjour"}


@pytest.fixture(scope="module")
def stack(stacks: Stacks) -> Stack:
    """The suite's shared engine, whose channel gives up on the actions server after
    TURN_TIMEOUT_S and whose libraries log at INFO (tests/conftest.py's ENGINE_ENV)."""
    return stacks.engine()


@pytest.fixture()
def engine(stacks: Stacks) -> Stack:
    """The stack with its actions server running (a test may have stopped it)."""
    return stacks.engine()


@pytest.fixture(scope="module")
def failed_texts(stack: Stack) -> dict[str, str]:
    """utter_action_failed in each language, as the running engine's domain has it."""
    domain = httpx.get(f"{stack.rasa_url}/domain", headers={"Accept": "application/json"},
                       params={"token": stack.rasa_token}, timeout=30).json()
    texts = {}
    for variant in domain["responses"]["utter_action_failed"]:
        conditions = variant.get("condition") or []
        lang = next((c["value"] for c in conditions if c["name"] == "language"), "en")
        texts[lang] = variant["text"]
    assert set(texts) == {"en", "fr"}
    return texts


def post(stack: Stack, body: Any = None, *, content: bytes | None = None,
         timeout: float = 60) -> httpx.Response:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    if content is not None:
        return httpx.post(url, content=content, timeout=timeout,
                          headers={"Content-Type": "application/json"})
    return httpx.post(url, json=body, timeout=timeout)


def say(stack: Stack, sender: str, message: str) -> list[dict[str, Any]]:
    response = post(stack, {"sender": sender, "message": message})
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()
    return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def new_sender() -> str:
    return f"channels-{uuid.uuid4().hex[:12]}"


def user_texts(stack: Stack, sender: str) -> list[str]:
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                        params={"token": stack.rasa_token}, timeout=30).json()
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_actions_server_down_gets_a_polite_answer_in_the_conversation_language(
        engine: Stack, failed_texts: dict[str, str], lang: str) -> None:
    sender = new_sender()
    assert texts(say(engine, sender, GREETING[lang]))  # fixed responses: no action needed
    engine.stop_service("actions")
    assert texts(say(engine, sender, NEEDS_ACTIONS[lang])) == [failed_texts[lang]]
    # The turn is not lost: the engine stored what the learner said.
    assert NEEDS_ACTIONS[lang] in user_texts(engine, sender)


@contextmanager
def tracker_store_down(stack: Stack) -> Iterator[None]:
    """The engine's tracker store (SQLite here, PostgreSQL with replicas) unable to read or
    write while the block runs: another process holds the database's exclusive lock, and the
    engine's reads give up with "database is locked" after SQLite's 5 s."""
    conn = sqlite3.connect(stack.config.tracker_db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        conn.close()  # the lock with it


def test_a_turn_the_tracker_store_cannot_serve_is_apologised_for_in_the_learners_language(
        engine: Stack, failed_texts: dict[str, str]) -> None:
    """With the store down the conversation's language cannot be read from it: the apology
    is in the message's language when it is clear, else in the one this engine last stored
    for the conversation, else in English. Nothing of the outage is stored."""
    french, new = new_sender(), new_sender()
    assert texts(say(engine, french, GREETING["fr"]))
    with tracker_store_down(engine):
        assert texts(say(engine, french, NEEDS_ACTIONS["fr"])) == [failed_texts["fr"]]
        assert texts(say(engine, french, "ok")) == [failed_texts["fr"]]  # no clear language
        assert texts(say(engine, new, "ok")) == [failed_texts["en"]]
    assert user_texts(engine, french) == [GREETING["fr"]]
    assert texts(say(engine, french, NEEDS_ACTIONS["fr"])) != [failed_texts["fr"]]


def test_next_turn_works_once_the_actions_server_is_back(
        engine: Stack, failed_texts: dict[str, str]) -> None:
    sender = new_sender()
    engine.stop_service("actions")
    assert texts(say(engine, sender, NEEDS_ACTIONS["en"])) == [failed_texts["en"]]
    engine.start_service("actions")
    answer = texts(say(engine, sender, NEEDS_ACTIONS["en"]))
    assert answer
    assert failed_texts["en"] not in answer


def test_a_hanging_actions_server_is_answered_within_the_turn_timeout(
        engine: Stack, failed_texts: dict[str, str]) -> None:
    sender = new_sender()
    engine.stop_service("actions")
    # Something listens on the actions port but never answers (a stuck server).
    with socket.create_server((engine.config.host, engine.config.actions_port)) as stuck:
        started = time.monotonic()
        messages = say(engine, sender, NEEDS_ACTIONS["en"])
        elapsed = time.monotonic() - started
        assert texts(messages)[-1] == failed_texts["en"]
        assert elapsed < TURN_TIMEOUT_S + 10
        stuck.close()  # the engine's pending request fails and the turn finishes
    engine.start_service("actions")
    answer = texts(say(engine, sender, NEEDS_ACTIONS["en"]))
    assert answer and failed_texts["en"] not in answer


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]", b'"hello"',
                                     b'{"message": "hi"}', b'{"sender": "", "message": "hi"}',
                                     b'{"sender": "x", "message": 42}',
                                     b'{"sender": "x", "message": "hi", "metadata": [1]}',
                                     b"\xff\xfe\x00junk"])
def test_malformed_requests_get_400_with_a_reason(engine: Stack, content: bytes) -> None:
    response = post(engine, content=content)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("message", ["", "   \n\t ", "x" * 10_000,
                                     "<script>alert('pwned')</script>",
                                     "<img src=x onerror=alert(1)>I am a <b>welder</b>",
                                     "🙂🙂🙂", "'; DROP TABLE events; --"])
def test_odd_input_gets_a_polite_answer(engine: Stack, message: str) -> None:
    sender = new_sender()
    response = post(engine, {"sender": sender, "message": message})
    assert response.status_code == 200
    answer = texts(response.json())
    assert answer and all(text.strip() for text in answer)
    for tag in ("<script", "<img", "onerror", "<b>"):
        assert tag not in response.text
    # The conversation goes on.
    assert texts(say(engine, sender, GREETING["en"]))


def test_a_too_long_message_is_refused_in_the_conversation_language(engine: Stack) -> None:
    answers = {}
    for lang in ("en", "fr"):
        sender = new_sender()
        say(engine, sender, GREETING[lang])
        answers[lang] = texts(say(engine, sender, "é" * 10_000))
        assert len(answers[lang]) == 1
    assert answers["en"] != answers["fr"]


def test_each_answer_says_the_conversation_language_after_the_turn(
        engine: Stack, failed_texts: dict[str, str]) -> None:
    """Content-Language carries the `language` slot (what the widget's relay and Telegram go
    by instead of asking the tracker API); the body stays Rasa's list of messages."""
    def language(message: str) -> str | None:
        response = post(engine, {"sender": sender, "message": message})
        assert response.status_code == 200 and isinstance(response.json(), list)
        slot = httpx.get(f"{engine.rasa_url}/conversations/{sender}/tracker",
                         params={"include_events": "NONE", "token": engine.rasa_token},
                         timeout=30).json()["slots"]
        assert response.headers.get("content-language") == slot["language"]
        return response.headers.get("content-language")

    sender = new_sender()
    assert language(GREETING["en"]) == "en"
    assert language(GREETING["fr"]) == "fr"
    assert language("in English please") == "en"     # switched during the turn
    assert language("") == "en"                      # refused politely: still said
    engine.stop_service("actions")
    assert language(NEEDS_ACTIONS["fr"]) == "fr"     # the apology's turn too
    assert post(engine, content=b"{not json").headers.get("content-language") is None


@pytest.mark.parametrize("content", [
    b'{"sender": "x", "message": "\\ud800 hi"}',                       # a lone surrogate
    b"[" * 1000 + b"]" * 1000,                                           # 1,000 deep
    b'{"sender": "x", "message": "hi", "metadata": {"a": ' + b"[" * 900 + b"]" * 900 + b"}}",
    json.dumps({"sender": "x", "message": "hi", "metadata": {"a": "b" * 5000}}).encode()])
def test_odd_json_gets_400_with_a_reason(engine: Stack, content: bytes) -> None:
    response = post(engine, content=content)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert texts(say(engine, new_sender(), GREETING["en"]))  # the engine is fine


@pytest.mark.parametrize(("payload", "slot"), [
    ('/change_language{"language": "=HYPERLINK(\\"http://x.example\\",\\"y\\")"}',
     "language"),
    ('/rate_recommendations{"helpful": "@SUM(1+1)"}', "helpful")])
def test_a_typed_payload_cannot_give_a_categorical_slot_an_unknown_value(
        engine: Stack, payload: str, slot: str) -> None:
    """The console exports these slots; only domain.yml's values may reach them."""
    sender = new_sender()
    say(engine, sender, GREETING["en"])
    assert texts(say(engine, sender, payload))  # the intent itself still answers
    tracker = httpx.get(f"{engine.rasa_url}/conversations/{sender}/tracker",
                        params={"token": engine.rasa_token}, timeout=30).json()
    values = {json.dumps(e.get("value")) for e in tracker["events"]
              if e["event"] == "slot" and e["name"] == slot}
    assert not any(v.strip('"')[:1] in "=@" for v in values), values
    assert tracker["slots"][slot] in (None, "en", "fr", "yes", "no")


# --- the HTTP API ------------------------------------------------------------------------

def api(stack: Stack, method: str, path: str, token: str | None = None,
        **kwargs: Any) -> httpx.Response:
    params = {"token": token} if token is not None else {}
    return httpx.request(method, f"{stack.rasa_url}{path}", params=params, timeout=60,
                         **kwargs)


# Every kind of API call: reading and rewriting a conversation, running an action, parsing,
# training, and replacing or unloading the model (an archive can carry code).
API_CALLS = [("GET", "/conversations/{sender}/tracker", None),
             ("POST", "/conversations/{sender}/tracker/events",
              {"event": "slot", "name": "language", "value": "fr"}),
             ("POST", "/conversations/{sender}/messages", {"text": "hi", "sender": "user"}),
             ("POST", "/conversations/{sender}/execute", {"name": "action_listen"}),
             ("POST", "/model/parse", {"text": "hi"}),
             ("POST", "/model/train", {}),
             ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
             ("DELETE", "/model", None),
             ("GET", "/domain", None),
             ("GET", "/status", None)]


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_the_http_api_answers_nobody_without_the_token(
        engine: Stack, method: str, path: str, body: dict[str, Any] | None) -> None:
    path = path.format(sender=new_sender())
    for token in (None, "", "wrong-" + engine.rasa_token):
        assert api(engine, method, path, token, json=body).status_code == 401
    # Still loaded and answering: nothing above ran.
    assert api(engine, "GET", "/status", engine.rasa_token).json()["model_file"]


def test_the_http_api_answers_with_the_token_and_the_channel_without(engine: Stack) -> None:
    sender = new_sender()
    assert texts(say(engine, sender, GREETING["en"]))  # public: no token
    tracker = api(engine, "GET", f"/conversations/{sender}/tracker", engine.rasa_token)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == sender


def test_no_web_page_may_call_the_engine(engine: Stack) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = httpx.options(f"{engine.rasa_url}/model/parse", timeout=30, headers={
        **origin, "Access-Control-Request-Method": "POST"})
    answers = [preflight, api(engine, "GET", "/status", engine.rasa_token, headers=origin),
               httpx.post(f"{engine.rasa_url}/webhooks/rest/webhook", headers=origin,
                          json={"sender": new_sender(), "message": "hi"}, timeout=60)]
    for answer in answers:
        assert "access-control-allow-origin" not in answer.headers
        assert "access-control-allow-credentials" not in answer.headers


def test_the_token_is_neither_in_the_command_line_nor_in_the_log(engine: Stack) -> None:
    api(engine, "GET", "/status", engine.rasa_token)
    api(engine, "GET", "/status", "wrong-token")
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes()
                for pid in group_processes(engine.pids()["rasa"])]
    assert commands and not any(engine.rasa_token.encode() in c for c in commands)
    log = (engine.config.log_path / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert engine.rasa_token not in log and "wrong-token" not in log  # no access log


def test_the_engine_sends_nothing_to_rasa_or_sentry(engine: Stack) -> None:
    """Rasa 3.6's telemetry, and with it its error reports to Sentry, off in the running
    engine's environment (tests/test_engine_telemetry.py: what Rasa makes of it)."""
    environ = Path(f"/proc/{engine.pids()['rasa']}/environ").read_bytes().split(b"\0")
    assert b"RASA_TELEMETRY_ENABLED=false" in environ


def test_only_the_rest_channel_is_open(engine: Stack) -> None:
    # socket.io was configured but unused: another way into NLU, without the checks.
    response = httpx.get(f"{engine.rasa_url}/socket.io/", timeout=30,
                         params={"EIO": "4", "transport": "polling"})
    assert response.status_code == 404


def test_a_huge_text_is_refused_at_the_door(engine: Stack) -> None:
    started = time.monotonic()
    response = api(engine, "POST", "/model/parse", engine.rasa_token,
                   json={"text": "welder " * 150_000})  # 1 MB: froze the engine 29 min
    assert response.status_code == 413
    assert time.monotonic() - started < 10


def test_a_long_text_is_cut_before_nlu_and_others_are_answered_meanwhile(
        engine: Stack) -> None:
    """Under the body limit, but 12 times what NLU reads: every component sees only the
    first 5,000 characters, whichever way the text came in (here /model/parse, which no
    channel's length check covers), and the engine answers a learner in the meantime."""
    text = ("I am a welder from Toronto and want CNC machining online under $800. " * 900)
    assert len(text) > 60_000
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        parsing = pool.submit(api, engine, "POST", "/model/parse", engine.rasa_token,
                              json={"text": text})
        time.sleep(0.1)  # the long text reaches the engine first
        learner = new_sender()
        assert texts(say(engine, learner, GREETING["en"]))
        answered_after = time.monotonic() - started
        parsed = parsing.result(timeout=60)
        parsed_after = time.monotonic() - started
    assert parsed.status_code == 200, parsed.text
    assert len(parsed.json()["text"]) == 5_000
    assert parsed.json()["intent"]["name"]
    # NLU's cost grows with the square of the length: uncut, this text held the event loop
    # (and so every learner) for 6.4 s on an idle machine, and 1 MB for about half an hour.
    assert answered_after < 5 and parsed_after < 20


def test_a_long_text_of_markup_is_refused_before_it_is_cleaned(engine: Stack) -> None:
    """Cleaning markup out of 64 KB of "<!--" took 6.8 s on the event loop: refused first."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        markup = pool.submit(post, engine, {"sender": new_sender(), "message": "<!--" * 16_000})
        time.sleep(0.1)
        assert texts(say(engine, new_sender(), GREETING["en"]))
        answered_after = time.monotonic() - started
        refused = markup.result(timeout=60)
    assert refused.status_code == 200 and "shorter" in texts(refused.json())[0]
    assert answered_after < 3
    # Too long as sent, even if nothing would be left once the markup is cleaned.
    markup_only = post(engine, {"sender": new_sender(), "message": "<b>" * 2000})
    assert "shorter" in texts(markup_only.json())[0]


@pytest.mark.parametrize("sender", ["telegram-123456789", "web-" + "0" * 32])
def test_only_our_relays_may_speak_for_a_web_or_telegram_conversation(
        engine: Stack, sender: str) -> None:
    """A Telegram chat id is no secret: without the relay's token, anyone could continue that
    learner's conversation on the public REST channel and read the answers."""
    body = {"sender": sender, "message": "what did I ask for?"}
    for headers in ({}, {RELAY_TOKEN_HEADER: ""}, {RELAY_TOKEN_HEADER: "guess"}):
        refused = httpx.post(f"{engine.rasa_url}/webhooks/rest/webhook", json=body,
                             headers=headers, timeout=60)
        assert refused.status_code == 403 and "another id" in refused.json()["error"]
    relayed = httpx.post(f"{engine.rasa_url}/webhooks/rest/webhook", json=body, timeout=60,
                         headers={RELAY_TOKEN_HEADER: engine.rasa_token})
    assert relayed.status_code == 200 and texts(relayed.json())
    assert texts(say(engine, new_sender(), GREETING["en"]))  # other ids need no token
