"""The Telegram side: a python-telegram-bot ``Application`` whose handlers relay each update
to Rasa's REST channel and send the rendered reply back.

Updates from different chats are handled concurrently; one chat's updates run one at a time
(a per-chat lock), so replies keep the order of the questions. An update that arrives twice
(Telegram re-delivers a webhook it thinks failed; a poller restarted before confirming) is
handled once. Each turn goes to Rasa with the message id of the update that made it
(``turn_id``), so the engine stores it once even when the client sends it again (an engine
replica that died mid-turn) or another connector process handles the same update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import weakref
from collections import OrderedDict
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from connectors.rasa_client import RasaClient, RasaUnavailable
from connectors.senders import CHANNEL_PREFIXES
from connectors.telegram.delivery import Outbox, keyboard
from connectors.telegram.render import ButtonKeys, Links, OutgoingMessage, render_reply
from connectors.telegram.settings import Settings
from connectors.telegram.texts import COMMANDS, text
from knowledge.language import Lang, as_lang
from knowledge.settings import SECRET_KEY

logger = logging.getLogger(__name__)

START_OVER = "/start_over"        # domain.yml: intent start_over (action_start_over + greet)
HELP = "/help"                    # domain.yml: intent help (utter_help)
GREET = "/greet"
# No language named: Rasa switches to the other one (action_set_language).
SWITCH_LANGUAGE = "/change_language"
MAX_SEEN_UPDATES = 10_000
MAX_REMEMBERED_CHATS = 10_000
# Several program links in one message: previews would show only the first, at length.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def sender_id(chat_id: int) -> str:
    """The Rasa conversation of a Telegram chat (one tracker per chat, as on the web)."""
    return f"{CHANNEL_PREFIXES['telegram']}{chat_id}"


def turn_id(update: Update) -> str:
    """The message id (connectors.message_ids) of the one turn an update makes: the chat and
    the message (Telegram numbers messages per chat), or the button press (a callback query
    has an id of its own; the message it is attached to is the bot's, pressed maybe more than
    once)."""
    assert update.effective_chat is not None
    chat = update.effective_chat.id
    if update.callback_query is not None:
        return f"tg-{chat}-cb-{update.callback_query.id}"
    assert update.effective_message is not None
    return f"tg-{chat}-{update.effective_message.message_id}"


def _lang_of_code(value: str | None) -> Lang | None:
    """A Telegram language code or a /lang argument: "fr", "fr-CA", "French" -> "fr",
    "en-GB" -> "en"; anything else -> None."""
    return as_lang(value.lower()[:2], None) if value else None


def change_language(lang: Lang) -> str:
    return "/change_language" + json.dumps({"language": lang}, separators=(",", ":"))


class SeenUpdates:
    """The most recent update ids, to handle each update once."""

    def __init__(self, size: int = MAX_SEEN_UPDATES) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class TelegramConnector:
    """Relays between Telegram chats and the Rasa engine."""

    def __init__(self, settings: Settings, polling: bool = True) -> None:
        self.settings = settings
        # Everything from ``settings``, checked as the connector started: nothing here reads
        # the environment again.
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        self.links = Links(settings.public_url, settings.secret_key)
        if settings.public_url and settings.secret_key is None:
            logger.warning("%s is not set: program links carry no conversation reference and "
                           "clicks are not matched to conversations (`pathfinder run` sets it)",
                           SECRET_KEY.name)
        self.keys = ButtonKeys()
        self.seen = SeenUpdates()
        self.outbox = Outbox(self._send_message, attempts=settings.send_attempts,
                             base_delay=settings.retry_base_delay_s)
        self._languages: OrderedDict[int, Lang] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        timeout = settings.send_timeout_s
        builder = (ApplicationBuilder()
                   .token(settings.token)
                   .base_url(settings.bot_api_url)
                   .base_file_url(settings.file_api_url)
                   .request(HTTPXRequest(connection_pool_size=16, connect_timeout=timeout,
                                         read_timeout=timeout, write_timeout=timeout,
                                         pool_timeout=timeout))
                   .concurrent_updates(64)
                   .post_shutdown(self._post_shutdown))
        if polling:
            builder = builder.get_updates_request(HTTPXRequest(connect_timeout=timeout,
                                                               read_timeout=timeout))
        else:
            builder = builder.updater(None)
        self.application = builder.build()
        self._add_handlers()

    # --- wiring --------------------------------------------------------------------------

    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(TypeHandler(Update, self._drop_duplicates), group=-1)
        # New messages only: an edited message would otherwise run its turn again.
        new = filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler("start", self.on_start, filters=new))
        app.add_handler(CommandHandler("help", self.on_help, filters=new))
        app.add_handler(CommandHandler("lang", self.on_lang, filters=new))
        app.add_handler(CommandHandler("reset", self.on_reset, filters=new))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(new, self.on_not_text))
        app.add_error_handler(self._on_error)

    async def set_commands(self) -> None:
        """The command menu in Telegram, in English and French (best effort)."""
        for language_code, listed in ((None, COMMANDS["en"]), ("fr", COMMANDS["fr"])):
            commands = [BotCommand(name, about) for name, about in listed]
            try:
                await self.application.bot.set_my_commands(commands,
                                                           language_code=language_code)
            except TelegramError as exc:
                logger.warning("Could not set the command menu (%s): %s", language_code, exc)

    async def _post_shutdown(self, _app: Any) -> None:
        await self.rasa.aclose()

    async def _drop_duplicates(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.seen.first_time(update.update_id):
            logger.info("Update %s was already handled; ignoring it", update.update_id)
            raise ApplicationHandlerStop

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Error while handling an update: %r", context.error,
                     exc_info=context.error)

    # --- handlers ------------------------------------------------------------------------

    async def on_start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, user_lang = self._chat(update)
        if user_lang:
            self._remember(chat_id, user_lang)
            message = GREET + json.dumps({"language": user_lang}, separators=(",", ":"))
        else:
            message = GREET
        await self.turn(chat_id, message, turn_id(update))

    async def on_help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, _ = self._chat(update)
        await self.turn(chat_id, HELP, turn_id(update), commands_help=True)

    async def on_lang(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, _ = self._chat(update)
        wanted = _lang_of_code(context.args[0]) if context.args else None
        current = self._languages.get(chat_id)
        if wanted is None and current is None:
            # Nothing heard from this chat since the connector started: Rasa knows the
            # conversation's language, so let it switch (no call to its tracker API).
            await self.turn(chat_id, SWITCH_LANGUAGE, turn_id(update))
            return
        if wanted is None:
            wanted = "en" if current == "fr" else "fr"
        self._remember(chat_id, wanted)
        await self.turn(chat_id, change_language(wanted), turn_id(update))

    async def on_reset(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, _ = self._chat(update)
        await self.turn(chat_id, START_OVER, turn_id(update))

    async def on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, user_lang = self._chat(update)
        if user_lang and chat_id not in self._languages:
            self._remember(chat_id, user_lang)
        assert update.effective_message is not None
        await self.turn(chat_id, update.effective_message.text or "", turn_id(update))

    async def on_unknown_command(self, update: Update,
                                 _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, _ = self._chat(update)
        await self.say(chat_id, "commands")

    async def on_not_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is None:
            return
        chat_id, _ = self._chat(update)
        await self.say(chat_id, "text_only")

    async def on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        # Stops the spinner on the button; a failure here must not lose the answer.
        with contextlib.suppress(TelegramError):
            await query.answer()
        if query.message is None:
            return
        chat_id = query.message.chat.id
        payload = self.keys.payload(chat_id, query.data or "")
        if payload is None:
            await self.say(chat_id, "button_expired")
            return
        # The choice is made: remove the keyboard so it is not pressed twice.
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
        await self.turn(chat_id, payload, turn_id(update))

    # --- relaying ------------------------------------------------------------------------

    async def turn(self, chat_id: int, message: str, message_id: str,
                   commands_help: bool = False) -> None:
        """One exchange: the message to Rasa (stored there once: ``message_id``), its reply
        to the chat (reliably)."""
        sender = sender_id(chat_id)
        async with self._lock(chat_id):
            with contextlib.suppress(TelegramError):
                await self.application.bot.send_chat_action(chat_id, "typing")
            try:
                reply = await self.rasa.send(sender, message, message_id=message_id)
            except RasaUnavailable:
                outgoing = [self._text_message("rasa_down", self._language(chat_id))]
            else:
                # The reply says the conversation's language: what the connector's own
                # texts (and /lang) go by.
                if reply.language:
                    self._remember(chat_id, reply.language)
                outgoing = render_reply(reply.messages, chat_id, sender, self.keys, self.links)
                if commands_help:
                    outgoing.append(self._text_message("commands", self._language(chat_id)))
            await self.outbox.send(chat_id, outgoing)

    async def say(self, chat_id: int, key: str) -> None:
        async with self._lock(chat_id):
            await self.outbox.send(chat_id, [self._text_message(key, self._language(chat_id))])

    async def _send_message(self, chat_id: int, message: OutgoingMessage) -> None:
        await self.application.bot.send_message(
            chat_id, message.html, reply_markup=keyboard(message), parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW)

    # --- helpers -------------------------------------------------------------------------

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    def _chat(self, update: Update) -> tuple[int, Lang | None]:
        assert update.effective_chat is not None
        user = update.effective_user
        return update.effective_chat.id, _lang_of_code(user.language_code if user else None)

    def _remember(self, chat_id: int, lang: Lang) -> None:
        self._languages.pop(chat_id, None)
        self._languages[chat_id] = lang
        while len(self._languages) > MAX_REMEMBERED_CHATS:
            self._languages.popitem(last=False)

    def _language(self, chat_id: int) -> Lang:
        return self._languages.get(chat_id, "en")

    @staticmethod
    def _text_message(key: str, lang: Lang) -> OutgoingMessage:
        return OutgoingMessage(html.escape(text(key, lang), quote=False))



