"""The Telegram connector's settings (connectors/telegram/settings.py) and how the connector
uses them: command-line overrides are checked as their variables are, and the engine's token,
the links' base URL and key come from the Settings object, not from the environment again.
No engine here: a local fake Bot API (tests/fake_telegram.py) and a stand-in for Rasa."""

from __future__ import annotations

import asyncio
import html
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Update

from bot.stack import free_port
from connectors.rasa_client import RasaClient
from connectors.senders import RELAY_TOKEN_HEADER
from connectors.telegram import service
from connectors.telegram.bot import TelegramConnector
from connectors.telegram.settings import Settings, SettingsError
from knowledge.referrals import conversation_ref
from knowledge.settings import PROJECT_ROOT, RASA_TOKEN_ENV
from tests.conftest import TEST_RASA_TOKEN, TEST_SECRET_KEY
from tests.fake_telegram import FakeTelegram
from tests.http_stand_in import LocalHTTPServer, QuietHandler, read_json, send_json

ENV = {"TELEGRAM_BOT_TOKEN": "123:abc", RASA_TOKEN_ENV: TEST_RASA_TOKEN}


def _error(env: dict[str, str], **overrides: str | None) -> str:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env, **overrides)
    return str(raised.value)


# --- command-line overrides ------------------------------------------------------------------

@pytest.mark.parametrize("field, variable, value", [
    ("webhook_url", "TELEGRAM_WEBHOOK_URL", "http://bot.example/telegram/webhook"),
    ("webhook_url", "TELEGRAM_WEBHOOK_URL", "bot.example/telegram/webhook"),
    ("rasa_url", "PATHFINDER_RASA_URL", "127.0.0.1:5005"),
    ("rasa_url", "PATHFINDER_RASA_URL", "ftp://rasa.example"),
    ("rasa_url", "PATHFINDER_RASA_URL", "http://"),
])
def test_an_override_is_refused_with_its_variables_error(field: str, variable: str,
                                                         value: str) -> None:
    """--webhook-url http://... is refused as TELEGRAM_WEBHOOK_URL=http://... is (HTTPS only),
    a malformed --rasa-url as PATHFINDER_RASA_URL: the same parser, the same message."""
    from_variable = _error({**ENV, variable: value})
    assert _error(ENV, **{field: value}) == from_variable
    assert from_variable.startswith(f"{variable} must be")


def test_good_overrides_win_even_over_a_malformed_variable() -> None:
    env = {**ENV, "PATHFINDER_RASA_URL": "not a url",
           "TELEGRAM_WEBHOOK_URL": "https://old.example/hook"}
    settings = Settings.from_env(env, rasa_url=" http://rasa:5005 ",
                                 webhook_url="https://bot.example/hook")
    assert settings.rasa_url == "http://rasa:5005"   # stripped, as a variable's value is
    assert settings.webhook_url == "https://bot.example/hook"
    # None: the option was not given, the variable counts (here: malformed, so refused).
    assert "PATHFINDER_RASA_URL must be" in _error(env, rasa_url=None)
    assert Settings.from_env(ENV, rasa_url=None).rasa_url == "http://127.0.0.1:5005"


def test_an_override_is_reported_with_every_other_problem() -> None:
    message = _error({**ENV, "TELEGRAM_SEND_ATTEMPTS": "many"}, webhook_url="http://x.example")
    assert "TELEGRAM_SEND_ATTEMPTS must be" in message
    assert "TELEGRAM_WEBHOOK_URL must be a URL starting with https://" in message


def test_an_override_of_no_setting_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="webhook"):
        Settings.from_env(ENV, webhook="https://bot.example/hook")


@pytest.mark.parametrize("option, value, expected", [
    ("--webhook-url", "http://bot.example/telegram/webhook",
     "TELEGRAM_WEBHOOK_URL must be a URL starting with https://"),
    ("--rasa-url", "rasa:5005", "PATHFINDER_RASA_URL must be a URL starting with http://"),
])
def test_the_connector_does_not_start_with_a_malformed_option(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        option: str, value: str, expected: str) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("PATHFINDER_RASA_URL", raising=False)
    assert service.main(["--mode", "polling", "--port", str(free_port()), option, value]) == 2
    assert expected in capsys.readouterr().err


# --- the connector uses its settings ----------------------------------------------------------

class RecordingRasa(LocalHTTPServer):
    """Rasa's REST channel, answering every turn with ``messages``; it records each turn's
    relay token header and body."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.turns: list[tuple[str | None, Any]] = []
        turns = self.turns

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                turns.append((self.headers.get(RELAY_TOKEN_HEADER), read_json(self)))
                send_json(self, messages)

        super().__init__(Handler)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


PROGRAM = {"id": "p1", "title": "Welding Basics", "institution": "Sault College",
           "url": "https://x.example/p1", "language": "en"}
RECOMMENDATIONS = [{"recipient_id": "x", "custom": {"type": "recommendations", "lang": "en",
                                                    "programs": [PROGRAM]}}]


def _say_welding(settings: Settings, fake: FakeTelegram, chat_id: int) -> None:
    """A connector with ``settings`` handles one update: ``chat_id`` says "welding" (en)."""

    async def scenario() -> None:
        connector = TelegramConnector(settings, polling=False)
        application = connector.application
        await application.initialize()
        try:
            update = fake.message_update(chat_id, "welding", "en")
            await application.process_update(Update.de_json(update, application.bot))
        finally:
            await application.shutdown()

    asyncio.run(scenario())


def test_the_connector_uses_its_settings_not_the_environment(
        fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's token, the links' base URL and their key are the Settings' (checked as
    the connector started): the environment, which says otherwise here, is not read again."""
    token, public_url, key = "settings-rasa-token-0123456789", "https://portal.example", (
        b"the-settings-own-key-0123456789")
    monkeypatch.setenv(RASA_TOKEN_ENV, "environment-rasa-token-98765")
    monkeypatch.setenv("PATHFINDER_PUBLIC_URL", "https://elsewhere.example")
    assert key != TEST_SECRET_KEY.encode()   # PATHFINDER_SECRET_KEY, set by tests/conftest.py
    chat_id = random.randint(10**6, 10**9)
    with RecordingRasa(RECOMMENDATIONS) as rasa:
        settings = Settings(token=fake.token, rasa_url=rasa.url, api_base_url=fake.url,
                            send_timeout_s=1.5, rasa_token=token, public_url=public_url,
                            secret_key=key)
        _say_welding(settings, fake, chat_id)
    assert [(header, body["message"]) for header, body in rasa.turns] == [(token, "welding")]
    [message] = fake.sent(chat_id)
    links = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)">', message.params["text"])]
    assert links == [f"{public_url}/go/p1?channel=telegram&ref="
                     f"{conversation_ref(f'telegram-{chat_id}', key)}"]


def test_without_a_public_url_in_its_settings_links_go_to_the_program(
        fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_PUBLIC_URL", "https://elsewhere.example")
    chat_id = random.randint(10**6, 10**9)
    with RecordingRasa(RECOMMENDATIONS) as rasa:
        settings = Settings(token=fake.token, rasa_url=rasa.url, api_base_url=fake.url,
                            send_timeout_s=1.5, rasa_token=TEST_RASA_TOKEN)
        _say_welding(settings, fake, chat_id)
    [message] = fake.sent(chat_id)
    assert re.findall(r'<a href="([^"]+)">', message.params["text"]) == [PROGRAM["url"]]


def test_no_engine_token_in_the_settings_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment's PATHFINDER_RASA_TOKEN is no fallback: the connector (and any client)
    has the token its settings checked, or does not start."""
    monkeypatch.setenv(RASA_TOKEN_ENV, TEST_RASA_TOKEN)
    with pytest.raises(ValueError, match=f"{RASA_TOKEN_ENV} is not set"):
        TelegramConnector(Settings(token="123:abc"), polling=False)
    for token in (None, ""):
        with pytest.raises(ValueError, match=f"{RASA_TOKEN_ENV} is not set"):
            RasaClient("http://127.0.0.1:5005", token)


def test_nothing_in_the_connectors_reads_a_variable_again() -> None:
    """Only connectors/telegram/settings.py reads variables (Variable.read, or the helpers of
    knowledge.settings and knowledge.referrals that read one); the rest is handed its values."""
    reads = re.compile(r"\b[A-Z][A-Z0-9_]*\.read\(|\b(?:secret_key|database_url|data_dir|"
                       r"link_ref|current|\w+_settings)\(")
    found = []
    for path in sorted((PROJECT_ROOT / "connectors").rglob("*.py")):
        where = path.relative_to(PROJECT_ROOT).as_posix()
        if where == "connectors/telegram/settings.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if reads.search(line):
                found.append(f"{where}:{number}: {line.strip()}")
    assert found == []
    assert reads.search("PUBLIC_URL.read() or ''") and reads.search("key = secret_key()")
