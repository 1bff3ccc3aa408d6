"""The connector's settings, from the environment (the bot token never lives in a file)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.rasa_client import DEFAULT_RASA_URL

DEFAULT_API_BASE_URL = "https://api.telegram.org"
# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(ValueError):
    """A required setting is missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class Settings:
    token: str
    rasa_url: str = DEFAULT_RASA_URL
    api_base_url: str = DEFAULT_API_BASE_URL
    webhook_secret: str | None = None
    webhook_url: str | None = None        # public HTTPS URL Telegram posts updates to
    send_timeout_s: float = 10.0          # per Bot API call (connect, write and read)
    send_attempts: int = 5
    retry_base_delay_s: float = 0.5
    poll_timeout_s: int = 10              # getUpdates long-polling

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
                "(/newbot) and export the token it gives you: "
                "export TELEGRAM_BOT_TOKEN=123456:ABC...")
        values: dict[str, object] = {
            "token": token,
            "rasa_url": env.get("PATHFINDER_RASA_URL") or DEFAULT_RASA_URL,
            "api_base_url": (env.get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL),
            "webhook_secret": env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            "webhook_url": env.get("TELEGRAM_WEBHOOK_URL") or None,
        }
        for name, key, kind in (("send_timeout_s", "TELEGRAM_SEND_TIMEOUT_S", float),
                                ("send_attempts", "TELEGRAM_SEND_ATTEMPTS", int),
                                ("retry_base_delay_s", "TELEGRAM_RETRY_BASE_DELAY_S", float),
                                ("poll_timeout_s", "TELEGRAM_POLL_TIMEOUT_S", int)):
            if env.get(key):
                try:
                    values[name] = kind(env[key])
                except ValueError:
                    raise SettingsError(f"{key} must be a number, not {env[key]!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        return settings

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
