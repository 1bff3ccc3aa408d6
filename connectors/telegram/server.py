"""The connector's HTTP side (Starlette, served by uvicorn): ``GET /health`` in both modes and,
in webhook mode, the endpoint Telegram posts updates to.

Webhook requests must carry the secret token given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header (compared in constant time); anything else gets a
403 and is not processed, so nobody who merely knows the URL can speak for a Telegram user.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from connectors.telegram.bot import TelegramConnector

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
MAX_UPDATE_BYTES = 1_000_000   # Telegram's updates are a few KB


def create_app(connector: TelegramConnector, mode: str, secret: str | None = None,
               webhook_path: str = DEFAULT_WEBHOOK_PATH,
               lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
               ) -> Starlette:
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "mode": mode})

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            logger.warning("Refused a webhook request without the right secret token from %s",
                           request.client.host if request.client else "?")
            return JSONResponse({"detail": "missing or wrong secret token"}, status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return JSONResponse({"detail": "update too large"}, status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return JSONResponse({"detail": "not a Telegram update (no integer update_id)"},
                                status_code=400)
        try:
            update = Update.de_json(data, connector.application.bot)
        except Exception as exc:  # PTB raises various errors on ill-typed fields
            return JSONResponse({"detail": f"not a valid Telegram update: {exc}"[:300]},
                                status_code=400)
        # Answer Telegram at once; the update is handled in the background (a slow Rasa turn
        # must not make Telegram re-deliver it).
        await connector.application.update_queue.put(update)
        return JSONResponse({"ok": True})

    routes = [Route("/health", health, methods=["GET"])]
    if mode == "webhook":
        routes.append(Route(webhook_path, webhook, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
