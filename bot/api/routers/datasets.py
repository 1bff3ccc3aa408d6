"""Datasets: where every figure comes from, its licence, period, and whether it is a sample."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from bot.api.deps import SessionDep
from bot.api.schemas import DatasetOut
from knowledge import models

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.get("", response_model=list[DatasetOut], summary="Loaded data sources")
def list_datasets(session: SessionDep) -> list[DatasetOut]:
    rows = session.scalars(select(models.Dataset).order_by(models.Dataset.key))
    return [DatasetOut.model_validate(row, from_attributes=True) for row in rows]
