"""A local HTTP server for tests' stand-ins (Rasa's REST channel and the like): it listens on
a free port of 127.0.0.1 and serves in a daemon thread while its ``with`` block runs. Each
stand-in gives it a handler class; the helpers read and send the JSON bodies they exchange."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Mapping
from typing import Any, Self


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that does not log each request to stderr."""

    def log_message(self, *args: Any) -> None:
        pass


def read_json(handler: http.server.BaseHTTPRequestHandler) -> Any:
    """The request's JSON body (None when it has none)."""
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    return json.loads(raw or b"null")


def send_json(handler: http.server.BaseHTTPRequestHandler, payload: Any,
              headers: Mapping[str, str] | None = None) -> None:
    """Answer 200 with ``payload`` as JSON, and any extra ``headers``."""
    body = json.dumps(payload).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LocalHTTPServer:
    """``handler`` served on 127.0.0.1 at a free port (or ``port``), at ``url``, inside a
    ``with`` block."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
