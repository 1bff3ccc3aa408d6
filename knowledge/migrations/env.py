"""Alembic environment: runs on the connection knowledge.db.migrate() hands over, or on
PATHFINDER_DATABASE_URL when called from the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from knowledge.models import Base
from knowledge.settings import database_url

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
