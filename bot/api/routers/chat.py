"""The chat page at ``/`` (a small page that talks to Rasa's REST channel) and ``/health``.

The page is static HTML + JS (bot/api/static/); the only thing filled in per server is where
the Rasa REST webhook is, from the environment:

- ``PATHFINDER_CHAT_WEBHOOK_URL``: the full webhook URL the browser posts to; else
- ``PATHFINDER_RASA_URL`` (set by ``pathfinder run``): its port, on the host the page was
  loaded from (so the page also works from another machine); else port 5005.
"""

from __future__ import annotations

import html
import os
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DEFAULT_RASA_PORT = 5005

router = APIRouter(tags=["chat"])


@cache
def _page_template() -> str:
    return (STATIC_DIR / "chat.html").read_text(encoding="utf-8")


def webhook_settings() -> tuple[str, int]:
    """(explicit webhook URL or "", Rasa port) for the page's <meta> tags."""
    webhook = os.environ.get("PATHFINDER_CHAT_WEBHOOK_URL", "")
    port = DEFAULT_RASA_PORT
    rasa_url = os.environ.get("PATHFINDER_RASA_URL")
    if rasa_url:
        try:
            port = urlsplit(rasa_url).port or DEFAULT_RASA_PORT
        except ValueError:
            port = DEFAULT_RASA_PORT
    return webhook, port


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page() -> HTMLResponse:
    webhook, port = webhook_settings()
    page = (_page_template()
            .replace("{{WEBHOOK_URL}}", html.escape(webhook, quote=True))
            .replace("{{RASA_PORT}}", str(int(port))))
    # The page's script is a same-origin file; nothing inline may run.
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
    return HTMLResponse(page, headers={"Content-Security-Policy": csp,
                                       "X-Content-Type-Options": "nosniff"})


@router.get("/health", summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok"}


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
