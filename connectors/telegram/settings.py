"""The connector's settings, from the environment (the bot token never lives in a file): the
variables knowledge/settings.py declares for the "telegram" kind, checked as the connector
starts (connectors/telegram/service.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import ClassVar

from knowledge.settings import (
    PUBLIC_URL,
    RASA_TOKEN,
    RASA_URL,
    SECRET_KEY,
    TELEGRAM_API_BASE_URL,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_POLL_TIMEOUT_S,
    TELEGRAM_RETRY_BASE_DELAY_S,
    TELEGRAM_SEND_ATTEMPTS,
    TELEGRAM_SEND_TIMEOUT_S,
    TELEGRAM_WEBHOOK_SECRET,
    TELEGRAM_WEBHOOK_URL,
    Kind,
    SettingsError,
    read_settings,
    setting,
)

__all__ = ["Settings", "SettingsError"]

# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Settings:
    """Every field but ``token`` has its variable's default, for tests that build one."""

    KIND: ClassVar[Kind] = "telegram"
    token: str = setting(TELEGRAM_BOT_TOKEN, required=(
        "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
        "(/newbot) and export the token it gives you: export TELEGRAM_BOT_TOKEN=123456:ABC..."))
    rasa_url: str = setting(RASA_URL, default=True)
    api_base_url: str = setting(TELEGRAM_API_BASE_URL, default=True)
    webhook_secret: str | None = setting(TELEGRAM_WEBHOOK_SECRET, default=True)
    # public HTTPS URL Telegram posts updates to
    webhook_url: str | None = setting(TELEGRAM_WEBHOOK_URL, default=True)
    # per Bot API call (connect, write and read)
    send_timeout_s: float = setting(TELEGRAM_SEND_TIMEOUT_S, default=True)
    send_attempts: int = setting(TELEGRAM_SEND_ATTEMPTS, default=True)
    retry_base_delay_s: float = setting(TELEGRAM_RETRY_BASE_DELAY_S, default=True)
    poll_timeout_s: int = setting(TELEGRAM_POLL_TIMEOUT_S, default=True)  # getUpdates
    # The engine's token (its REST channel answers telegram- conversations only to a relay
    # that sends it) and the links' key and base URL: checked at start, not on a learner's
    # turn, and used from here (bot.TelegramConnector hands them to its RasaClient and to
    # render.Links); None where a test built the object without them.
    rasa_token: str | None = setting(RASA_TOKEN, default=True, required=(
        f"{RASA_TOKEN.name} is not set: export the token the Rasa engine was started with "
        "(pathfinder run --telegram passes it itself)."))
    secret_key: bytes | None = setting(SECRET_KEY, default=True)
    public_url: str | None = setting(PUBLIC_URL, default=True)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 **overrides: str | None) -> Settings:
        """The settings in ``env`` (default: the environment); ``overrides`` (by field name)
        that are not None win: command-line options (--rasa-url, --webhook-url). Each stands
        in for its variable's value, so it gets that variable's parser: ``--webhook-url
        http://...`` is refused with TELEGRAM_WEBHOOK_URL's error, in the same SettingsError
        as any other unusable setting."""
        variables = {item.name: item.metadata["variable"] for item in fields(cls)}
        unknown = sorted(set(overrides) - set(variables))
        if unknown:
            raise TypeError(f"Settings.from_env() got unknown settings: {', '.join(unknown)}")
        given = {variables[name].name: value for name, value in overrides.items()
                 if value is not None}
        return read_settings(cls, {**(os.environ if env is None else env), **given})

    @property
    def bot_api_url(self) -> str:
        """What python-telegram-bot puts before the token: {base}/bot."""
        return f"{self.api_base_url.rstrip('/')}/bot"

    @property
    def file_api_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/file/bot"

    def require_webhook_secret(self) -> str:
        if not self.webhook_secret:
            raise SettingsError(
                "Webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 characters: letters, "
                "digits, _ and -), e.g. export TELEGRAM_WEBHOOK_SECRET=$(openssl rand -hex 32)")
        if not _SECRET.fullmatch(self.webhook_secret):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET may only hold 1-256 letters, digits, "
                                "_ and - (Telegram's rule for secret tokens)")
        return self.webhook_secret
