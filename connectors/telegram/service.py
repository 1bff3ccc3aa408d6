"""``python -m connectors.telegram``: run the connector in polling or webhook mode.

Both modes serve ``GET /health`` on ``--port`` (what ``pathfinder run --telegram`` waits
for); webhook mode also serves the webhook endpoint there. SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence

import uvicorn
from starlette.applications import Starlette
from telegram import Update
from telegram.error import TelegramError

from connectors.telegram.bot import TelegramConnector
from connectors.telegram.server import DEFAULT_WEBHOOK_PATH, create_app
from connectors.telegram.settings import Settings, SettingsError

logger = logging.getLogger("connectors.telegram")

DEFAULT_PORT = 8081
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


async def serve(settings: Settings, mode: str, host: str, port: int,
                webhook_path: str = DEFAULT_WEBHOOK_PATH) -> None:
    """Start the bot, then serve HTTP until SIGINT/SIGTERM. /health answers only once the bot
    runs; a bot that cannot start (wrong token, API unreachable) raises before serving."""
    secret = settings.require_webhook_secret() if mode == "webhook" else None
    connector = TelegramConnector(settings, polling=mode == "polling")
    await start_bot(connector, mode, secret)

    # Stopped in the web server's lifespan: uvicorn re-raises SIGTERM once it has served,
    # so code after serve() does not run on a signal.
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await stop_bot(connector)

    config = uvicorn.Config(create_app(connector, mode, secret, webhook_path, lifespan),
                            host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        await stop_bot(connector)
    if not server.started:
        raise StartupFailed(f"could not serve on {host}:{port} (see the log above)")


class StartupFailed(RuntimeError):
    """The connector's web server did not start."""


async def start_bot(connector: TelegramConnector, mode: str, secret: str | None) -> None:
    settings = connector.settings
    application = connector.application
    await application.initialize()   # getMe: fails fast on a wrong token or an unreachable API
    try:
        await connector.set_commands()
        if mode == "polling":
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=settings.poll_timeout_s, allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1)
        elif settings.webhook_url:
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            logger.info("Telegram will post updates to %s", settings.webhook_url)
        await application.start()
    except BaseException:
        await stop_bot(connector)
        raise
    logger.info("Telegram connector for @%s running in %s mode; Rasa at %s",
                application.bot.username, mode, settings.rasa_url)


async def stop_bot(connector: TelegramConnector) -> None:
    """Stop polling and the handlers, close the HTTP clients; safe to call twice."""
    application = connector.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application._initialized:  # noqa: SLF001 (PTB has no public flag for it)
        await application.shutdown()
        logger.info("Telegram connector stopped")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.telegram",
        description="Pathfinder's Telegram connector: relays between Telegram and Rasa's REST "
                    "channel. The bot token comes from TELEGRAM_BOT_TOKEN.")
    parser.add_argument("--mode", choices=["polling", "webhook"], default="polling",
                        help="polling (development: no public URL needed) or webhook (Telegram "
                             "posts to us; needs TELEGRAM_WEBHOOK_SECRET)")
    parser.add_argument("--rasa-url", help="Rasa engine base URL (default PATHFINDER_RASA_URL "
                        "or http://127.0.0.1:5005)")
    parser.add_argument("--host", default="127.0.0.1", help="interface for /health and the "
                        "webhook (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port for /health and the webhook (default {DEFAULT_PORT})")
    parser.add_argument("--webhook-path", default=DEFAULT_WEBHOOK_PATH,
                        help=f"path of the webhook endpoint (default {DEFAULT_WEBHOOK_PATH})")
    parser.add_argument("--webhook-url", help="public HTTPS URL of the webhook; when given "
                        "(or TELEGRAM_WEBHOOK_URL), the connector registers it with setWebhook")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    # httpx logs every Bot API URL, and those contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        # Every setting, the engine's token and the links' key included: checked now, not on
        # a learner's turn.
        settings = Settings.from_env(rasa_url=args.rasa_url, webhook_url=args.webhook_url)
        if args.mode == "webhook":
            settings.require_webhook_secret()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(settings, args.mode, args.host, args.port, args.webhook_path))
    except TelegramError as exc:
        # PTB puts a rejected token in its message: keep it out of logs.
        reason = str(exc).replace(settings.token, "<TELEGRAM_BOT_TOKEN>")
        print(f"error: the Telegram Bot API at {settings.api_base_url} refused or did not "
              f"answer: {reason}", file=sys.stderr)
        return 1
    except StartupFailed as exc:
        print(f"error: the Telegram connector {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
