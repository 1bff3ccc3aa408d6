"""Redaction of personal identifiers in conversation text: email addresses, North American
phone numbers, Canadian social insurance numbers (SIN), Canadian postal codes and payment
card numbers are replaced by a bracketed label ("[email]", "[phone]", ...).

Used twice, on purpose: by the engine's tracker store before a turn is written
(bot/engine/tracker_store.py; the live turn has already used the original text, and from the
next turn on Rasa reads the redacted events back, slot values included), and by the
staff console before anything is shown or exported (conversations stored before redaction
existed, or by another tracker store). So this module imports only the standard library and
runs on the engine's Python 3.10 as well as the app's 3.11.

Budgets ("under $800"), durations, years and NOC codes (5 digits) are left alone: every
numeric pattern needs the shape of the identifier (10 digits for a phone, 9 for a SIN,
13-19 passing the Luhn check for a card).
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = "[email]"
PHONE = "[phone]"
SIN = "[SIN]"
POSTAL_CODE = "[postal code]"
CARD = "[card number]"

# Bounded as RFC 5321 bounds them (local part 64, labels 63): an unbounded local part made
# a 60,000-character text without "@" cost the square of its length (4 s).
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
# Payment cards: 13-19 digits, optionally in groups of 4 separated by spaces or dashes.
_CARD_RE = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])")
# NANP: optional +1 / 1, area code (optionally in parentheses), exchange, line; separators
# are spaces, dots or dashes. The area code and exchange start with 2-9.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[\s.-]?[2-9]\d{2}[\s.-]?\d{4}"
    r"(?:\s*(?:x|ext\.?|poste)\s*\d{1,5})?(?!\d)", re.IGNORECASE)
# SIN: 9 digits, as 3-3-3 groups or run together.
_SIN_RE = re.compile(r"(?<![\d.])\d{3}[ -]?\d{3}[ -]?\d{3}(?![\d.])")
# Postal codes: letter digit letter, optional space, digit letter digit (no D F I O Q U, and
# no W or Z first).
_POSTAL_RE = re.compile(
    r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ -]?\d[ABCEGHJ-NPRSTV-Z]\d\b", re.IGNORECASE)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return CARD if _luhn_valid(digits) else match.group()


def redact(text: str) -> str:
    """The text with personal identifiers replaced by labels. Idempotent."""
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _CARD_RE.sub(_card, text)
    text = _PHONE_RE.sub(PHONE, text)
    text = _SIN_RE.sub(SIN, text)
    return _POSTAL_RE.sub(POSTAL_CODE, text)


# Slots the bot fills with catalog ids it chose itself, never with what a learner typed: a
# program id such as "seneca-ai-100234567" has a digit run shaped like a SIN, and a redacted
# id no longer names the program the next turn must leave out.
UNREDACTED_SLOTS = frozenset({"last_program_ids"})


def redact_value(value: Any) -> Any:
    """A JSON value with every string in it redacted (lists and dicts recursively; keys are
    kept: they are names, not what someone typed). Numbers, booleans and None are kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value


# Rasa adds the model's id (uuid4 hex) to every event's metadata: 32 hex digits can hold a
# digit run shaped like a SIN or a card, which must not be mangled.
_MODEL_ID_KEY = "model_id"
_MODEL_ID_RE = re.compile(r"[0-9a-f]{32}")


def _redact_metadata(metadata: Any) -> Any:
    if not isinstance(metadata, dict):
        return redact_value(metadata)
    return {key: value if key == _MODEL_ID_KEY and isinstance(value, str)
            and _MODEL_ID_RE.fullmatch(value) else redact_value(value)
            for key, value in metadata.items()}


def _redact_entities(entities: Any) -> None:
    if not isinstance(entities, list):
        return
    for entity in entities:
        if isinstance(entity, dict) and "value" in entity:
            entity["value"] = redact_value(entity["value"])


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """Redact a Rasa event in its serialised form (``Event.as_dict()``), in place, and
    return it: a user message's text, its parse data's text and entity values, a bot
    message's text, a slot event's value (``session_started_metadata`` included: Rasa 3.6
    keeps the channel's session-start metadata in that slot) and any event's ``metadata``
    (a user message's channel metadata). No later turn needs an unredacted value: no form
    collects an address or a number, and the slots hold job titles, skills and codes."""
    kind = event.get("event")
    if kind in ("user", "bot") and isinstance(event.get("text"), str):
        event["text"] = redact(event["text"])
    if kind == "user":
        parse_data = event.get("parse_data")
        if isinstance(parse_data, dict):
            if isinstance(parse_data.get("text"), str):
                parse_data["text"] = redact(parse_data["text"])
            _redact_entities(parse_data.get("entities"))
            if "metadata" in parse_data:
                parse_data["metadata"] = _redact_metadata(parse_data["metadata"])
    if kind == "slot" and "value" in event and event.get("name") not in UNREDACTED_SLOTS:
        event["value"] = redact_value(event["value"])
    if "metadata" in event:
        event["metadata"] = _redact_metadata(event["metadata"])
    return event
