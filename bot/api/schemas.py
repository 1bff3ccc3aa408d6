"""Pydantic schemas of the knowledge API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.message_ids import MESSAGE_ID_PATTERN
from knowledge.language import Lang


class CandidateOut(BaseModel):
    noc: str = Field(description="NOC 2021 unit group code", examples=["33102"])
    title: str = Field(description="Unit group title in the answer language")
    score: float = Field(ge=0, le=100, description="Match strength, 0-100")
    matched_title: str = Field(description="The example title that matched, as published")


class ResolutionOut(BaseModel):
    query: str
    lang: Lang
    status: Literal["clear", "ambiguous", "none"] = Field(
        description="clear: one occupation; ambiguous: ask the user to choose; none: no match")
    candidates: list[CandidateOut]


class WageOut(BaseModel):
    low: float | None
    median: float | None
    high: float | None
    unit: Literal["hour"]
    region_code: str
    region_name: str
    year: int
    source: str
    is_fallback: bool = Field(description="True when the requested region had no figure")


class OutlookOut(BaseModel):
    rating: str = Field(description="shortage_strong | shortage_moderate | balance | "
                        "surplus_moderate | surplus_strong")
    label_en: str
    label_fr: str
    period: str
    region_code: str
    region_name: str
    source: str
    employment: int | None
    job_openings: int | None
    job_seekers: int | None


class SkillNeedOut(BaseModel):
    code: str
    name_en: str
    kind: str
    level: int


class OccupationOut(BaseModel):
    noc: str
    title_en: str
    title_fr: str
    teer: int = Field(description="Training, Education, Experience and Responsibilities, 0-5")
    definition_en: str
    definition_fr: str
    wage: WageOut | None
    outlook: OutlookOut | None
    skills: list[SkillNeedOut]
    example_titles_en: list[str]
    example_titles_fr: list[str]


class DatasetOut(BaseModel):
    key: str
    title: str
    publisher: str
    reference_period: str
    licence: str
    origin: str
    is_sample: bool = Field(description="True for generated sample data (the program catalog)")
    rows_loaded: int


class Problem(BaseModel):
    detail: str


# --- conversations (the web widget's channel) --------------------------------------------

class ButtonOut(BaseModel):
    title: str = Field(description="What the button says")
    payload: str = Field(description="What is sent as the learner's message when pressed, "
                         'e.g. /choose_occupation{"noc":"33102"}')


class BotMessageOut(BaseModel):
    text: str | None = Field(default=None, description="Plain text (never HTML)")
    buttons: list[ButtonOut] | None = None
    custom: dict[str, Any] | None = Field(
        default=None, description="Machine-readable data, e.g. the recommendations payload "
        '({"type": "recommendations", …}, see the README)')


class MessageIn(BaseModel):
    message: str = Field(max_length=20_000, description=(
        "What the learner typed, or a button's payload. Rasa refuses messages over 5,000 "
        "characters with a polite answer; over 20,000 is a 422."))
    message_id: str | None = Field(
        default=None, pattern=MESSAGE_ID_PATTERN, description=(
            "The client's id for this message (1-128 letters, digits and . _ : -; the widget "
            "sends 32 hex digits): sent again with the same id, in the same conversation, the "
            "message is stored once and answered as it was the first time. Without one, the "
            "server gives the message an id of its own."),
        examples=["5f0c2a9e7b1d4e3fa6c8b2d0e9f71a34"])


REF_DESCRIPTION = (
    "The conversation's pseudonym for program links (`/go/{program}?channel=web&ref=…`): 32 "
    "hex digits derived from the conversation id with the server's secret key, so links "
    "never carry the id itself. Left out when the server has no key (PATHFINDER_SECRET_KEY)")


class ReplyOut(BaseModel):
    lang: Lang | None = Field(
        description="The conversation's language after this turn (the widget's interface "
        "follows it); null before it is known")
    ref: str | None = Field(default=None, description=REF_DESCRIPTION)
    messages: list[BotMessageOut]


class HistoryMessageOut(BotMessageOut):
    sender: Literal["user", "bot"] = Field(description="Who said it")
    time: float | None = Field(default=None, description="Unix time")


class HistoryOut(BaseModel):
    lang: Lang | None
    ref: str | None = Field(default=None, description=REF_DESCRIPTION)
    messages: list[HistoryMessageOut] = Field(
        description="The conversation so far, oldest first. A button press shows as the "
        "button's title, a language switch as the language's name; other commands are left out")
