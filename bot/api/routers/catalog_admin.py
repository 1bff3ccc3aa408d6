"""``/api/catalog``: institutions import programs (CSV or JSON, all or nothing) and staff
accept or reject the suggested tags.

Staff-only. Until the staff console's login covers these, each call needs the token in
``PATHFINDER_IMPORT_TOKEN`` as ``Authorization: Bearer <token>``; with the variable unset
every call is refused (503), so nothing is open by default."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.api.deps import IndexDep, SessionDep
from bot.api.ids import IdInPath
from bot.api.schemas import Problem
from knowledge import models
from knowledge.catalog_import import MAX_IMPORT_BYTES, ImportRefused, import_programs
from knowledge.settings import IMPORT_TOKEN, web_settings
from knowledge.tagging import AlreadyDecided, UnknownSuggestion, decide, list_suggestions

TOKEN_ENV = IMPORT_TOKEN.name


def require_token(authorization: Annotated[str | None, Header(
        description="Bearer <PATHFINDER_IMPORT_TOKEN>")] = None) -> None:
    expected = web_settings().import_token
    if not expected:
        raise HTTPException(503, f"Catalog administration is off: set {TOKEN_ENV} on the "
                                 "server to enable it.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             expected.encode()):
        raise HTTPException(401, "A valid token is required (Authorization: Bearer …).",
                            headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/api/catalog", tags=["catalog administration"],
                   dependencies=[Depends(require_token)])


class RowErrorOut(BaseModel):
    line: int = Field(description="CSV: the file's physical line (1 = first line). JSON: the "
                      "line where the program's object starts")
    reason: str = Field(description="Every problem of the row; JSON rows also name their "
                        "0-based index as 'program [i]'")
    text: str = Field(description="file:line: reason")


class ImportOut(BaseModel):
    file: str
    ok: bool = Field(description="False: nothing was imported (see errors)")
    added: list[str] = Field(description="Ids of new programs")
    updated: list[str] = Field(description="Ids of programs already in the catalog, updated")
    suggestions: int = Field(description="Pending tag suggestions stored for staff review")
    errors: list[RowErrorOut]


class SuggestionOut(BaseModel):
    id: int
    program_id: str
    kind: Literal["skill", "occupation"]
    code: str = Field(description="Skill code, or NOC 2021 unit group")
    score: float
    source: str = Field(description="spacy (from the title and description) or institution "
                        "(listed in the imported file)")
    evidence: str
    status: Literal["pending", "accepted", "rejected"]
    created_at: dt.datetime
    decided_at: dt.datetime | None


def _suggestion_out(row: models.TagSuggestion) -> SuggestionOut:
    return SuggestionOut.model_validate(row, from_attributes=True)


@router.post(
    "/import", response_model=ImportOut, max_body_size=MAX_IMPORT_BYTES,
    summary="Import programs from a CSV or JSON file (all or nothing)",
    description="The request body is the file itself (Content-Type text/csv or "
    "application/json; the format is the catalog's program format, see the README). "
    "When any row is malformed nothing is imported and the answer is a 422 listing every "
    "bad row with its line. Tags in the file and the suggested ones are stored as pending "
    "suggestions.",
    responses={200: {"description": "Imported"},
               400: {"model": Problem, "description": "The file as a whole is unusable"},
               401: {"model": Problem},
               413: {"description": f"The file is over {MAX_IMPORT_BYTES:,} bytes"},
               415: {"model": Problem},
               422: {"model": ImportOut, "description": "Malformed rows: nothing imported"},
               503: {"model": Problem, "description": "No token configured"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object", "description": "A bare array of "
                             "programs, or an object with a 'programs' array"}}}}})
async def import_file(
    request: Request,
    session: SessionDep,
    index: IndexDep,
    institution: Annotated[str | None, Query(
        max_length=60, description="Refuse rows of any other institution")] = None,
    filename: Annotated[str | None, Query(
        max_length=200, description="File name for the report")] = None,
) -> ImportOut | JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    formats: dict[str, Literal["csv", "json"]] = {
        "text/csv": "csv", "application/csv": "csv", "application/json": "json"}
    if content_type not in formats:
        raise HTTPException(415, "Send the file as text/csv or application/json.")
    body = await request.body()  # at most MAX_IMPORT_BYTES: the route's body limit
    fmt = formats[content_type]
    try:
        report = import_programs(session, body, filename or f"programs.{fmt}", fmt,
                                 institution, index)
    except ImportRefused as exc:
        raise HTTPException(400, str(exc)) from None
    out = ImportOut.model_validate(report.as_dict())
    if not report.ok:
        return JSONResponse(out.model_dump(), status_code=422)
    return out


@router.get("/suggestions", response_model=list[SuggestionOut],
            summary="Tag suggestions to review",
            description="Suggested skill and occupation tags, pending by default.")
def get_suggestions(
    session: SessionDep,
    program_id: Annotated[str | None, Query(max_length=120)] = None,
    status: Literal["pending", "accepted", "rejected"] | None = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[SuggestionOut]:
    return [_suggestion_out(s) for s in list_suggestions(session, program_id, status, limit)]


def _decide(session: SessionDep, suggestion_id: int, accept: bool) -> SuggestionOut:
    try:
        return _suggestion_out(decide(session, suggestion_id, accept))
    except UnknownSuggestion:
        raise HTTPException(404, f"There is no suggestion {suggestion_id}.") from None
    except AlreadyDecided as exc:
        raise HTTPException(409, str(exc)) from None
    except LookupError as exc:
        raise HTTPException(409, f"Cannot accept: {exc}") from None


_DECISION_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such suggestion"},
    409: {"model": Problem, "description": "Already decided, or the program or code is no "
          "longer in the knowledge base"}}


@router.post("/suggestions/{suggestion_id}/accept", response_model=SuggestionOut,
             summary="Accept a suggested tag (it then counts for recommendations)",
             responses=_DECISION_RESPONSES)
def accept_suggestion(session: SessionDep, suggestion_id: IdInPath) -> SuggestionOut:
    return _decide(session, suggestion_id, True)


@router.post("/suggestions/{suggestion_id}/reject", response_model=SuggestionOut,
             summary="Reject a suggested tag", responses=_DECISION_RESPONSES)
def reject_suggestion(session: SessionDep, suggestion_id: IdInPath) -> SuggestionOut:
    return _decide(session, suggestion_id, False)
