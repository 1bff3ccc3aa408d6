"""The Pathfinder web app: the knowledge API, the web widget (``/widget/``, its channel
``/api/conversations/…`` and program links ``/go/…``) and the widget's demo page (``/``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from bot.api import access_log
from bot.api.rate_limit import RateLimiter
from bot.api.request_bodies import JsonBodyGuard
from bot.api.routers import (
    catalog_admin,
    conversations,
    datasets,
    employers,
    inquiries,
    occupations,
    programs,
    referrals,
    widget,
)
from bot.api.shared_limits import SharedLimits
from bot.api.validation_errors import validation_failed
from bot.console import router as console_router
from bot.console.routes import FAILURES_BEFORE_WAIT, FIRST_WAIT_S, LONGEST_WAIT_S
from connectors.rasa_client import RasaClient
from knowledge.db import make_engine, migrate, session_factory
from knowledge.resolver import index_from_database
from knowledge.settings import WebSettings, web_settings


def share_limits(app: FastAPI, settings: WebSettings) -> SharedLimits | None:
    """With PATHFINDER_REDIS_URL, the limiters the routers look for in ``app.state`` count in
    Redis, shared by every replica (bot/api/shared_limits.py, which says what happens while
    Redis does not answer); without it, the routers make in-memory ones on first use."""
    if settings.redis_url is None:
        return None
    # Every replica has the same key: the pseudonyms' (the same in every process), else the
    # engine's token (every relay of one engine has it).
    digest_key = settings.secret_key or settings.rasa_token.encode("utf-8")
    limits = SharedLimits.connect(settings.redis_url, digest_key)
    app.state.inquiry_limiter = limits.rate_limiter(
        "inquiries", *settings.inquiry_rate,
        when_down=RateLimiter(*settings.inquiry_rate))  # counted in this process meanwhile
    app.state.console_failed_logins = limits.rate_limiter(
        "login-failures", *settings.login_failure_rate, when_down=None)  # refused meanwhile
    app.state.console_login_waits = limits.failure_backoff(
        "login-waits", FAILURES_BEFORE_WAIT, FIRST_WAIT_S, LONGEST_WAIT_S)
    return limits


def create_app(database_url: str | None = None, rasa_url: str | None = None) -> FastAPI:
    """The app; ``database_url`` and ``rasa_url`` override the settings (tests)."""
    # Every setting of the web app, checked now: a malformed one (a key too short to keep
    # pseudonyms secret, a rate that is no COUNT/SECONDS...) stops the start, naming it.
    settings = web_settings()
    database_url = database_url or settings.database_url
    access_log.install()  # no conversation id in uvicorn's access log (bot/api/access_log.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        # Tables added after the last `load-data` (referrals) exist before the first click.
        migrate(engine)
        app.state.sessions = session_factory(engine)
        # Built once: every request reuses the index. Per process, from the knowledge base
        # at start: replicas started on the same one agree; after `load-data`, restart every
        # replica (as a single process must be restarted to see it).
        app.state.title_index = index_from_database(database_url)
        # A connection pool, no state of a conversation: safe per process.
        app.state.rasa = RasaClient(rasa_url or settings.rasa_url, settings.rasa_token)
        yield
        await app.state.rasa.aclose()
        if limits is not None:
            limits.close()
        engine.dispose()

    app = FastAPI(
        title="Pathfinder knowledge API",
        version="0.1.0",
        description="NOC 2021 occupations, Job Bank wages, COPS outlooks and OaSIS skills, "
        "from Canadian open data (Open Government Licence – Canada; Statistics Canada Open "
        "Licence). The program catalog is SAMPLE data. Also the web widget's channel "
        "(conversations) and the program links that record referrals.",
        lifespan=lifespan,
        # Routes that take uploads have their own, larger limit (bot/api/request_bodies.py).
        max_body_size=settings.max_body_bytes,
    )
    # Set before the first request: the routers use what app.state holds.
    limits = share_limits(app, settings)
    app.add_middleware(JsonBodyGuard)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.include_router(occupations.router)
    app.include_router(datasets.router)
    app.include_router(conversations.router)
    app.include_router(referrals.router)
    app.include_router(widget.router)
    # employers and institutions: search page and API, inquiries, catalog import and tags
    app.include_router(employers.router)
    app.include_router(programs.router)
    app.include_router(inquiries.router)
    app.include_router(catalog_admin.router)
    app.include_router(console_router)  # the staff console, /console (login required)
    app.mount("/widget", widget.widget_files(), name="widget")
    return app
