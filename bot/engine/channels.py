"""Pathfinder's REST input channel for Rasa 3.6: same URL and JSON as Rasa's ``rest`` channel,
but a learner always gets an answer.

Registered in credentials.yml as ``bot.engine.channels.PathfinderRestInput:`` in place of
``rest:``; it keeps the name ``rest``, so it is still served at ``/webhooks/rest/webhook``
(Rasa derives the URL prefix from ``name()``).

What it adds to Rasa's ``RestInput``:

- When the action server is down, Rasa 3.6 logs the failed action and carries on, so the
  turn returns ``[]``; and a hanging action server holds the turn for about 5 minutes
  (RemoteAction's timeout). Here a turn that produced no message at all, or that takes
  longer than ``PATHFINDER_TURN_TIMEOUT_S`` (default 20 s), gets ``utter_action_failed`` in
  the conversation's language (slot ``language``). The turn itself is shielded from the
  timeout: it keeps running and is stored in the tracker, so nothing the learner said is lost.
- Every answer says the conversation's language after the turn (its ``language`` slot; for
  a turn still running past the timeout, the language before it) in a
  ``Content-Language: en|fr`` header (left out when it cannot be read), so a channel in
  front (the widget's relay, Telegram) needs no second call to Rasa's tracker API for it.
  A header, not a key in the body: the body stays Rasa's JSON list of messages, and the
  language is the conversation's, not any one message's.
- Bad requests get a 400 with a reason (malformed JSON, JSON that bot.engine.json_bodies
  refuses: too deep, a lone surrogate; no sender, a message that is not a string, metadata
  that is not a small JSON object) instead of a 500. (Sanic refuses a body over
  ``SANIC_REQUEST_MAX_SIZE``, which bot/stack.py sets, with a 413 before any of this.)
- A conversation id of one of our channels (``web-``, ``telegram-``: connectors/senders.py)
  is refused (403) unless the request carries the engine's token in
  ``X-Pathfinder-Relay-Token``, as our relays do: a Telegram chat id is no secret.
- A typed intent payload (``/change_language{"language": "xx"}``) may name only the values a
  categorical slot allows (domain.yml): any other value is dropped before the turn, so
  nothing a learner types becomes, say, a ``language`` of ``=HYPERLINK(...)`` that the
  console's analytics would then export.
- Bad text is cleaned or refused politely (HTTP 200): HTML tags and control characters are
  removed before NLU; an empty message or one over ``MAX_MESSAGE_CHARS`` (5,000, before and
  after cleaning: cleaning a longer text costs more than it is worth) is not processed and
  gets a short answer in the conversation's language. Refusing, not truncating,
  a very long message: half a message would be understood wrongly, and the learner knows
  what to do with "please send a shorter message".

Not supported: ``?stream=true`` (the chat page does not use it).

This file runs in the engine's environment (.venv-engine, Python 3.10): no 3.11-only syntax.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.engine.json_bodies import RefusedJson, load_json
from bot.engine.limits import MAX_MESSAGE_CHARS
from bot.engine.tracker_store import saved_language
from connectors.senders import RELAY_TOKEN_HEADER, is_reserved
from knowledge.language import Lang, as_lang
from knowledge.settings import RASA_TOKEN_ENV, SettingsError, engine_settings

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255  # the SQL tracker store's sender_id column
# Channel metadata is stored with every user event: a few flags ({"cards": true}), not data.
MAX_METADATA_CHARS = 2_000
FAILED_RESPONSE = "utter_action_failed"

# domain.yml is where these replies live; these copies are the last resort for a model whose
# domain has no such response, so that a learner still gets an answer (tests/test_responses.py
# keeps them equal to domain.yml's).
FALLBACK_TEXTS: dict[str, dict[Lang, str]] = {
    FAILED_RESPONSE: {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "fr": "Désolé, un problème est survenu de mon côté. Veuillez réessayer dans un moment.",
    },
    "utter_empty_message": {
        "en": "I did not get a message. What would you like to know?",
        "fr": "Je n'ai pas reçu de message. Que voulez-vous savoir?",
    },
    "utter_message_too_long": {
        "en": "Your message is too long for me. Please send a shorter one "
              "(under {max} characters).",
        "fr": "Votre message est trop long pour moi. Veuillez en envoyer un plus court "
              "(moins de {max} caractères).",
    },
}

# Script/style blocks go entirely; other tags lose their brackets' content. A tag must start
# with a letter, so "<3" or "a < b" survive.
# Bounded repeats: unbounded ones cost the square of the length on "<!--<!--<!--...".
_HTML_BLOCK = re.compile(r"<(script|style)\b[^>]{0,500}>.*?(</\1\s*>|$)",
                         re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<!--.{0,2000}?-->|</?[A-Za-z][^<>]{0,500}>", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """The message without HTML markup or control characters, trimmed."""
    text = _HTML_BLOCK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _CONTROL.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


class BadRequest(ValueError):
    """The request cannot be a chat turn; the message says why (sent back with a 400)."""


def parse_request(body: bytes) -> tuple[str, str, dict[str, Any] | None]:
    """(sender, raw message, metadata) from a webhook body, or BadRequest."""
    usage = 'send a JSON object like {"sender": "learner-1", "message": "Hello"}'
    try:
        data = load_json(body) if body else None
    except RefusedJson as exc:
        raise BadRequest(f"{exc} Please {usage}.") from None
    except ValueError:  # not UTF-8, or not JSON
        raise BadRequest(f"The body is not valid JSON: {usage}.") from None
    if not isinstance(data, dict):
        raise BadRequest(f"The body must be a JSON object: {usage}.")
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" must be a non-empty string (the conversation id).')
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f'"sender" must be at most {MAX_SENDER_CHARS} characters.')
    message = data.get("message")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string.')
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object when given.')
    if metadata and len(json.dumps(metadata)) > MAX_METADATA_CHARS:
        raise BadRequest(f'"metadata" must be at most {MAX_METADATA_CHARS:,} characters of JSON.')
    return sender, message, metadata


def allowed_entity_values(domain: Any) -> dict[str, frozenset[str]]:
    """For each entity that fills a categorical slot (domain.yml), the values it may take."""
    allowed: dict[str, frozenset[str]] = {}
    for slot in getattr(domain, "slots", None) or []:
        if not isinstance(slot, CategoricalSlot):
            continue
        values = frozenset(v for v in slot.values if v != "__other__")
        for mapping in slot.mappings:
            if mapping.get("type") == "from_entity" and mapping.get("entity"):
                allowed[mapping["entity"]] = values
    return allowed


def screen_payload(text: str, allowed: Mapping[str, frozenset[str]]) -> str:
    """A typed intent payload (``/intent{"entity": value}``) without the values of
    categorical slots' entities that the slot does not allow; any other text unchanged."""
    if not text.startswith("/"):
        return text
    match = YAMLStoryReader._regex_message_pattern().match(text)  # Rasa's own syntax
    if match is None or not match.group("entities"):
        return text
    try:
        entities = json.loads(match.group("entities"))
    except ValueError:
        return text  # Rasa ignores entities it cannot read
    if not isinstance(entities, dict):
        return text
    kept = {name: value for name, value in entities.items()
            if name not in allowed or _allowed_value(value, allowed[name])}
    if len(kept) == len(entities):
        return text
    logger.info("Dropped %d entity value(s) no slot allows from a typed payload",
                len(entities) - len(kept))
    rest = text[match.end("entities"):]
    return f"{text[:match.start('entities')]}{json.dumps(kept) if kept else ''}{rest}"


def _allowed_value(value: Any, allowed: frozenset[str]) -> bool:
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, str | bool) and str(v).lower() in allowed for v in values)


def response_text(responses: Mapping[str, Any], name: str, lang: Lang) -> str:
    """Text of response ``name`` for ``lang``: the variant conditioned on the language slot,
    else the unconditioned one, else our fallback."""
    variants = responses.get(name) or []
    default = None
    for variant in variants:
        text = variant.get("text") if isinstance(variant, dict) else None
        if not text:
            continue
        conditions = variant.get("condition") or []
        if not conditions:
            default = default or text
        elif all(c.get("name") == "language" and c.get("value") == lang for c in conditions):
            return str(text)
    if default is not None and lang == "en":
        return str(default)
    fallback = FALLBACK_TEXTS.get(name, {})
    return fallback.get(lang) or default or fallback.get("en", "")


class EngineSettingsError(RasaException):
    """The engine's settings are missing or unusable. A RasaException: ``rasa run`` prints
    it without a traceback and stops."""


def settings_problem(exc: SettingsError) -> str:
    """What the channel says when it cannot start: ``exc`` and how to start the engine."""
    return (f"Pathfinder's REST channel (credentials.yml) cannot start: {exc} "
            f"`pathfinder run` sets {RASA_TOKEN_ENV} for the engine it starts. To start the "
            f"engine yourself, export {RASA_TOKEN_ENV} first (the same value for the web app "
            "and the Telegram connector) and run `.venv-engine/bin/python -m bot.engine.serve "
            "run --enable-api ...` rather than `rasa run`, which would serve Rasa's HTTP API "
            "without a token.")


class PathfinderRestInput(RestInput):
    """Rasa's REST channel that always answers and refuses bad input politely."""

    def __init__(self, max_message_chars: int = MAX_MESSAGE_CHARS) -> None:
        # Checked by bot/engine/serve.py before Rasa built this channel; not by a `rasa run`
        # typed by hand.
        try:
            settings = engine_settings()
        except SettingsError as exc:
            raise EngineSettingsError(settings_problem(exc)) from None
        self.turn_timeout_s = settings.turn_timeout_s
        self.max_message_chars = max_message_chars
        self._allowed_for: Any = None
        self._relay_token = settings.rasa_token.encode("utf-8")
        self._allowed_values: Mapping[str, frozenset[str]] = {}

    @classmethod
    def name(cls) -> str:
        return "rest"  # keeps the URL /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PathfinderRestInput:
        # Nothing is read from credentials.yml: the turn timeout is PATHFINDER_TURN_TIMEOUT_S
        # (one way to set it), and max_message_chars stays MAX_MESSAGE_CHARS because NLU reads
        # that (bot/engine/limits.py): a higher limit here would pass messages NLU then cuts.
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("pathfinder_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, raw, metadata = parse_request(request.body)
            except BadRequest as exc:
                return response.json({"error": str(exc)}, status=400)
            if is_reserved(sender) and not self._from_relay(request):
                return response.json({"error": "Conversation ids starting with web- or "
                                      "telegram- belong to Pathfinder's own channels; use "
                                      "another id."}, status=403)
            agent = request.app.ctx.agent
            if len(raw) > self.max_message_chars:
                return await self._reply(agent, sender, "utter_message_too_long")
            text = screen_payload(clean_text(raw), self._allowed(agent))
            if not text:
                return await self._reply(agent, sender, "utter_empty_message")
            messages, ok = await self._run_turn(on_new_message, text, sender, metadata)
            # Read after the turn: the turn may have changed it ("in French please"). A turn
            # that finished was just saved by this process, which kept its language; one
            # still running (too slow) is read from the store: the language before it.
            lang = (saved_language(sender) if ok else None) or \
                await _conversation_language(agent, sender)
            if not (ok and messages):
                # Nothing said (an action failed) or too slow: apologise in their language.
                messages = [*messages, self._message(agent, sender, FAILED_RESPONSE, lang)]
            return _answer(messages, lang)

        return webhook

    async def _run_turn(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                        text: str, sender: str,
                        metadata: dict[str, Any] | None) -> tuple[list[dict[str, Any]], bool]:
        """Messages the bot sent during the turn, and whether the turn finished in time."""
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender, input_channel=self.name(),
                              metadata=metadata)
        started = time.monotonic()
        turn = asyncio.ensure_future(on_new_message(message))
        turn.add_done_callback(_log_turn_failure)
        try:
            # shield: on timeout (or a client hanging up) the turn goes on and is stored.
            await asyncio.wait_for(asyncio.shield(turn), timeout=self.turn_timeout_s)
        except asyncio.TimeoutError:  # noqa: UP041 (not builtin TimeoutError on Python 3.10)
            logger.warning("Turn of %s still running after %.1f s; answered with %s",
                           sender, time.monotonic() - started, FAILED_RESPONSE)
            return list(collector.messages), False
        except Exception:
            logger.exception("Turn of %s failed", sender)
            return list(collector.messages), False
        return list(collector.messages), True

    def _from_relay(self, request: Request) -> bool:
        given = request.headers.get(RELAY_TOKEN_HEADER, "").encode("utf-8")
        return bool(self._relay_token) and hmac.compare_digest(given, self._relay_token)

    def _allowed(self, agent: Any) -> Mapping[str, frozenset[str]]:
        domain = getattr(agent, "domain", None)
        if self._allowed_for is not domain:  # once per loaded model
            self._allowed_for, self._allowed_values = domain, allowed_entity_values(domain)
        return self._allowed_values

    async def _reply(self, agent: Any, sender: str, name: str) -> HTTPResponse:
        lang = await _conversation_language(agent, sender)
        return _answer([self._message(agent, sender, name, lang)], lang)

    def _message(self, agent: Any, sender: str, name: str,
                 lang: Lang | None) -> dict[str, Any]:
        lang = lang or "en"
        responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
        text = response_text(responses, name, lang).replace(
            "{max}", _format_int(self.max_message_chars, lang))
        return {"recipient_id": sender, "text": text}


def _answer(messages: list[dict[str, Any]], lang: Lang | None) -> HTTPResponse:
    """Rasa's JSON list of messages, with the conversation's language when known."""
    return response.json(messages, headers={"Content-Language": lang} if lang else None)


def _format_int(value: int, lang: Lang) -> str:
    # 5,000 in English; 5 000 in French (narrow no-break space).
    return f"{value:,}".replace(",", "\u202f") if lang == "fr" else f"{value:,}"


async def _conversation_language(agent: Any, sender: str) -> Lang | None:
    """The conversation's `language` slot (None when unknown or unreadable)."""
    try:
        tracker = await agent.tracker_store.retrieve(sender)
    except Exception:
        logger.exception("Could not read the tracker of %s", sender)
        return None
    return as_lang(tracker.get_slot("language"), None) if tracker is not None else None


def _log_turn_failure(turn: asyncio.Future[Any]) -> None:
    # Retrieves the exception of a shielded turn that failed after we stopped waiting.
    if not turn.cancelled() and turn.exception() is not None:
        logger.error("Turn failed: %r", turn.exception())
