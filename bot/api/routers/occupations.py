"""Occupations: resolve a typed job title, and read one occupation's profile."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from bot.api.deps import IndexDep, SessionDep
from bot.api.schemas import OccupationOut, Problem, ResolutionOut
from knowledge.language import Lang
from knowledge.occupations import occupation_profile
from knowledge.resolver import resolve_title

router = APIRouter(prefix="/occupations", tags=["occupations"])


@router.get("/resolve", response_model=ResolutionOut, summary="Resolve a job title",
            description="Ranked NOC 2021 candidates for what a person typed (EN or FR). "
            "Input longer than 500 characters is refused.")
def resolve(
    index: IndexDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="The job title")],
    lang: Annotated[Lang | None, Query()] = None,
    top: Annotated[int, Query(ge=1, le=20)] = 5,
) -> ResolutionOut:
    resolution = resolve_title(q, lang, top, index=index)
    return ResolutionOut.model_validate(asdict(resolution))


@router.get("/{noc}", response_model=OccupationOut, summary="One occupation's profile",
            responses={404: {"model": Problem}},
            description="Titles (EN/FR), TEER, hourly wages for the region (falling back to "
            "Ontario, then Canada), the national COPS outlook and the most needed skills.")
def get_occupation(
    session: SessionDep,
    noc: Annotated[str, Path(pattern=r"^\d{5}$", description="NOC 2021 unit group code")],
    region: Annotated[str, Query(pattern=r"^ER\d{2,4}$", description="Job Bank economic "
                                 "region (ER35 Ontario, ER3530 Toronto, ...)")] = "ER35",
) -> OccupationOut:
    profile = occupation_profile(session, noc, region)
    if profile is None:
        raise HTTPException(404, f"{noc} is not a NOC 2021 unit group")
    data = asdict(profile)
    if profile.wage is not None:
        data["wage"]["is_fallback"] = profile.wage.is_fallback
    return OccupationOut.model_validate(data)
