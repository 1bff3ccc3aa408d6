"""A local fake of Telegram's Bot API for the connector's tests: a real HTTP server on a free
port that python-telegram-bot talks to through ``TELEGRAM_API_BASE_URL``.

It implements the methods the connector calls (getMe, getUpdates with long polling,
deleteWebhook, setWebhook, setMyCommands, sendMessage, sendChatAction, answerCallbackQuery,
editMessageReplyMarkup), records every call, lets a test inject updates (messages, button
presses), and fails or stalls chosen methods on demand: an HTTP error (5xx, or 429 with
``retry_after``) or a response held longer than the client waits. A failed or stalled call is
not delivered, as when Telegram's servers are overloaded.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.stack import free_port

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Pathfinder", "username": "pathfinder_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
JSON_FIELDS = {"reply_markup", "link_preview_options", "allowed_updates", "commands",
               "entities", "scope"}
MAX_POLL_WAIT_S = 2.0  # long polls return at least this often (so the bot stops quickly)


@dataclass
class Fault:
    method: str
    times: int
    status: int = 502
    retry_after: int | None = None
    stall_s: float = 0.0      # > 0: hold the response this long, then fail
    after: int = 0            # let this many calls through first


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    failed: bool = False


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token_for-the-fake") -> None:
        self.token = token
        self.calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what a test does ------------------------------------------------------------------

    def inject(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates (all of them in one response if polled together)."""
        with self._cond:
            self._updates.extend(updates)
            self._cond.notify_all()

    def fail(self, method: str, times: int = 1, status: int = 502,
             retry_after: int | None = None, stall_s: float = 0.0, after: int = 0) -> None:
        with self._cond:
            self._faults.append(Fault(method, times, status, retry_after, stall_s, after))

    def message_update(self, chat_id: int, text: str, language_code: str | None = "en",
                       update_id: int | None = None) -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Ana"}
        if language_code:
            user["language_code"] = language_code
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
            "from": user, "text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": update_id or next(self._update_ids), "message": message}

    def sticker_update(self, chat_id: int) -> dict[str, Any]:
        update = self.message_update(chat_id, "")
        del update["message"]["text"]
        update["message"]["sticker"] = {
            "file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "type": "regular"}
        return update

    def button_update(self, chat_id: int, sent: dict[str, Any], data: str,
                      language_code: str = "en") -> dict[str, Any]:
        """The person presses the button with ``data`` on the bot's message ``sent``."""
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._message_ids)), "chat_instance": "ci", "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ana",
                     "language_code": language_code},
            "message": sent["message"]}}

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """sendMessage calls Telegram accepted (to ``chat_id``), in order."""
        with self._cond:
            return [c for c in self.calls if c.method == "sendMessage" and not c.failed
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def calls_to(self, method: str, failed: bool | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method
                    and (failed is None or c.failed == failed)]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for the bot")
                self._cond.wait(min(left, 0.1))

    def wait_replies(self, chat_id: int, after: int, quiet_s: float = 0.6,
                     timeout: float = 30.0) -> list[Call]:
        """Messages sent to ``chat_id`` beyond the first ``after``, once at least one came and
        none for ``quiet_s`` (a turn's messages go out back to back)."""
        self.wait_for(lambda: len(self.sent(chat_id)) > after, timeout)
        count = len(self.sent(chat_id))
        while True:
            time.sleep(quiet_s)
            now = len(self.sent(chat_id))
            if now == count:
                return self.sent(chat_id)[after:]
            count = now

    # --- the server ------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = fake._handle(self.path, self.headers.get("Content-Type", ""),
                                               body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a stalled response)

            do_GET = do_POST  # noqa: N815

        return Handler

    def _parse(self, content_type: str, body: bytes) -> dict[str, Any]:
        if "json" in content_type:
            parsed = json.loads(body or b"{}")
            return parsed if isinstance(parsed, dict) else {}
        params: dict[str, Any] = {}
        for key, value in parse_qsl(body.decode(), keep_blank_values=True):
            if key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in ("chat_id", "offset", "limit", "timeout", "message_id"):
                params[key] = int(value)
            else:
                params[key] = value
        return params

    def _handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].split("?")[0]
        params = self._parse(content_type, body)
        call = Call(method, params)
        with self._cond:
            fault = self._take_fault(method)
            self.calls.append(call)
            call.failed = fault is not None
            self._cond.notify_all()
        if fault is not None:
            if fault.stall_s:
                time.sleep(fault.stall_s)
            error: dict[str, Any] = {"ok": False, "error_code": fault.status,
                                     "description": f"Fake failure ({fault.status})"}
            if fault.retry_after is not None:
                error["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, error
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": handler(params)}

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.after > 0:
                fault.after -= 1
                return None
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    # --- Bot API methods -------------------------------------------------------------------

    def _api_getMe(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return BOT_USER

    def _api_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), MAX_POLL_WAIT_S)
        deadline = time.monotonic() + wait
        with self._cond:
            # An offset confirms every update before it (Telegram forgets them).
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates)

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_setWebhook(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_setMyCommands(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_sendChatAction(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_answerCallbackQuery(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = int(params["chat_id"])
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
                   "from": BOT_USER, "text": params.get("text", "")}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        params["message"] = message   # what the test presses buttons on
        return message
