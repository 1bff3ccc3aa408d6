"""The conversation itself: which language to speak, and starting over."""

from __future__ import annotations

import re

from rasa_sdk.events import AllSlotsReset, EventType, SlotSet

from actions.context import (
    Lang,
    PathfinderAction,
    Turn,
    is_button_payload,
    latest_text,
    payload_entities,
)
from knowledge.language import as_lang

# Names of a language in a request to switch ("in French please", "en anglais svp",
# "parlez-vous français?"). Accents optional: people type "francais".
_FRENCH = re.compile(r"\b(french|fran[cç]ais|fr)\b", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(english|anglais|eng)\b", re.IGNORECASE)


def requested_language(text: str) -> Lang | None:
    """The language a message asks for, when it names exactly one."""
    wants_fr = bool(_FRENCH.search(text))
    wants_en = bool(_ENGLISH.search(text))
    if wants_fr == wants_en:
        return None
    return "fr" if wants_fr else "en"


class ActionSetLanguage(PathfinderAction):
    """Sets `language`. The detector's entity says which language the request was *written*
    in ("in French please" is English), so the language it names comes first."""

    def name(self) -> str:
        return "action_set_language"

    def act(self, turn: Turn) -> list[EventType]:
        text = latest_text(turn.tracker)
        chosen: Lang | None = None
        if is_button_payload(text):
            chosen = as_lang(payload_entities(text).get("language"), None)
        else:
            chosen = requested_language(text)
        if chosen is None:
            # "Can we switch?" names no language: switch to the other one.
            current = turn.tracker.get_slot("language")
            chosen = "en" if current == "fr" else "fr"
        return [SlotSet("language", chosen)]


class ActionStartOver(PathfinderAction):
    """Forgets the job, goal, constraints and results; keeps the language."""

    def name(self) -> str:
        return "action_start_over"

    def act(self, turn: Turn) -> list[EventType]:
        return [AllSlotsReset(), SlotSet("language", turn.lang)]
