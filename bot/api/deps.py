"""Request dependencies: a database session per request, the resolver index built at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_index(request: Request) -> Any:
    return request.app.state.title_index


SessionDep = Annotated[Session, Depends(get_session)]
IndexDep = Annotated[Any, Depends(get_index)]
