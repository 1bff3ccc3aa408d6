"""Talking to the Rasa engine over its REST channel (``/webhooks/rest/webhook``)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# Longer than the REST channel's own turn timeout (PATHFINDER_TURN_TIMEOUT_S, 20 s), which
# answers politely by itself: this one only catches an engine that hangs altogether.
DEFAULT_TIMEOUT_S = 60.0


class RasaUnavailable(RuntimeError):
    """The engine did not answer (down, hanging, or an unusable reply)."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One turn: Rasa's messages for it, in order."""
        try:
            response = await self._http.post(f"{self.base_url}/webhooks/rest/webhook",
                                              json={"sender": sender, "message": message})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("Rasa did not answer for %s: %r", sender, exc)
            raise RasaUnavailable(str(exc)) from exc
        if not isinstance(body, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {type(body).__name__}")
        return [m for m in body if isinstance(m, dict)]

    async def language(self, sender: str) -> str | None:
        """The conversation's ``language`` slot, from Rasa's HTTP API (None if unknown)."""
        try:
            response = await self._http.get(
                f"{self.base_url}/conversations/{sender}/tracker",
                params={"include_events": "NONE"})
            response.raise_for_status()
            value = response.json().get("slots", {}).get("language")
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    async def close(self) -> None:
        await self._http.aclose()
