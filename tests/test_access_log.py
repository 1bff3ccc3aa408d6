"""The web app's access log holds no conversation id (the only key to a transcript): uvicorn
started as `pathfinder run` starts it, real requests of the widget and of program links, and
its log read back."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.api.access_log import ACCESS_LOGGER, ConversationIdFilter
from connectors.senders import CONVERSATION_PLACEHOLDER as PLACEHOLDER
from connectors.senders import scrub_conversation_ids
from knowledge.referrals import conversation_ref
from tests.conftest import TEST_SECRET_KEY, Stacks

WEB = "web-" + "5e" * 16
REF = conversation_ref(WEB, TEST_SECRET_KEY.encode())


@pytest.mark.parametrize(("logged", "shown"), [
    (f"/api/conversations/{WEB}/messages", f"/api/conversations/{PLACEHOLDER}/messages"),
    (f"/api/conversations/{WEB.upper()}/messages",
     f"/api/conversations/{PLACEHOLDER}/messages"),
    ("/api/conversations/ana/messages", f"/api/conversations/{PLACEHOLDER}/messages"),
    (f"/go/p1?channel=web&ref={REF}", f"/go/p1?channel=web&ref={PLACEHOLDER}"),
    (f"/go/p1?conversation={WEB}&channel=web", f"/go/p1?conversation={PLACEHOLDER}&channel=web"),
    ("/go/p1?conversation=telegram-4242&channel=telegram",
     f"/go/p1?conversation={PLACEHOLDER}&channel=telegram"),
    ("relayed telegram--1001234 to Rasa", f"relayed {PLACEHOLDER} to Rasa"),
    # Rasa's HTTP API, as the Rasa client names its requests in warnings and errors
    ("/conversations/ana/tracker", f"/conversations/{PLACEHOLDER}/tracker"),
    # the console's transcripts
    ("/console/conversations/ana?x=1", f"/console/conversations/{PLACEHOLDER}?x=1"),
    ("/go/web-welding-101?channel=web&prefer=1", "/go/web-welding-101?channel=web&prefer=1"),
    ("/health", "/health"),
])
def test_conversation_ids_and_refs_are_replaced(logged: str, shown: str) -> None:
    assert scrub_conversation_ids(logged) == shown


def test_a_record_shaped_as_uvicorn_logs_a_request_keeps_all_but_the_id() -> None:
    # uvicorn's httptools and h11 protocols log requests this way (uvicorn 0.54).
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 0,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5123", "POST", f"/api/conversations/{WEB}/messages",
                                "1.1", 200), None)
    assert ConversationIdFilter().filter(record) is True
    assert record.getMessage() == (f'127.0.0.1:5123 - "POST /api/conversations/{PLACEHOLDER}'
                                   '/messages HTTP/1.1" 200')


def test_the_running_web_app_logs_no_conversation_id(sqlite_url: str, stacks: Stacks) -> None:
    # The web app alone: its Rasa is down, so the widget's channel answers 503.
    with stacks.own("web", database_url=sqlite_url) as stack:
        base = stack.web_url
        assert httpx.post(f"{base}/api/conversations/{WEB}/messages",
                          json={"message": "hi"}, timeout=30).status_code == 503
        assert httpx.get(f"{base}/api/conversations/{WEB}/messages",
                         timeout=30).status_code == 503
        assert httpx.get(f"{base}/go/no-such-program", timeout=30,
                         params={"channel": "web", "ref": REF, "conversation": WEB}
                         ).status_code == 404
    text = (stack.config.log_path / "web.log").read_text()
    requests = [line for line in text.splitlines() if '"POST ' in line or '"GET ' in line]
    assert len([line for line in requests if "/api/conversations/" in line]) == 2
    assert any("/go/no-such-program" in line for line in requests)
    assert WEB.removeprefix("web-") not in text and REF not in text
