"""What request bodies the web app takes, for every route at once.

Size: at most PATHFINDER_MAX_BODY_BYTES (64 KiB) by default, a 413 beyond it. FastAPI's own
limit enforces it (``FastAPI(max_body_size=...)``): it refuses a Content-Length over the limit
before reading a byte, counts the bytes of a chunked body as they come and stops at the limit;
a route that takes uploads declares its own, larger ``max_body_size`` (the catalog import).

JSON: a body sent as JSON that bot.engine.json_bodies refuses (too deep, a lone surrogate; the
same rule as the engine's REST channel) gets a 400 and the reason, before any route reads it."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.engine.json_bodies import json_problem
from knowledge.settings import DEFAULT_MAX_BODY_BYTES

# Bodies up to the usual limit are checked in place (64 KiB: about 1 ms).
INLINE_CHECK_BYTES = DEFAULT_MAX_BODY_BYTES


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
                    # A 3.6 MB import takes ~80 ms to check: in the thread pool, before any
                    # route has checked who sent it, not on the loop every request shares.
                    problem = (json_problem(bytes(body)) if len(body) <= INLINE_CHECK_BYTES
                               else await run_in_threadpool(json_problem, bytes(body)))
                    if problem:
                        # Raised where the route reads the body: its exception handling
                        # answers, as for any refused request.
                        raise HTTPException(400, problem)
            return message

        await self.app(scope, checked_receive, send)
