"""``POST /api/inquiries``: "ask the institution" as JSON (the employer page's form posts to
``/employers/programs/{id}/inquiry``). Both are rate-limited per client IP.

No CSRF token here: the body must be ``application/json``, which a page on another site cannot
send without a CORS preflight this app never grants; the HTML form has its own token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from bot.api.client_address import limit_key
from bot.api.deps import SessionDep
from bot.api.rate_limit import RateLimiter
from bot.api.schemas import Problem
from knowledge.inquiries import (
    MAX_EMAIL_CHARS,
    MAX_NAME_CHARS,
    MAX_QUESTION_CHARS,
    InvalidInquiry,
    UnknownProgram,
    create_inquiry,
)
from knowledge.settings import web_settings

router = APIRouter(prefix="/api/inquiries", tags=["inquiries"])


def inquiry_limiter(request: Request) -> RateLimiter:
    """The app's limiter, made on first use (PATHFINDER_INQUIRY_RATE, e.g. ``5/600``)."""
    state = request.app.state
    limiter = getattr(state, "inquiry_limiter", None)
    if limiter is None:
        limiter = RateLimiter(*web_settings().inquiry_rate)
        state.inquiry_limiter = limiter
    return limiter


def check_rate(request: Request) -> None:
    if not inquiry_limiter(request).allow(limit_key(request)):
        raise HTTPException(429, "Too many inquiries from your address: please wait a few "
                                 "minutes before sending another.")


class InquiryIn(BaseModel):
    program_id: str = Field(min_length=1, max_length=120, description="The program asked about")
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="Who is asking")
    email: str = Field(min_length=3, max_length=MAX_EMAIL_CHARS,
                       description="Where the institution sends the answer")
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                          description="The question, plain text")


class InquiryOut(BaseModel):
    id: int
    program_id: str
    institution_id: str = Field(description="The institution the question is stored for")
    created_at: dt.datetime = Field(description="UTC")


@router.post("", status_code=201, response_model=InquiryOut,
             summary="Ask a program's institution a question",
             description="Stores the question (name, e-mail, question) for the program's "
             "institution; counted in analytics. Rate-limited per client IP (429).",
             responses={400: {"model": Problem, "description": "A field is malformed"},
                        404: {"model": Problem, "description": "No such program"},
                        415: {"model": Problem, "description": "Not a JSON body"},
                        429: {"model": Problem, "description": "Too many inquiries"}})
def post_inquiry(
    body: InquiryIn,
    session: SessionDep,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    _rate: Annotated[None, Depends(check_rate)] = None,
) -> InquiryOut:
    if not (content_type or "").lower().startswith("application/json"):
        raise HTTPException(415, "Send the inquiry as application/json.")
    try:
        inquiry = create_inquiry(session, body.program_id, body.name, body.email,
                                 body.question, source="api")
    except InvalidInquiry as exc:
        raise HTTPException(400, str(exc)) from None
    except UnknownProgram:
        raise HTTPException(404, f"There is no program {body.program_id!r} in the "
                                 "catalog.") from None
    return InquiryOut(id=inquiry.id, program_id=inquiry.program_id,
                      institution_id=inquiry.institution_id, created_at=inquiry.created_at)
