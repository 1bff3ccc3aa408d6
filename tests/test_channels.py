"""The REST channel (bot/engine/channels.py) against a real Rasa engine and actions server:
a learner always gets an answer in their language, even when the actions server is down or
hangs, and bad requests get a reason instead of a crash."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.stack import Stack, StackConfig, free_port
from knowledge.settings import PROJECT_ROOT, database_url

MODEL = PROJECT_ROOT / "models" / "pathfinder.tar.gz"
# The channel's PATHFINDER_TURN_TIMEOUT_S for this engine. Not shorter: a freshly restarted
# actions server builds its occupation index on the first turn (15 s on a busy machine).
TURN_TIMEOUT_S = 30
# A message that needs the actions server (action_resolve_job).
NEEDS_ACTIONS = {"en": "I am a cashier", "fr": "Je suis caissière"}
GREETING = {"en": "Hello", "fr": "Bonjour"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.is_file():
        pytest.fail(f"no Rasa model at {MODEL}: run `make train` (make test does)")
    tmp = tmp_path_factory.mktemp("channels")
    config = StackConfig(root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
                         web_port=None, tracker_db=tmp / "tracker.db", log_dir=tmp / "logs",
                         database_url=database_url(),
                         rasa_env={"PATHFINDER_TURN_TIMEOUT_S": str(TURN_TIMEOUT_S)})
    with Stack(config) as running:
        yield running


@pytest.fixture()
def engine(stack: Stack) -> Stack:
    """The stack with its actions server running (a test may have stopped it)."""
    stack.start_service("actions")
    return stack


@pytest.fixture(scope="module")
def failed_texts(stack: Stack) -> dict[str, str]:
    """utter_action_failed in each language, as the running engine's domain has it."""
    domain = httpx.get(f"{stack.rasa_url}/domain", headers={"Accept": "application/json"},
                       timeout=30).json()
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
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
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
                         params={"include_events": "NONE"}, timeout=30).json()["slots"]
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
