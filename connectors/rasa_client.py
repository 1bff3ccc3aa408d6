"""The one client of the Rasa engine, for every channel in front of it (the web widget's relay
in bot/api, the Telegram connector): a turn over Pathfinder's REST channel
(``/webhooks/rest/webhook``) and, for the widget's history, Rasa's tracker API.

A turn's reply carries the conversation's language after the turn in its ``Content-Language``
header (bot/engine/channels.py), so no channel asks the tracker API for it.

Each turn carries a message id (connectors/message_ids.py), given by the caller, in its
metadata: the engine stores a turn once per id and answers a repeat with what it stored. So a
request that failed in a way that says the engine did not answer it (it could not be reached,
it dropped the connection, or the balancer in front answered 502, 503 or 504: a replica that
died mid-turn, or none free) is sent once more, after ``RETRY_PAUSE_S``, with the same id; a
tracker read is retried the same way. Nothing else is retried: not a 4xx or another 5xx (the
engine answered), and not a read timeout (the engine is alive but stuck, and the learner has
already waited ``TURN_TIMEOUT_S``).

Here, not in bot/api: the connectors must not depend on the web app.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.message_ids import MESSAGE_ID_KEY
from connectors.senders import RELAY_TOKEN_HEADER, scrub_conversation_ids
from knowledge.language import Lang, as_lang
from knowledge.settings import RASA_TOKEN_ENV

logger = logging.getLogger(__name__)


# Longer than the REST channel's own polite timeout (PATHFINDER_TURN_TIMEOUT_S, 20 s), so the
# learner gets Rasa's "please try again" rather than the channel's own error when the actions
# server hangs; this one only catches an engine that hangs altogether.
TURN_TIMEOUT_S = 45.0
CONNECT_TIMEOUT_S = 5.0
# The first try and one retry: a second failure means the engine is down, not one replica.
ATTEMPTS = 2
# Long enough for a balancer to mark a dead replica down, short next to a turn.
RETRY_PAUSE_S = 0.5
# What a balancer answers when its backend died or none is up (HAProxy, nginx): the engine did
# not answer. A 500 is the engine's own answer, and is not retried.
RETRIED_STATUSES = frozenset({502, 503, 504})
# The request did not reach the engine, or the connection dropped before its answer.
RETRIED_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError,
                  httpx.RemoteProtocolError)


# The message metadata by which a client says it renders program cards (actions/context.py).
CARDS = {"cards": True}


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error or something unusable."""


@dataclass(frozen=True)
class Reply:
    """Rasa's answer to one turn."""

    messages: list[dict[str, Any]]
    # The conversation's language after the turn; None when the engine did not say.
    language: Lang | None


def conversation_language(tracker: dict[str, Any]) -> Lang | None:
    """The ``language`` slot of a tracker read through Rasa's HTTP API."""
    return as_lang((tracker.get("slots") or {}).get("language"), None)


class RasaClient:
    def __init__(self, base_url: str, token: str | None,
                 turn_timeout_s: float = TURN_TIMEOUT_S) -> None:
        """``base_url`` and ``token``: the engine's (PATHFINDER_RASA_URL and
        PATHFINDER_RASA_TOKEN, from the caller's settings; this client reads no environment);
        ``turn_timeout_s``: how long to wait for an answer. ValueError without a token."""
        self.base_url = base_url.rstrip("/")
        if not token:
            # Refused at start: without it every turn of a web- or telegram- conversation
            # would be a 403, and learners would only ever see "try again later".
            raise ValueError(f"{RASA_TOKEN_ENV} is not set: the engine answers this relay's "
                             "conversations and its tracker API only with its token. Export "
                             "the value the engine was started with.")
        # Rasa 3.6 takes the API's token as ?token= only; the REST channel takes it in a
        # header, as the proof that this relay may speak for web-/telegram- conversations.
        self._token: str = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(turn_timeout_s, connect=CONNECT_TIMEOUT_S))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sender: str, message: str, *, message_id: str) -> Reply:
        """One turn over the REST channel: the bot's messages, in order, and the language.
        ``message_id`` (connectors.message_ids) names the turn: sent again with it, the turn
        is stored once and answered as it was. Every channel here shows the recommendations
        payload as cards, and says so (``CARDS``): the text then introduces a program list
        without writing it out."""
        response = await self._request("POST", "/webhooks/rest/webhook",
                                       json={"sender": sender, "message": message,
                                             "metadata": {**CARDS, MESSAGE_ID_KEY: message_id}},
                                       headers={RELAY_TOKEN_HEADER: self._token})
        body = _json(response)
        if not isinstance(body, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {type(body).__name__}")
        return Reply(messages=[m for m in body if isinstance(m, dict)],
                     language=as_lang(response.headers.get("content-language"), None))

    async def tracker(self, sender: str, events: str = "ALL") -> dict[str, Any]:
        """The conversation's tracker: ``slots`` and, unless events="NONE", ``events``.
        (For an id Rasa has never seen, Rasa stores an empty conversation.)"""
        body = _json(await self._request("GET", f"/conversations/{sender}/tracker",
                                         params={"include_events": events,
                                                 "token": self._token}))
        return body if isinstance(body, dict) else {}

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The engine's answer (a 200), or RasaUnavailable. Sent a second time, after
        RETRY_PAUSE_S, when the first attempt ends in RETRIED_ERRORS or RETRIED_STATUSES."""
        shown = scrub_conversation_ids(path)
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                await asyncio.sleep(RETRY_PAUSE_S)
            last = attempt == ATTEMPTS
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                if not last and isinstance(exc, RETRIED_ERRORS):
                    logger.warning("Rasa did not answer %s %s (%s); sending it again", method,
                                   shown, type(exc).__name__)
                    continue
                logger.warning("Rasa did not answer %s %s: %r", method, shown,
                               type(exc).__name__)
                raise RasaUnavailable(f"{type(exc).__name__} from {self.base_url}") from exc
            if not last and response.status_code in RETRIED_STATUSES:
                logger.warning("%s %s answered %d; sending it again", method, shown,
                               response.status_code)
                continue
            break
        return _checked(method, shown, response)


def _checked(method: str, path: str, response: httpx.Response) -> httpx.Response:
    if response.status_code in (401, 403):
        logger.error("The engine refused %s %s (%d): is %s the engine's token?", method, path,
                     response.status_code, RASA_TOKEN_ENV)
    if response.status_code != 200:
        raise RasaUnavailable(f"Rasa answered {response.status_code} to {method} {path}")
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        path = scrub_conversation_ids(response.request.url.path)
        raise RasaUnavailable(f"Rasa's answer to {response.request.method} {path} "
                              "is not JSON") from exc
