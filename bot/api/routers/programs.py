"""``GET /api/programs?skill=…``: programs by skill for employers and institutions, with each
institution's contact (knowledge.employer_search). The catalog is SAMPLE data today."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from bot.api.deps import SessionDep
from bot.api.schemas import Problem
from knowledge.employer_search import (
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    ProgramCard,
    catalog_is_sample,
    search_programs,
)
from knowledge.language import Lang

router = APIRouter(prefix="/api/programs", tags=["employers"])


class SkillOut(BaseModel):
    code: str = Field(description="Skill code of the catalog's vocabulary")
    name: str = Field(description="Skill name in the answer language")
    score: float = Field(ge=0, le=1, description="How well the query names it")


class ContactOut(BaseModel):
    institution_id: str
    name: str = Field(description="Institution name in the answer language")
    city: str
    website: str = Field(description="The institution's homepage (the contact when there is "
                         "no e-mail address)")
    email: str | None = Field(description="Contact address from the catalog; null when the "
                              "catalog has none (always, in the sample)")
    is_sample: bool = Field(description="True when the record comes from the SAMPLE catalog")
    note: str = Field(description="How to get in touch, in the answer language")


class ProgramOut(BaseModel):
    id: str
    title: str
    url: str
    cost: float
    currency: str
    hours: float
    weeks: float | None
    delivery: str = Field(description="online, in_person or hybrid")
    language: str = Field(description="en, fr or bilingual: the language of instruction")
    skills: list[str] = Field(description="Skill names, the searched ones first")
    contact: ContactOut
    inquiry_url: str = Field(description="Page with the 'ask the institution' form")
    is_sample: bool


class ProgramSearchOut(BaseModel):
    query: str
    lang: Lang
    skills: list[SkillOut] = Field(description="The skills the query was read as, best first; "
                                   "empty when it names none (then programs is empty too)")
    programs: list[ProgramOut]
    is_sample: bool = Field(description="True while the catalog is SAMPLE data")


def program_out(card: ProgramCard) -> ProgramOut:
    """The card as the API shows it: the same fields, and the page to ask the institution."""
    return ProgramOut.model_validate(
        {**asdict(card), "inquiry_url": f"/employers/programs/{card.id}"})


@router.get("", response_model=ProgramSearchOut, summary="Programs that teach a skill",
            description="Reads the skill words in English or French (names, synonyms, "
            "abbreviations, typos: 'CNC', 'soudure', 'Excel') and lists the programs "
            "teaching them, those teaching more of them first, with the institution's "
            "contact. The catalog is SAMPLE data.",
            responses={400: {"model": Problem, "description": "The query has no words"}})
def search(
    session: SessionDep,
    skill: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                                description="Skill words, EN or FR")],
    lang: Annotated[Lang, Query(description="Answer language")] = "en",
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 20,
) -> ProgramSearchOut:
    if not any(ch.isalnum() for ch in skill):
        raise HTTPException(400, "The skill query has no letters or digits: type a skill, "
                                 "e.g. 'welding' or 'Excel'.")
    found = search_programs(session, skill, lang, limit)
    programs = [program_out(card) for card in found.programs]
    return ProgramSearchOut(
        query=found.query, lang=lang,
        skills=[SkillOut(code=s.id, name=s.name, score=min(1.0, s.score)) for s in found.skills],
        programs=programs, is_sample=catalog_is_sample(session))
