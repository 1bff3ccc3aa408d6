"""``/go/{program_id}``: the program links of every channel. Records the click (the referral
metric, knowledge.referrals) and redirects to the program's page as the catalog has it.

The target is looked up by program id, never taken from the request: no open redirect. The
conversation comes as its pseudonym (``ref``); the ``conversation=`` parameter of older links,
which carried the conversation id itself, is ignored, so that id is never stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import RedirectResponse

from bot.api.deps import SessionDep
from knowledge.referrals import REF_PATTERN, Channel, UnknownProgram, record_click

router = APIRouter(tags=["referrals"])


@router.get(
    "/go/{program_id:path}", status_code=302, response_class=RedirectResponse,
    summary="Follow a program link (records the click, then redirects)",
    responses={302: {"description": "Redirect to the program's page (the catalog's URL)"},
               404: {"description": "No such program in the catalog"}})
def follow_program_link(
    program_id: str,
    session: SessionDep,
    channel: Annotated[Channel, Query(description="Where the link was shown")],
    ref: Annotated[str | None, Query(
        pattern=REF_PATTERN,
        description="The conversation's pseudonym (32 hex digits, HMAC of its id), as the "
        "widget's replies and Telegram's links give it; never the conversation id")] = None,
) -> RedirectResponse:
    try:
        url = record_click(session, program_id, channel, ref)
    except UnknownProgram:
        raise HTTPException(404, f"There is no program {program_id!r} in the catalog: the "
                                 "link may come from an older catalog.") from None
    # no-store: every click reaches us; no-referrer: the institution's site does not see
    # this link (its ref) in the Referer header.
    return RedirectResponse(url, status_code=302, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
