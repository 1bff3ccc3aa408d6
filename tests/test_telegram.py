"""The Telegram connector (connectors/telegram) against a local fake Bot API
(tests/fake_telegram.py) and the REAL Rasa engine and actions server (bot.stack): what a
learner sees in Telegram, what Rasa receives, and what happens when Telegram misbehaves or
someone forges a webhook request.

The connector runs as its own process (``python -m connectors.telegram``), once in polling and
once in webhook mode; Rasa's tracker (``GET /conversations/<id>/tracker``) tells what the
engine actually received.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import random
import re
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update

from bot import cli
from bot.stack import ManagedProcess, Stack, free_port, http_get
from connectors.telegram.bot import TelegramConnector
from connectors.telegram.render import ButtonKeys, Links, render_reply, split_html, units
from connectors.telegram.settings import Settings
from knowledge import models
from knowledge.constraints import format_money
from knowledge.explainer import (
    explain_labour_market,
    explain_program,
    measured_text,
    readability,
    readability_ok,
)
from knowledge.language import Lang
from knowledge.occupations import occupation_title, outlook_for, wage_for
from knowledge.payload import recommendations_payload
from knowledge.recommender import program_match
from knowledge.referrals import conversation_ref
from knowledge.settings import PROJECT_ROOT, SECRET_KEY
from tests.conftest import TEST_RASA_TOKEN, TEST_SECRET_KEY, Stacks
from tests.e2e.conftest import is_french
from tests.fake_telegram import Call, FakeTelegram
from tests.test_idempotency import LossyBalancer
from tests.test_widget import RasaStandIn

PUBLIC_URL = "https://portal.example"
KEY = TEST_SECRET_KEY.encode()  # conversation pseudonyms in links (tests/conftest.py sets it)
SECRET = "s3cret_token-for-tests"
SEND_TIMEOUT_S = 1.5        # the connector's per-call timeout: a stall longer than this fails
ATTEMPTS = 4
LIMIT = 4096


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


def _connector_env(fake: FakeTelegram) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "PATHFINDER_PUBLIC_URL": PUBLIC_URL,
            "TELEGRAM_SEND_TIMEOUT_S": str(SEND_TIMEOUT_S),
            "TELEGRAM_SEND_ATTEMPTS": str(ATTEMPTS), "TELEGRAM_RETRY_BASE_DELAY_S": "0.1",
            "TELEGRAM_POLL_TIMEOUT_S": "2"}


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, stacks: Stacks) -> Iterator[Stack]:
    """The Telegram connector in polling mode, started by bot.stack as `pathfinder run
    --telegram` starts it (talking to the fake Bot API), beside the suite's shared engine
    (actions server and Rasa)."""
    with stacks.beside_engine("telegram", env=_connector_env(fake)) as running:
        yield running


@pytest.fixture(scope="module")
def polling_bot(stack: Stack) -> Stack:
    assert "telegram" in stack.pids()
    return stack


def _connector(mode: str, stack: Stack, fake: FakeTelegram, log: Path,
               *extra: str) -> ManagedProcess:
    port = free_port()
    rasa_url = stack.rasa_url
    # The engine's token: it shows the REST channel that this relay speaks for telegram- ids.
    env = dict(os.environ, PYTHONUNBUFFERED="1", PATHFINDER_RASA_TOKEN=stack.rasa_token,
               **_connector_env(fake))
    process = ManagedProcess(
        f"telegram-{mode}", [str(PROJECT_ROOT / ".venv/bin/python"), "-m", "connectors.telegram",
                             "--mode", mode, "--rasa-url", rasa_url, "--port", str(port),
                             *extra],
        PROJECT_ROOT, env, log, lambda: http_get(f"http://127.0.0.1:{port}/health")[0] == 200,
        port, "127.0.0.1")
    process.launch()
    process.wait_healthy(time.monotonic() + 60)
    return process


@pytest.fixture(scope="module")
def webhook_url(stack: Stack, fake: FakeTelegram,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("telegram") / "webhook.log"
    process = _connector("webhook", stack, fake, log,
                         "--webhook-url", "https://bot.example/telegram/webhook")
    yield f"http://127.0.0.1:{process.port}/telegram/webhook"
    process.terminate()


# --- a learner in Telegram -----------------------------------------------------------------

class Learner:
    """One Telegram chat with the bot (a fresh Rasa conversation each)."""

    def __init__(self, fake: FakeTelegram, stack: Stack, language_code: str = "en") -> None:
        self.fake = fake
        self.rasa_url = stack.rasa_url
        self.rasa_token = stack.rasa_token  # for Rasa's tracker API
        self.language_code = language_code
        self.chat_id = random.randint(10**6, 10**9)

    def send(self, text: str, quiet_s: float = 0.5) -> list[Call]:
        seen = len(self.fake.sent(self.chat_id))
        self.fake.inject(self.fake.message_update(self.chat_id, text, self.language_code))
        return self.fake.wait_replies(self.chat_id, seen, quiet_s)

    def press(self, message: Call, index: int = 0) -> list[Call]:
        data = buttons(message)[index][1]
        seen = len(self.fake.sent(self.chat_id))
        self.fake.inject(self.fake.button_update(self.chat_id, message.params, data,
                                                 self.language_code))
        return self.fake.wait_replies(self.chat_id, seen)

    def rasa_heard(self) -> list[str]:
        """Every user message Rasa's tracker holds for this chat."""
        response = httpx.get(f"{self.rasa_url}/conversations/telegram-{self.chat_id}/tracker",
                             params={"include_events": "ALL", "token": self.rasa_token},
                             timeout=30)
        response.raise_for_status()
        return [e.get("text") or "" for e in response.json().get("events", [])
                if e.get("event") == "user"]

    def slot(self, name: str) -> Any:
        response = httpx.get(f"{self.rasa_url}/conversations/telegram-{self.chat_id}/tracker",
                             params={"include_events": "NONE", "token": self.rasa_token},
                             timeout=30)
        return response.json()["slots"].get(name)


def buttons(message: Call) -> list[tuple[str, str]]:
    markup = message.params.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", [])
            for b in row]


ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "blockquote", "tg-spoiler", "span"}
_TAG = re.compile(r"<(/?)([a-z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_text(message: Call) -> str:
    """The text a person reads, after checking the message is what Telegram's HTML parse mode
    accepts: known tags only, properly nested, every other < and & escaped, within 4096."""
    source = message.params["text"]
    assert message.params.get("parse_mode") == "HTML"
    stack: list[str] = []
    position = 0
    while (found := re.search(r"[<&]", source[position:])) is not None:
        at = position + found.start()
        if source[at] == "&":
            entity = _ENTITY.match(source, at)
            assert entity, f"unescaped & in {source[at:at + 30]!r}"
            position = entity.end()
            continue
        tag = _TAG.match(source, at)
        assert tag and tag.group(2) in ALLOWED_TAGS, f"raw < in {source[at:at + 30]!r}"
        if tag.group(1):
            assert stack and stack.pop() == tag.group(2), f"misnested {tag.group(0)}"
        else:
            stack.append(tag.group(2))
        position = tag.end()
    assert not stack, f"unclosed tags {stack}"

    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(source)
    parser.close()
    plain = "".join(parser.parts)
    assert 0 < units(plain) <= LIMIT
    return plain


def program_links(message: Call) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]+)">', message.params["text"])]


def check_programs(replies: list[Call], chat_id: int, db: Session, lang: str) -> int:
    """Program messages link every program through the referral redirect and show the
    catalog's title and institution; returns how many programs were shown."""
    shown = 0
    for message in replies:
        text = telegram_text(message)
        for link in program_links(message):
            parts = urlsplit(link)
            assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
            assert parts.path.startswith("/go/")
            # The conversation's pseudonym, not its id (the key to the transcript).
            query = parse_qs(parts.query)
            assert query == {"ref": [conversation_ref(f"telegram-{chat_id}", KEY)],
                             "channel": ["telegram"]}
            assert str(chat_id) not in parts.query
            program = db.get(models.Program, unquote(parts.path.removeprefix("/go/")))
            assert program is not None, link
            assert (program.title_fr if lang == "fr" else program.title_en) in text
            institution = program.institution
            assert (institution.name_fr if lang == "fr" else institution.name_en) in text
            shown += 1
    return shown


# --- conversations (polling mode) ----------------------------------------------------------

def test_learner_conversation_in_english(polling_bot: Stack, fake: FakeTelegram,
                                         stack: Stack, db: Session) -> None:
    ana = Learner(fake, stack, "en")
    [greeting] = ana.send("/start")
    assert not is_french(telegram_text(greeting))
    assert ana.rasa_heard() == ['/greet{"language":"en"}']
    assert len(buttons(greeting)) >= 2
    assert all(len(data.encode()) <= 64 for _, data in buttons(greeting))

    reply = ana.send("I used to be a driver")
    choices = buttons(reply[-1])
    assert len(choices) >= 2, "an ambiguous title is asked back with buttons"
    pressed = reply[-1]
    before = len(fake.calls_to("answerCallbackQuery"))
    programs = ana.press(pressed, 0)

    assert len(fake.calls_to("answerCallbackQuery")) == before + 1   # no endless spinner
    assert any(c.params.get("message_id") == pressed.params["message"]["message_id"]
               for c in fake.calls_to("editMessageReplyMarkup"))   # keyboard removed
    assert check_programs(programs, ana.chat_id, db, "en") >= 1
    assert any("$" in telegram_text(m) for m in programs)   # cost (and the wage) are shown
    # Rasa heard the button's payload, once.
    heard = ana.rasa_heard()
    assert heard.count(heard[-1]) == 1 and heard[-1].startswith("/choose_occupation")


def test_learner_conversation_in_french(polling_bot: Stack, fake: FakeTelegram,
                                        stack: Stack, db: Session) -> None:
    lea = Learner(fake, stack, "fr")
    [greeting] = lea.send("/start")
    assert is_french(telegram_text(greeting))
    replies = lea.send("Je suis caissière et je veux devenir boulangère")
    assert check_programs(replies, lea.chat_id, db, "fr") >= 1
    assert all(is_french(telegram_text(m)) for m in replies if not program_links(m))
    assert buttons(replies[-1]), "next steps are offered as buttons"
    after = lea.press(replies[-1], 0)
    assert after and is_french(telegram_text(after[0]))
    assert lea.slot("language") == "fr"


def test_commands(polling_bot: Stack, fake: FakeTelegram, stack: Stack) -> None:
    sam = Learner(fake, stack, "en")
    help_messages = sam.send("/help")
    help_text = "\n".join(telegram_text(m) for m in help_messages)
    assert all(command in help_text for command in ("/lang", "/reset", "/start"))
    assert sam.rasa_heard() == ["/help"]

    [switched] = sam.send("/lang")
    assert is_french(telegram_text(switched))
    assert sam.rasa_heard()[-1] == '/change_language{"language":"fr"}'
    assert sam.slot("language") == "fr"
    [back] = sam.send("/lang")
    assert not is_french(telegram_text(back))
    assert sam.slot("language") == "en"

    sam.send("I am a cashier")
    assert sam.slot("job_title")
    [greeting] = sam.send("/reset")
    assert buttons(greeting)
    assert sam.rasa_heard()[-1] == "/start_over"
    assert not sam.slot("job_title"), "/reset forgets the job"


def test_lang_as_the_first_message_lets_rasa_switch(polling_bot: Stack, fake: FakeTelegram,
                                                   stack: Stack) -> None:
    # The connector has heard nothing from this chat: Rasa switches its own language.
    eva = Learner(fake, stack, "en")
    [switched] = eva.send("/lang")
    assert is_french(telegram_text(switched))
    assert eva.rasa_heard() == ["/change_language"]
    assert eva.slot("language") == "fr"
    [back] = eva.send("/lang")
    assert not is_french(telegram_text(back))
    assert eva.rasa_heard()[-1] == '/change_language{"language":"en"}'


def test_bad_input_gets_a_polite_answer(polling_bot: Stack, fake: FakeTelegram,
                                        stack: Stack) -> None:
    bo = Learner(fake, stack, "en")
    for text in ("<script>alert(1)</script> <b>hi</b> 😀 & co", "x" * 10_000,
                 "'; DROP TABLE events; --", "/nosuchcommand"):
        replies = bo.send(text)
        assert replies and all(telegram_text(m) for m in replies)
    seen = len(fake.sent(bo.chat_id))
    fake.inject(fake.sticker_update(bo.chat_id))
    [sticker_reply] = fake.wait_replies(bo.chat_id, seen)
    assert telegram_text(sticker_reply)


def test_expired_button_asks_to_type(polling_bot: Stack, fake: FakeTelegram,
                                     stack: Stack) -> None:
    kim = Learner(fake, stack, "en")
    [greeting] = kim.send("/start")
    heard = kim.rasa_heard()
    seen = len(fake.sent(kim.chat_id))
    fake.inject(fake.button_update(kim.chat_id, greeting.params, "k:ffffff"))
    [reply] = fake.wait_replies(kim.chat_id, seen)
    assert "type" in telegram_text(reply).lower()
    assert not buttons(reply)
    assert kim.rasa_heard() == heard, "nothing was sent to Rasa"


def test_duplicate_update_is_handled_once(polling_bot: Stack, fake: FakeTelegram,
                                          stack: Stack) -> None:
    jo = Learner(fake, stack, "en")
    update = fake.message_update(jo.chat_id, "Hello")
    fake.inject(update, update)   # re-delivered in the same getUpdates batch
    replies = fake.wait_replies(jo.chat_id, 0, quiet_s=1.0)
    assert len(replies) == 1
    assert jo.rasa_heard() == ["Hello"]


# --- Telegram failing ----------------------------------------------------------------------

def _texts(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in calls]


def test_server_errors_are_retried_without_resending_to_rasa(
        polling_bot: Stack, fake: FakeTelegram, stack: Stack) -> None:
    al = Learner(fake, stack, "en")
    failed_before = len(fake.calls_to("sendMessage", failed=True))
    fake.fail("sendMessage", times=2, status=502)
    [greeting] = al.send("Hello")
    assert len(fake.calls_to("sendMessage", failed=True)) == failed_before + 2
    assert _texts(fake.sent(al.chat_id)) == [greeting.params["text"]]   # exactly once
    assert al.rasa_heard() == ["Hello"]


def test_flood_control_waits_retry_after(polling_bot: Stack, fake: FakeTelegram,
                                         stack: Stack) -> None:
    al = Learner(fake, stack, "en")
    fake.fail("sendMessage", times=1, status=429, retry_after=1)
    [greeting] = al.send("Hello")
    refused = fake.calls_to("sendMessage", failed=True)[-1]
    assert refused.params["chat_id"] == al.chat_id
    assert greeting.at - refused.at >= 0.95, "the bot waited what Telegram asked"
    assert len(fake.sent(al.chat_id)) == 1
    assert al.rasa_heard() == ["Hello"]


def test_timeout_in_the_middle_of_a_reply(polling_bot: Stack, fake: FakeTelegram,
                                          stack: Stack) -> None:
    """The 2nd message of a multi-message reply stalls past the client's timeout: it is sent
    again, the 1st is not, and Rasa ran the turn once."""
    al = Learner(fake, stack, "en")
    fake.fail("sendMessage", times=1, after=1, stall_s=SEND_TIMEOUT_S + 1.0)
    # Quiet for longer than the stall plus the retry, so the whole reply is in.
    replies = al.send("I work as a cashier", quiet_s=SEND_TIMEOUT_S + 1.0)
    texts = _texts(replies)
    assert len(texts) >= 3, "programs (with the wage and outlook), next steps, helpful?"
    assert len(set(texts)) == len(texts), "no message delivered twice"
    stalled = fake.calls_to("sendMessage", failed=True)[-1]
    assert stalled.params["text"] == texts[1]
    assert al.rasa_heard() == ["I work as a cashier"]


def test_message_kept_when_telegram_stays_down(polling_bot: Stack, fake: FakeTelegram,
                                               stack: Stack) -> None:
    """Every attempt fails: the reply is kept and delivered first at the chat's next update."""
    al = Learner(fake, stack, "en")
    fake.fail("sendMessage", times=ATTEMPTS, status=500)
    al.fake.inject(fake.message_update(al.chat_id, "Hello"))
    fake.wait_for(lambda: sum(c.params.get("chat_id") == al.chat_id
                              for c in fake.calls_to("sendMessage", failed=True)) == ATTEMPTS)
    time.sleep(0.3)
    assert fake.sent(al.chat_id) == []
    later = al.send("thanks")
    assert len(later) == 2, "the kept greeting, then the answer to 'thanks'"
    assert al.rasa_heard() == ["Hello", "thanks"]
    assert len(set(_texts(later))) == 2


# --- webhook mode --------------------------------------------------------------------------

def _post(url: str, body: bytes, secret: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_webhook_registered_with_the_secret(webhook_url: str, fake: FakeTelegram) -> None:
    [registered] = fake.calls_to("setWebhook")[-1:]
    assert registered.params["url"] == "https://bot.example/telegram/webhook"
    assert registered.params["secret_token"] == SECRET


def test_forged_webhook_requests_are_refused(webhook_url: str, fake: FakeTelegram,
                                            stack: Stack) -> None:
    eve = Learner(fake, stack, "en")
    body = json.dumps(fake.message_update(eve.chat_id, "I am a cashier")).encode()
    assert _post(webhook_url, body, None).status_code == 403
    assert _post(webhook_url, body, "wrong").status_code == 403
    assert _post(webhook_url, body, SECRET[:-1]).status_code == 403
    time.sleep(1.0)
    assert fake.sent(eve.chat_id) == []
    assert eve.rasa_heard() == []


def test_webhook_rejects_malformed_updates(webhook_url: str) -> None:
    for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"",
                 json.dumps({"update_id": 5, "message": {"text": 3}}).encode()):
        response = _post(webhook_url, body, SECRET)
        assert response.status_code == 400, body
        assert response.json()["detail"]


def test_webhook_conversation_and_redelivery(webhook_url: str, fake: FakeTelegram,
                                             stack: Stack) -> None:
    max_ = Learner(fake, stack, "fr")
    update = fake.message_update(max_.chat_id, "/start", "fr")
    body = json.dumps(update).encode()
    assert _post(webhook_url, body, SECRET).status_code == 200
    assert _post(webhook_url, body, SECRET).status_code == 200   # Telegram re-delivers
    replies = fake.wait_replies(max_.chat_id, 0, quiet_s=1.0)
    assert len(replies) == 1 and is_french(telegram_text(replies[0]))
    assert len(max_.rasa_heard()) == 1


# --- Rasa down, long replies ---------------------------------------------------------------

def test_rasa_down_gets_a_polite_message(fake: FakeTelegram) -> None:
    settings = Settings(token=fake.token, rasa_url=f"http://127.0.0.1:{free_port()}",
                        api_base_url=fake.url, send_timeout_s=SEND_TIMEOUT_S,
                        rasa_token=TEST_RASA_TOKEN)
    chat_id = random.randint(10**6, 10**9)

    async def scenario() -> None:
        connector = TelegramConnector(settings, polling=False)
        application = connector.application
        await application.initialize()
        try:
            for text, lang in (("Bonjour", "fr"), ("Hello", "en")):
                update = fake.message_update(chat_id + (lang == "en"), text, lang)
                await application.process_update(Update.de_json(update, application.bot))
        finally:
            await application.shutdown()

    asyncio.run(scenario())
    [french] = fake.sent(chat_id)
    [english] = fake.sent(chat_id + 1)
    assert is_french(telegram_text(french))
    assert not is_french(telegram_text(english))


def test_a_turn_whose_answer_was_lost_is_sent_again_and_stored_once(
        stack: Stack, fake: FakeTelegram) -> None:
    """An engine replica died after running the turn (the balancer answers 502): the
    connector sends it again with the update's chat and message id, the engine answers what
    it stored, and the chat gets that answer once. A button press is named by its own id."""
    ana = Learner(fake, stack, "en")
    hello = fake.message_update(ana.chat_id, "Hello")
    with LossyBalancer(stack.rasa_url, lose=1, how=502) as balancer:
        settings = Settings(token=fake.token, rasa_url=balancer.url, api_base_url=fake.url,
                            send_timeout_s=SEND_TIMEOUT_S, rasa_token=TEST_RASA_TOKEN)

        async def scenario() -> None:
            connector = TelegramConnector(settings, polling=False)
            application = connector.application
            await application.initialize()
            try:
                await application.process_update(Update.de_json(hello, application.bot))
                [greeting] = fake.sent(ana.chat_id)  # once, though Rasa was asked twice
                press = fake.button_update(ana.chat_id, greeting.params, buttons(greeting)[0][1])
                await application.process_update(Update.de_json(press, application.bot))
            finally:
                await application.shutdown()

        asyncio.run(scenario())
    ids = [message_id for message_id, _ in balancer.seen]
    hello_id = f"tg-{ana.chat_id}-{hello['message']['message_id']}"
    assert ids[:2] == [hello_id, hello_id] and balancer.seen[0][1] == balancer.seen[1][1]
    assert len(ids) == 3 and re.fullmatch(rf"tg-{ana.chat_id}-cb-\d+", ids[2] or ""), ids
    # One greeting reached the chat (checked as it came), and Rasa holds each turn once.
    heard = ana.rasa_heard()
    assert len(heard) == 2 and heard[0] == "Hello"


def test_help_and_lang_go_by_the_language_rasa_answers_with(fake: FakeTelegram) -> None:
    """The conversation's language comes with Rasa's answer (Content-Language): the commands
    are listed in it and /lang switches from it, with one request to Rasa per turn."""
    chat_id = random.randint(10**6, 10**9)
    with RasaStandIn([{"recipient_id": "x", "text": "Bonjour !"}], language="fr") as rasa:
        settings = Settings(token=fake.token, rasa_url=rasa.url, api_base_url=fake.url,
                            send_timeout_s=SEND_TIMEOUT_S, rasa_token=TEST_RASA_TOKEN)

        async def scenario() -> None:
            connector = TelegramConnector(settings, polling=False)
            application = connector.application
            await application.initialize()
            try:
                for text in ("/help", "/lang"):   # the Telegram app is in English
                    update = fake.message_update(chat_id, text, "en")
                    await application.process_update(Update.de_json(update, application.bot))
            finally:
                await application.shutdown()

        asyncio.run(scenario())
    assert [(method, body["message"]) for method, _, body in rasa.requests] == [
        ("POST", "/help"), ("POST", '/change_language{"language":"en"}')]
    sent = [telegram_text(m) for m in fake.sent(chat_id)]
    assert sent[0] == "Bonjour !"
    assert sent[1].startswith("Commandes :") and "/lang" in sent[1]


def test_long_reply_is_split_within_telegram_limits() -> None:
    programs = [{"id": f"p{i}", "title": f"R&D <Advanced> \"Part\" {i} " + "🚀" * 30,
                 "institution": "Collège <Boréal> & Co", "url": f"https://x.example/{i}?a=1&b=2",
                 "cost": 1234.5, "currency": "CAD", "hours": 40, "weeks": 6,
                 "delivery": "online", "language": "bilingual", "why": "Because " * 40}
                for i in range(40)]
    long_text = " ".join(f"word{i} <tag> & more" for i in range(2_000))   # one long line
    messages: list[dict[str, Any]] = [{"text": long_text},
                {"custom": {"type": "recommendations", "lang": "en", "programs": programs}},
                {"text": "Next?", "buttons": [{"title": "Cheaper", "payload": "/ask_cheaper"}]}]
    out = render_reply(messages, 7, "telegram-7", ButtonKeys(), Links())
    assert len(out) >= 6
    plain = [telegram_text(Call("sendMessage", {"text": m.html, "parse_mode": "HTML"}))
             for m in out]
    joined = re.sub(r"\s+", " ", " ".join(plain))
    assert " ".join(long_text.split()) in joined, "nothing of the long text lost or doubled"
    for i in range(40):
        assert joined.count(f"Part\" {i} ") == 1
    assert [bool(m.buttons) for m in out] == [False] * (len(out) - 1) + [True]


@pytest.mark.parametrize("kind", ["programs", "alternatives"])
def test_the_introduction_heads_its_program_list(kind: str) -> None:
    """The engine introduces a list in one line and sends the cards right after (the
    connector asks for cards): Telegram shows both as one message, the introduction first.
    When nothing fits, the closest programs ("alternatives") are shown the same way."""
    program = {"id": "p1", "title": "Welding Basics", "institution": "Sault College",
               "url": "https://x.example/p1", "cost": 500, "currency": "CAD", "hours": 40,
               "weeks": 4, "delivery": "online", "language": "en", "why": "It teaches MIG."}
    intro = "Here are 1 short programs that fit your job (Welders)."
    messages: list[dict[str, Any]] = [
        {"text": intro},
        {"custom": {"type": "recommendations", "lang": "en", "programs": [], "alternatives": [],
                    kind: [program]}},
        {"text": "This is the pay for this job: Welders."}]
    out = render_reply(messages, 7, "telegram-7", ButtonKeys(), Links())
    plain = [telegram_text(Call("sendMessage", {"text": m.html, "parse_mode": "HTML"}))
             for m in out]
    assert len(plain) == 2
    assert plain[0].splitlines()[0] == intro and "Welding Basics" in plain[0]
    assert plain[1] == "This is the pay for this job: Welders."


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_wage_and_outlook_follow_the_programs_in_the_bots_words(db: Session,
                                                                    lang: Lang) -> None:
    """The bot sends a client that shows cards no wage or outlook text (the payload has
    them): Telegram says them after the programs, in the message of the list, in the words
    the text channels get (knowledge.explainer), each figure the knowledge base's."""
    noc = "72106"
    title = occupation_title(db, noc, lang)
    wage, outlook = wage_for(db, noc), outlook_for(db, noc)
    assert title and wage is not None and outlook is not None and wage.median is not None
    program = db.scalars(select(models.Program).order_by(models.Program.id)).first()
    assert program is not None
    payload = recommendations_payload(
        lang=lang, occupation=None, target_occupation=(noc, title),
        programs=[program_match(program, [], 1.0, None, lang)], wage=wage, outlook=outlook)
    intro = "Voici une courte formation." if lang == "fr" else "Here is one short program."
    [out] = render_reply([{"text": intro}, {"custom": payload}], 7, "telegram-7",
                         ButtonKeys(), Links())
    shown = telegram_text(Call("sendMessage", {"text": out.html, "parse_mode": "HTML"}))
    said = explain_labour_market(wage, outlook, title, lang)
    assert said is not None and shown.endswith(said.replace("\n", "\n\n"))
    assert shown.index(program_match(program, [], 1.0, None, lang).title) < shown.index(said[:20])
    assert format_money(float(wage.median), lang, keep_cents=True) in shown
    sources = ("Guichet-Emplois, EDSC", "Système de projection des professions au Canada") \
        if lang == "fr" else ("Job Bank, ESDC", "Canadian Occupational Projection System")
    assert all(source in shown for source in sources)
    assert (lang == "fr") == is_french(shown.split(intro)[-1])
    readable = measured_text(said, lang, [title])
    assert readability_ok(readable, lang), (readability(readable, lang), said)


def test_a_wage_and_outlook_without_programs_are_said_too() -> None:
    """Nothing in the catalog for the job: the payload has no program, but its wage and
    outlook are still the only place a client that shows cards gets them."""
    payload: dict[str, Any] = {
        "type": "recommendations", "lang": "en", "programs": [], "alternatives": [],
        "target_occupation": {"noc": "72106", "title": "Welders <b>"},
        "wage": {"low": 20.0, "median": 25.5, "high": 31.0, "unit": "hour",
                 "region": "Ottawa", "year": 2024, "source": "Job Bank, ESDC"},
        "outlook": None}
    messages = render_reply([{"text": "No program fits."}, {"custom": payload}], 7,
                            "telegram-7", ButtonKeys(), Links())
    plain = [telegram_text(Call("sendMessage", {"text": m.html, "parse_mode": "HTML"}))
             for m in messages]
    assert plain == ["No program fits.",
                     "This is the pay for this job: Welders <b>. In the Ottawa region, half "
                     "earn more than $25.50 an hour. Most earn between $20.00 and $31.00. "
                     "Source: Job Bank, ESDC, 2024."]
    # An employer's search: programs of no job, so no wage or outlook to say.
    employer = {**payload, "target_occupation": None, "occupation": None}
    assert render_reply([{"custom": employer}], 7, "telegram-7", ButtonKeys(), Links()) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_programs_read_as_in_the_bots_own_text(db: Session, lang: Lang) -> None:
    """A program's cost, length, format and language read in Telegram exactly as in the
    bot's program lines (knowledge.explainer): "2 000 $" with a no-break space (U+00A0, not
    U+202F), "42 hours" (not "42 h") in English."""
    program = db.scalars(select(models.Program)
                         .where(models.Program.cost >= 1000, models.Program.weeks.is_not(None))
                         .order_by(models.Program.id)).first()
    assert program is not None
    match = program_match(program, [], 1.0, None, lang)
    payload = recommendations_payload(lang=lang, occupation=None, target_occupation=None,
                                      programs=[match], wage=None, outlook=None)
    [out] = render_reply([{"custom": payload}], 7, "telegram-7", ButtonKeys(), Links())
    lines = telegram_text(Call("sendMessage", {"text": out.html, "parse_mode": "HTML"}))
    [facts] = [line for line in lines.splitlines() if " · " in line]
    assert facts.startswith(format_money(match.cost, lang) + " · ")
    assert ", ".join(facts.split(" · ")) in explain_program(match, lang)


def test_program_links_carry_a_pseudonym_not_the_chats_conversation_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Telegram message can be forwarded: its links must not hand out the conversation id
    (``telegram-<chat id>``, the key to the transcript; chat ids are small numbers). The
    base URL and the key are the connector's settings (``Links``), not the environment's."""
    monkeypatch.setenv("PATHFINDER_PUBLIC_URL", "https://elsewhere.example")
    program = {"id": "p1", "title": "Welding Basics", "institution": "Sault College",
               "url": "https://x.example/p1", "cost": 500, "currency": "CAD", "hours": 40,
               "weeks": 4, "delivery": "online", "language": "en", "why": "It teaches MIG."}
    payload = {"custom": {"type": "recommendations", "lang": "en", "programs": [program]}}

    def links(chat_id: int, key: bytes | None = KEY) -> list[str]:
        out = render_reply([payload], chat_id, f"telegram-{chat_id}", ButtonKeys(),
                           Links(PUBLIC_URL, key))
        return [html.unescape(h) for m in out for h in re.findall(r'<a href="([^"]+)">', m.html)]

    [link] = links(4242)
    assert link == (f"{PUBLIC_URL}/go/p1?channel=telegram&ref="
                    f"{conversation_ref('telegram-4242', KEY)}")
    assert "4242" not in link and "conversation" not in link
    assert links(4243) != [link]  # one pseudonym per chat
    # Without the key the link still works; it just says no conversation (whatever the
    # environment holds: the connector checked and kept its own settings as it started).
    assert SECRET_KEY.read() == TEST_SECRET_KEY.encode()
    assert links(4242, key=None) == [f"{PUBLIC_URL}/go/p1?channel=telegram"]
    # Without a public URL the link is the program's own page.
    out = render_reply([payload], 4242, "telegram-4242", ButtonKeys(), Links(None, KEY))
    assert re.findall(r'<a href="([^"]+)">', out[0].html) == ["https://x.example/p1"]


def test_split_reopens_tags_cut_in_the_middle() -> None:
    source = "<b>" + "bold &amp; long " * 600 + "</b>\n<i>end</i>"
    pieces = split_html(source, limit=1000)
    assert len(pieces) >= 9
    for piece in pieces:
        text = telegram_text(Call("sendMessage", {"text": piece, "parse_mode": "HTML"}))
        assert units(text) <= 1000 and units(piece) <= 1000
    assert pieces[1].startswith("<b>") and pieces[0].endswith("</b>")


def test_long_button_payloads_get_short_keys() -> None:
    keys = ButtonKeys(per_chat=3)
    payload = '/choose_occupation{"noc":"13112","target_job":"' + "é" * 60 + '"}'
    data = keys.callback_data(1, payload)
    assert len(data.encode()) <= 64
    assert keys.payload(1, data) == payload
    assert keys.payload(2, data) is None, "keys are per chat"
    for n in range(3):
        keys.callback_data(1, payload + str(n))
    assert keys.payload(1, data) is None, "the oldest key expired"


def test_pathfinder_run_telegram_needs_a_token(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert cli.main(["run", "--telegram", "--port", str(free_port())]) == 2
    error = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in error and "@BotFather" in error


def test_connector_refuses_to_start_without_what_it_needs(fake: FakeTelegram) -> None:
    """A wrong token stops the connector with a reason (and without printing the token);
    webhook mode without a secret does not start at all."""
    command = [str(PROJECT_ROOT / ".venv/bin/python"), "-m", "connectors.telegram",
               "--port", str(free_port())]
    base = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    wrong = "999:not-the-token"
    result = subprocess.run([*command, "--mode", "polling"], capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT,
                            env={**base, "TELEGRAM_BOT_TOKEN": wrong,
                                 "TELEGRAM_API_BASE_URL": fake.url})
    assert result.returncode == 1
    assert "rejected" in result.stderr and wrong not in result.stderr + result.stdout
    result = subprocess.run([*command, "--mode", "webhook"], capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT,
                            env={**base, "TELEGRAM_BOT_TOKEN": fake.token,
                                 "TELEGRAM_API_BASE_URL": fake.url})
    assert result.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in result.stderr
    # Without the engine's token every turn would be refused (403): it does not start.
    result = subprocess.run([*command, "--mode", "polling"], capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT,
                            env={**{k: v for k, v in base.items()
                                    if k != "PATHFINDER_RASA_TOKEN"},
                                 "TELEGRAM_BOT_TOKEN": fake.token,
                                 "TELEGRAM_API_BASE_URL": fake.url})
    assert result.returncode == 2 and "PATHFINDER_RASA_TOKEN is not set" in result.stderr
