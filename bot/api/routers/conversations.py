"""The web widget's channel: send a message, read the conversation back.

Why the widget uses REST and not Rasa's socket.io channel: the socket.io client in the
browser must match the server's python-socketio/engineio protocol versions (a coupling that
broke rasa-webchat again and again), it needs sticky sessions behind a load balancer, and
under load it showed lock failures at ~3 requests/s where REST held over 15 (RasaHQ/rasa
#7921). A chat turn is one request and one answer, which is what REST is; and our REST
channel (bot/engine/channels.py) already answers politely when an action times out.

Why through the app server and not straight to Rasa's webhook: the portal configures one
server URL (the widget, its messages, its history and the program links all come from it);
Rasa, whose HTTP API needs the engine's token, never has to be reachable from browsers; and
only conversations of the web channel can be read back (below).

Sent twice, stored once: each message carries an id (the widget's own, else one made here),
and the engine runs a message once per id and conversation. So the widget's resend after a
lost answer, and this relay's retry when an engine replica dies mid-turn
(connectors/rasa_client.py), get the first answer instead of a second turn.

Session across reloads: the widget keeps its sender id in localStorage and asks for the
transcript here, which reads it from Rasa's tracker store through Rasa's HTTP API (so it works
with whichever tracker store Rasa uses, SQLite or PostgreSQL, without reading Rasa's tables).
The sender id is the only key to a transcript, so it must be unguessable: ``web-`` and 32 hex
digits (128 random bits) from the browser's crypto. Other ids (Telegram's, tests') are refused
here, so this endpoint cannot read another channel's conversations. For the same reason
the id never goes into a program link: each answer gives the widget the conversation's
pseudonym (``ref``, knowledge.referrals.conversation_ref) for its links.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request

from bot.api.schemas import (
    BotMessageOut,
    ButtonOut,
    HistoryMessageOut,
    HistoryOut,
    MessageIn,
    ReplyOut,
)
from connectors.message_ids import new_message_id
from connectors.rasa_client import RasaClient, RasaUnavailable, conversation_language
from connectors.senders import WEB_SENDER_PATTERN
from knowledge.payload import with_labels
from knowledge.referrals import link_ref
from knowledge.settings import web_settings

SENDER_PATTERN = WEB_SENDER_PATTERN
# The widget's own language switch (its header button) shows as the language's name.
LANGUAGE_SWITCHES = {'/change_language{"language":"fr"}': "Français",
                     '/change_language{"language":"en"}': "English"}
UNREACHABLE = "The assistant cannot be reached right now; please try again in a moment."

router = APIRouter(prefix="/api/conversations", tags=["conversations"])

Sender = Annotated[str, Path(
    pattern=SENDER_PATTERN, description="The widget's random conversation id: `web-` and 32 "
    "lowercase hex digits (it is the only key to the transcript, so keep it secret)",
    examples=["web-3f9c2a7e1b0d4c6f8a5e2d1c0b9a8f7e"])]


def _rasa(request: Request) -> RasaClient:
    client: RasaClient = request.app.state.rasa
    return client


def bot_message(data: dict[str, Any]) -> BotMessageOut | None:
    """A Rasa message (REST output or a bot event's data) as the widget renders it."""
    text = data.get("text") if isinstance(data.get("text"), str) else None
    buttons = [ButtonOut(title=str(b.get("title") or b["payload"]), payload=b["payload"])
               for b in data.get("buttons") or []
               if isinstance(b, dict) and isinstance(b.get("payload"), str)]
    # A payload stored before cards carried their labels gets them (knowledge.payload).
    custom = with_labels(data["custom"]) if isinstance(data.get("custom"), dict) else None
    if not (text or buttons or custom):
        return None
    return BotMessageOut(text=text or None, buttons=buttons or None, custom=custom)


@router.post("/{sender}/messages", response_model=ReplyOut, response_model_exclude_none=True,
             summary="Send the learner's message; the bot's answer",
             responses={503: {"description": "The Rasa engine did not answer"}})
async def send_message(sender: Sender, body: MessageIn, request: Request) -> ReplyOut:
    """Relays one turn to Rasa's REST channel and returns its messages (text, buttons, the
    recommendations payload under `custom`) with the conversation's language afterwards.
    A message sent again with its `message_id` is stored once and answered as before."""
    # The widget's own id, so that its resend after a lost answer is the same turn.
    message_id = body.message_id or new_message_id()
    try:
        reply = await _rasa(request).send(sender, body.message, message_id=message_id)
    except RasaUnavailable as exc:
        raise HTTPException(503, UNREACHABLE) from exc
    # The language comes with the reply (no second call to Rasa). When the engine does not
    # say, the turn is still answered and the widget keeps its language: a 503 would make
    # the learner send, and Rasa run, the turn again.
    messages = [m for m in map(bot_message, reply.messages) if m is not None]
    return ReplyOut(lang=reply.language, ref=link_ref(sender, web_settings().secret_key),
                    messages=messages)


@router.get("/{sender}/messages", response_model=HistoryOut, response_model_exclude_none=True,
            summary="The conversation so far (to restore the widget after a reload)",
            responses={503: {"description": "The Rasa engine did not answer"}})
async def conversation_history(sender: Sender, request: Request) -> HistoryOut:
    try:
        tracker = await _rasa(request).tracker(sender, events="ALL")
    except RasaUnavailable as exc:
        raise HTTPException(503, UNREACHABLE) from exc
    return HistoryOut(lang=conversation_language(tracker),
                      ref=link_ref(sender, web_settings().secret_key),
                      messages=transcript(tracker.get("events") or []))


def transcript(events: list[dict[str, Any]]) -> list[HistoryMessageOut]:
    """What the learner saw: their messages and the bot's, in order. A button press was
    stored as its payload; it is shown as the button's title, as it was when pressed, and
    the widget's language switch as the language's name."""
    shown: list[HistoryMessageOut] = []
    titles: dict[str, str] = dict(LANGUAGE_SWITCHES)
    for event in events:
        kind = event.get("event")
        time = event.get("timestamp") if isinstance(event.get("timestamp"), int | float) else None
        if kind == "bot":
            message = bot_message({"text": event.get("text"), **(event.get("data") or {})})
            if message is None:
                continue
            for button in message.buttons or []:
                titles[button.payload] = button.title
            shown.append(HistoryMessageOut(sender="bot", time=time, **message.model_dump()))
        elif kind == "user" and isinstance(event.get("text"), str):
            text: str = event["text"]
            if text.startswith("/"):
                if text not in titles:
                    continue  # a command typed as such: not something to show
                text = titles[text]
            shown.append(HistoryMessageOut(sender="user", text=text, time=time))
    return shown
