"""``/go/{program_id}``: the program links of every channel. Records the click (the referral
metric, knowledge.referrals) and redirects to the program's page as the catalog has it.

The target is looked up by program id, never taken from the request: no open redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import RedirectResponse

from bot.api.deps import SessionDep
from knowledge.referrals import MAX_CONVERSATION_CHARS, Channel, UnknownProgram, record_click

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
    conversation: Annotated[str | None, Query(
        max_length=MAX_CONVERSATION_CHARS,
        description="The conversation (Rasa sender id) the link was shown in")] = None,
) -> RedirectResponse:
    try:
        url = record_click(session, program_id, channel, conversation)
    except UnknownProgram:
        raise HTTPException(404, f"There is no program {program_id!r} in the catalog: the "
                                 "link may come from an older catalog.") from None
    # no-store: every click reaches us; no-referrer: the conversation id in this URL stays here.
    return RedirectResponse(url, status_code=302, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
