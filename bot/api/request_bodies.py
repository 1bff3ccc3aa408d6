"""What request bodies the web app takes, for every route at once.

Size: at most PATHFINDER_MAX_BODY_BYTES (64 KiB) by default, a 413 beyond it. FastAPI's own
limit enforces it (``FastAPI(max_body_size=...)``): it refuses a Content-Length over the limit
before reading a byte, counts the bytes of a chunked body as they come and stops at the limit;
a route that takes uploads declares its own, larger ``max_body_size`` (the catalog import).

JSON: a body sent as JSON that is nested more than MAX_JSON_DEPTH deep, or that holds a lone
surrogate (``"\\ud800"``: valid JSON syntax but no Unicode text, which neither UTF-8 nor the
database can store), is refused with a 400 and the reason, before any route reads it. Python's
parser fails only near its recursion limit, and what a route does with a deep value (encode it,
echo it in an error) can fail before that; a lone surrogate fails wherever the text is encoded."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # our bodies nest 4 deep at most (a catalog import's skills)
_SURROGATE = re.compile("[\ud800-\udfff]")
# A body without such an escape cannot hold a surrogate (raw ones are not UTF-8).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def max_body_bytes() -> int:
    """PATHFINDER_MAX_BODY_BYTES, a request body's limit in bytes; a malformed or negative
    value falls back to the default."""
    try:
        limit = int(os.environ.get("PATHFINDER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES
    return limit if limit >= 0 else DEFAULT_MAX_BODY_BYTES


def json_problem(body: bytes) -> str | None:
    """Why this JSON body is refused, or None. Malformed JSON is left to the route, which
    says where it breaks (422)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
    except ValueError:
        return None
    check_text = _SURROGATE_ESCAPE.search(body) is not None
    # Walked with a stack, not recursion: the value may be nested hundreds deep.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                stack.append((child, depth + 1))
                if check_text and key is not None:
                    stack.append((key, depth + 1))
        elif check_text and isinstance(item, str) and _SURROGATE.search(item):
            return ("The JSON body has a lone surrogate escape (such as \\ud800), which is "
                    "not text: send UTF-8 text.")
    return None


def _is_json(scope: Scope) -> bool:
    # The content types FastAPI parses as JSON.
    media_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json"))


class JsonBodyGuard:
    """ASGI middleware: checks a JSON body (json_problem) once its last byte is read and
    answers 400 instead of handing it on. The body passes through as it comes; the copy kept
    to check it is no larger than the body limit lets it grow."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body = bytearray()

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False) and body:
                    problem = json_problem(bytes(body))
                    if problem:
                        # Raised where the route reads the body: its exception handling
                        # answers, as for any refused request.
                        raise HTTPException(400, problem)
            return message

        await self.app(scope, checked_receive, send)
