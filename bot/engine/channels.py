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
  A turn that fails (Redis, the lock store, or PostgreSQL, the tracker store, is down) was
  not stored: it gets that apology alone, and the learner tries again. Rasa's fail-safe
  wrapper would take a failed tracker read for a new conversation: it is made to say the
  store failed (bot/engine/tracker_store.py, ``fail_loudly``). With the tracker store down,
  the conversation's language cannot be read either: the apology is then in the message's
  language when it is clear (bot/engine/language_detector.py, as NLU would have set the
  slot), else in the one this engine last stored for the conversation, else in English.
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
- A turn sent again is stored once. A client may name a turn with ``"message_id"`` in its
  metadata (connectors/message_ids.py: 1-128 letters, digits and ``. _ : -``; ``null`` is no
  id). Anything else is a 400 with the reason, not ignored: a relay that sent a broken id
  would lose its protection without noticing. The id becomes the ``message_id`` of Rasa's
  user event and leaves the metadata (redaction rewrites metadata, never that field).
  Before such a turn runs, under the conversation's lock of Rasa's lock store (the one
  ``Agent.handle_message`` takes, shared by replicas through Redis), the conversation's
  tracker is read: if it holds a user message with that id, the turn is not run again and
  the answer is the bot messages stored after that message, as the REST channel gives them,
  with the conversation's language now. A repeat that arrives while the first attempt still
  runs waits for the lock, so it gets the stored answer too. An id stored with other words
  (compared as the store redacts them) is a client's mistake: 409 with the reason, nothing
  run, rather than another message's answer. Only the sender's own
  conversation is read: an id never reaches another one. The tracker read for the check is
  handed to the processor, which would otherwise read it again (``handing_over``), so the
  check costs a scan of the events; a turn without an id runs as Rasa's channel runs it,
  unchecked. Limits: a repeated answer shows what the tracker store redacted (an e-mail
  address the bot quoted back), and a first attempt that holds the lock longer than its
  lifetime (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s) is no longer waited for.

Not supported: ``?stream=true`` (the chat page does not use it).

This file runs in the engine's environment (.venv-engine, Python 3.10): no 3.11-only syntax.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.engine.json_bodies import RefusedJson, load_json
from bot.engine.language_detector import decide
from bot.engine.limits import MAX_MESSAGE_CHARS
from bot.engine.redaction import redact
from bot.engine.tracker_store import fail_loudly, saved_language
from connectors.message_ids import MAX_MESSAGE_ID_CHARS, MESSAGE_ID_KEY, is_message_id
from connectors.senders import RELAY_TOKEN_HEADER, is_reserved
from knowledge.language import Lang, as_lang
from knowledge.settings import RASA_TOKEN_ENV, SettingsError, engine_settings

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255  # the SQL tracker store's sender_id column
# Channel metadata is stored with every user event: a few flags ({"cards": true}), not data.
MAX_METADATA_CHARS = 2_000
FAILED_RESPONSE = "utter_action_failed"
# How often a repeated turn looks whether the first attempt released the conversation's lock
# (Agent.handle_message looks every second; a learner's retry should not wait that long).
LOCK_POLL_S = 0.1

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


@dataclass(frozen=True)
class WebhookRequest:
    sender: str
    message: str  # as sent: not yet cleaned
    metadata: dict[str, Any] | None  # without the message id
    message_id: str | None  # the client's name for this turn, if it gave one


def parse_request(body: bytes) -> WebhookRequest:
    """The turn a webhook body asks for, or BadRequest."""
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
    message_id = None
    if metadata and MESSAGE_ID_KEY in metadata:
        message_id = metadata[MESSAGE_ID_KEY]  # null: no id, as if left out
        if message_id is not None and not is_message_id(message_id):
            raise BadRequest(f'"metadata.{MESSAGE_ID_KEY}" must be a string of 1 to '
                             f"{MAX_MESSAGE_ID_CHARS} letters, digits, dots, colons, hyphens "
                             "or underscores, starting with a letter or a digit.")
        metadata = {key: value for key, value in metadata.items() if key != MESSAGE_ID_KEY}
    return WebhookRequest(sender, message, metadata, message_id)


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

        @webhook.listener("after_server_start")
        async def tracker_store_errors_fail(app: Any, _loop: Any) -> None:
            # The agent is loaded before the server starts (rasa/core/run.py): from the
            # first request on, a tracker store that fails says so (fail_loudly).
            agent = getattr(app.ctx, "agent", None)
            if agent is not None:
                fail_loudly(agent.tracker_store)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                turn = parse_request(request.body)
            except BadRequest as exc:
                return response.json({"error": str(exc)}, status=400)
            sender, raw = turn.sender, turn.message
            if is_reserved(sender) and not self._from_relay(request):
                return response.json({"error": "Conversation ids starting with web- or "
                                      "telegram- belong to Pathfinder's own channels; use "
                                      "another id."}, status=403)
            agent = request.app.ctx.agent
            fail_loudly(agent.tracker_store)  # a model loaded since the start has a new one
            if len(raw) > self.max_message_chars:
                return await self._reply(agent, sender, "utter_message_too_long")
            text = screen_payload(clean_text(raw), self._allowed(agent))
            if not text:
                return await self._reply(agent, sender, "utter_empty_message")
            message = UserMessage(text, CollectingOutputChannel(), sender,
                                  input_channel=self.name(), message_id=turn.message_id,
                                  metadata=turn.metadata)
            if turn.message_id is None:
                outcome = await self._run_turn(on_new_message(message), message)
            else:
                outcome = await self._run_turn(run_once(agent, message), message)
            if outcome.reused:
                return response.json({"error": "This message_id was already used for another "
                                      "message of this conversation; give each message its "
                                      "own id."}, status=409)
            if outcome.replayed:
                # Read with the stored answer: no turn ran here, so no language was saved.
                lang = outcome.language
            else:
                # Read after the turn: the turn may have changed it ("in French please"). A
                # turn that finished was just saved by this process, which kept its language;
                # one still running (too slow) is read from the store: the language before it.
                lang = (saved_language(sender) if outcome.finished else None) or \
                    await _conversation_language(agent, sender)
            messages = outcome.messages
            if not (outcome.finished and messages):
                # Nothing said (an action failed), too slow, or failed: apologise in their
                # language, guessed without the store when it could not be read.
                apology_lang = lang or _language_without_store(sender, text)
                messages = [*messages,
                            self._message(agent, sender, FAILED_RESPONSE, apology_lang)]
            return _answer(messages, lang)

        return webhook

    async def _run_turn(self, turn: Awaitable[Any], message: UserMessage) -> TurnOutcome:
        """What the bot said during ``turn`` (which handles ``message``), and whether it
        finished in time. A turn that returns a Replay ran before: its answer is the Replay's."""
        collector = message.output_channel
        assert isinstance(collector, CollectingOutputChannel)
        started = time.monotonic()
        task = asyncio.ensure_future(turn)
        task.add_done_callback(_log_turn_failure)
        try:
            # shield: on timeout (or a client hanging up) the turn goes on and is stored.
            result = await asyncio.wait_for(asyncio.shield(task), timeout=self.turn_timeout_s)
        except asyncio.TimeoutError:  # noqa: UP041 (not builtin TimeoutError on Python 3.10)
            logger.warning("Turn of %s still running after %.1f s; answered with %s",
                           message.sender_id, time.monotonic() - started, FAILED_RESPONSE)
            return TurnOutcome(list(collector.messages), finished=False)
        except Exception:
            # Its tracker was not stored (the lock store or the tracker store failed): what
            # it said would be forgotten by the next turn, so the learner gets the apology
            # alone, and tries again.
            logger.exception("Turn of %s failed", message.sender_id)
            return TurnOutcome([], finished=False)
        if isinstance(result, Replay) and result.reused:
            logger.warning("Message id %s of %s was stored with other words; refused",
                           message.message_id, message.sender_id)
            return TurnOutcome([], finished=True, replayed=True, reused=True)
        if isinstance(result, Replay):
            logger.info("Message %s of %s was already stored; answered as then",
                        message.message_id, message.sender_id)
            return TurnOutcome(result.messages, finished=True, replayed=True,
                               language=result.language)
        return TurnOutcome(list(collector.messages), finished=True)

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
        # The store down: in the language this engine last stored for the conversation.
        return _answer([self._message(agent, sender, name, lang or saved_language(sender))],
                       lang)

    def _message(self, agent: Any, sender: str, name: str,
                 lang: Lang | None) -> dict[str, Any]:
        lang = lang or "en"
        responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
        text = response_text(responses, name, lang).replace(
            "{max}", _format_int(self.max_message_chars, lang))
        return {"recipient_id": sender, "text": text}


@dataclass(frozen=True)
class TurnOutcome:
    messages: list[dict[str, Any]]  # what the bot said, as the REST channel gives it
    finished: bool                  # False: it failed or is still running (too slow)
    replayed: bool = False          # it ran before: messages are its stored answer
    language: Lang | None = None    # the conversation's, read with a replayed answer
    reused: bool = False            # its id was stored with other words: refused


@dataclass(frozen=True)
class Replay:
    """The stored answer to a turn that ran before, and the conversation's language now;
    ``reused``: the id was stored with other words (nothing ran, nothing is answered)."""

    messages: list[dict[str, Any]]
    language: Lang | None
    reused: bool = False


async def run_once(agent: Any, message: UserMessage) -> Replay | None:
    """Handle ``message`` as ``Agent.handle_message`` does (Rasa 3.6.21: the processor under
    the lock store's lock of the conversation), unless the conversation already holds a user
    message with its id: then that message's stored answer, and nothing runs.

    The lock is taken here, and the processor called directly, so that the check and the turn
    are one step: a second attempt (another replica, or this one) waits for the first to be
    stored, and a turn is never stored twice. Needs ``message.message_id``."""
    if not agent.is_ready():
        logger.info("Ignoring message as there is no agent to handle it.")  # as Rasa does
        return None
    sender = message.sender_id
    async with agent.lock_store.lock(sender, wait_time_in_seconds=LOCK_POLL_S):
        # This conversation's tracker only (latest session): an id finds nothing elsewhere.
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker is None:  # a new conversation: nothing to find, the processor creates it
            await agent.processor.handle_message(message)
            return None
        replay = await stored_answer(tracker, message.message_id, message.text)
        if replay is not None:
            return replay
        await handing_over(agent.processor, tracker).handle_message(message)
    return None


def handing_over(processor: Any, tracker: DialogueStateTracker) -> Any:
    """``processor`` (a copy, for this turn only) whose first read of ``tracker``'s
    conversation is ``tracker``, read just now under the conversation's lock: what the
    processor would read. A second read cost 7 ms of CPU per turn in a conversation's first
    12 turns and 33 ms in turns 25-36 (it replays every event of the session); handed over,
    the check costs nothing measurable. Does what ``MessageProcessor.get_tracker`` does
    (Rasa 3.6.21) to the tracker it returns."""
    view = copy.copy(processor)

    async def get_tracker(conversation_id: str) -> DialogueStateTracker:
        view.get_tracker = processor.get_tracker  # once: later reads are the store's
        if conversation_id != tracker.sender_id:
            return await processor.get_tracker(conversation_id)
        tracker.model_id = processor.model_metadata.model_id
        if tracker.assistant_id is None:
            tracker.assistant_id = processor.model_metadata.assistant_id
        return tracker

    view.get_tracker = get_tracker
    return view


async def stored_answer(tracker: DialogueStateTracker, message_id: str,
                        text: str | None = None) -> Replay | None:
    """The bot messages stored after the user message ``message_id`` (up to the next user
    message), rendered the way the turn sent them (the processor hands each BotUttered's
    ``message()`` to the output channel); None when no user message has that id. ``text``:
    the words sent again; stored with other words (redacted as stored), the id was reused
    for another message, which is not answered with the first one's answer."""
    events = list(tracker.events)
    start = next((i for i in range(len(events) - 1, -1, -1)
                  if isinstance(events[i], UserUttered)
                  and events[i].message_id == message_id), None)
    if start is None:
        return None
    if text is not None and redact(text) != redact(events[start].text or ""):
        return Replay([], None, reused=True)
    collector = CollectingOutputChannel()
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            await collector.send_response(tracker.sender_id, event.message())
    return Replay(collector.messages, as_lang(tracker.get_slot("language"), None))


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


def _language_without_store(sender: str, text: str) -> Lang | None:
    """The conversation's likely language when its tracker could not be read: the message's
    own when it is clear, else the one this process last stored for ``sender`` (another
    replica may have stored a later turn since); None when neither is known."""
    try:
        detected = decide(text).language
    except Exception:  # the apology must still go out
        logger.exception("Could not detect the language of a message")
        detected = None
    return as_lang(detected, None) or saved_language(sender)


def _log_turn_failure(turn: asyncio.Future[Any]) -> None:
    # Retrieves the exception of a shielded turn that failed after we stopped waiting.
    if not turn.cancelled() and turn.exception() is not None:
        logger.error("Turn failed: %r", turn.exception())
