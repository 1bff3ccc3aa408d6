"""The web app's client for the Rasa engine: its REST channel and its HTTP API (tracker).

Where Rasa is: ``PATHFINDER_RASA_URL`` (``pathfinder run`` / bot.stack set it for the web
app), else http://127.0.0.1:5005. Rasa stays on the machine's private side: the browser only
ever talks to the web app.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
# Longer than the REST channel's own polite timeout (PATHFINDER_TURN_TIMEOUT_S, 20 s), so the
# learner gets Rasa's "please try again" rather than our 503 when the actions server hangs.
TURN_TIMEOUT_S = 45.0


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error."""


def rasa_url() -> str:
    return os.environ.get("PATHFINDER_RASA_URL", DEFAULT_RASA_URL).rstrip("/")


class RasaClient:
    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or rasa_url()).rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url,
                                       timeout=httpx.Timeout(TURN_TIMEOUT_S, connect=5.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One turn over the REST channel: the bot's messages."""
        body = await self._request("POST", "/webhooks/rest/webhook",
                                   json={"sender": sender, "message": message})
        return [m for m in body if isinstance(m, dict)] if isinstance(body, list) else []

    async def tracker(self, sender: str, events: str = "ALL") -> dict[str, Any]:
        """The conversation's tracker: ``slots`` and, unless events="NONE", ``events``.
        (For an id Rasa has never seen, Rasa stores an empty conversation.)"""
        body = await self._request("GET", f"/conversations/{sender}/tracker",
                                   params={"include_events": events})
        return body if isinstance(body, dict) else {}

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__} from {self.base_url}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered {response.status_code} to {method} {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"Rasa's answer to {method} {path} is not JSON") from exc


def conversation_language(tracker: dict[str, Any]) -> str | None:
    lang = (tracker.get("slots") or {}).get("language")
    return lang if lang in ("en", "fr") else None
