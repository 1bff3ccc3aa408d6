"""The web widget's files (``/widget/…``, from connectors/widget/), the demo page at ``/`` (a
mock micro-credentials portal with the widget embedded and its snippet shown) and ``/health``.

The demo embeds the widget the way a portal does: an inline config object and one script
tag. Its Content-Security-Policy allows that one inline script by its SHA-256 hash, nothing
else inline.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import connectors

WIDGET_DIR = Path(connectors.__file__).resolve().parent / "widget"
WIDGET_SCRIPT = "pathfinder-widget.js"
# A host as it may appear in a URL; anything else (a forged Host header) is not echoed.
_SAFE_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9a-fA-F:.]+\](:\d{1,5})?$")

router = APIRouter(tags=["widget"])


@cache
def _demo_template() -> str:
    return (WIDGET_DIR / "demo.html").read_text(encoding="utf-8")


def snippet(server_url: str) -> tuple[str, str]:
    """(inline config script, script tag) a portal pastes; relative URLs when server_url is ""."""
    config: dict[str, object] = {"language": "en", "title": "Pathfinder",
                                 "colours": {"accent": "#1f5fbf"}}
    if server_url:
        config = {"serverUrl": server_url, **config}
    # "<" escaped: nothing in the object can close the script element.
    body = json.dumps(config, indent=2).replace("<", "\\u003c")
    inline = f"\n  window.PathfinderWidget = {body};\n"
    src = f"{html.escape(server_url, quote=True)}/widget/{WIDGET_SCRIPT}"
    tag = f'<script src="{src}" defer></script>'
    return inline, tag


def _origin(request: Request) -> str:
    origin = str(request.base_url).rstrip("/")
    return origin if _SAFE_ORIGIN.match(origin) else "https://pathfinder.example.org"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page(request: Request) -> HTMLResponse:
    # Embedded with relative URLs (this page is on the server); shown with absolute ones,
    # which is what a portal on another site pastes.
    inline, tag = snippet("")
    shown_inline, shown_tag = snippet(_origin(request))
    shown = f"<script>{shown_inline}</script>\n{shown_tag}"
    page = (_demo_template()
            .replace("{{SNIPPET_TEXT}}", html.escape(shown))
            .replace("{{SNIPPET}}", f"<script>{inline}</script>\n  {tag}"))
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    csp = (f"default-src 'self'; script-src 'self' 'sha256-{digest}'; style-src 'self'; "
           "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'self'")
    return HTMLResponse(page, headers={"Content-Security-Policy": csp,
                                       "X-Content-Type-Options": "nosniff"})


@router.get("/health", summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok"}


def widget_files() -> StaticFiles:
    """connectors/widget/ at /widget: the script, its stylesheet and the demo's stylesheet."""
    return StaticFiles(directory=WIDGET_DIR)
