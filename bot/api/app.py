"""The Pathfinder web app: the knowledge API and the chat page (``/``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.api.routers import chat, datasets, occupations
from knowledge.db import make_engine, session_factory
from knowledge.resolver import index_from_database


def create_app(database_url: str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        app.state.sessions = session_factory(engine)
        # Built once: every request reuses the index.
        app.state.title_index = index_from_database(database_url)
        yield
        engine.dispose()

    app = FastAPI(
        title="Pathfinder knowledge API",
        version="0.1.0",
        description="NOC 2021 occupations, Job Bank wages, COPS outlooks and OaSIS skills, "
        "from Canadian open data (Open Government Licence – Canada; Statistics Canada Open "
        "Licence). The program catalog is SAMPLE data.",
        lifespan=lifespan,
    )
    app.include_router(occupations.router)
    app.include_router(datasets.router)
    app.include_router(chat.router)
    app.mount("/static", chat.static_files(), name="static")
    return app
