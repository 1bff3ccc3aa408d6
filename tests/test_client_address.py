"""Who the per-address limits count (bot/api/client_address.py), seen through the inquiry
limit: the real web app via TestClient, and the web app as `pathfinder run` starts it. Real
SQLite copy of the test knowledge base."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.api.rate_limit import RateLimiter
from knowledge import models
from tests.conftest import Stacks


def inquiry(program: models.Program) -> dict[str, Any]:
    return {"program_id": program.id, "name": "Bo", "email": "bo@example.org",
            "question": "Is there an evening section?"}


def test_an_ipv6_client_is_counted_by_its_64(
        client: TestClient, program: models.Program, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever has an IPv6 address has the whole /64 around it (a subscriber's smallest
    share): counted per address, each of its 2**64 addresses would be a fresh limit."""
    app = client.app
    assert isinstance(app, FastAPI)
    monkeypatch.setattr(app.state, "inquiry_limiter", RateLimiter(1, 600), raising=False)

    def send(address: str) -> int:
        # Shares the module's lifespan: no `with`.
        browser = TestClient(app, client=(address, 50000))
        return browser.post("/api/inquiries", json=inquiry(program)).status_code

    assert [send("2001:db8:1:2::1"), send("2001:db8:1:2:ffff:ffff:ffff:fffe")] == [201, 429]
    assert send("2001:db8:1:3::1") == 201  # the next /64 is someone else
    # IPv4 addresses, and IPv4 clients of a dual-stack socket, count one by one.
    assert [send("198.51.100.20"), send("198.51.100.21")] == [201, 201]
    assert send("::ffff:198.51.100.20") == 429


def test_the_web_app_of_pathfinder_run_ignores_forwarded_for_from_localhost(
        kb_url: str, program: models.Program, stacks: Stacks,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn, by default, takes the address in X-Forwarded-For of a request from 127.0.0.1
    as the client's: anyone on the machine, or a proxy passing the header on, would get a
    fresh limit per request. `pathfinder run` leaves the address to PATHFINDER_TRUSTED_PROXIES
    (none here), so both requests are 127.0.0.1's."""
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "1/600")  # the Stack copies the environment
    monkeypatch.delenv("PATHFINDER_TRUSTED_PROXIES", raising=False)
    with stacks.own("web", database_url=kb_url) as stack:  # the web app alone
        codes = [httpx.post(f"{stack.web_url}/api/inquiries", json=inquiry(program),
                            headers={"X-Forwarded-For": forwarded_for}, timeout=30).status_code
                 for forwarded_for in ("198.51.100.1", "198.51.100.2")]
    assert codes == [201, 429]
