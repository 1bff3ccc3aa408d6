"""The staff console's pure parts: redaction of personal identifiers (used by the engine's
tracker store and by the console), password hashing, the NLU export's format."""

from __future__ import annotations

import copy
import json

import pytest
from ruamel.yaml import YAML

from bot.console.nlu_export import ExportError, training_data_yaml
from bot.console.passwords import hash_password, verify_password
from bot.engine.redaction import redact, redact_event


@pytest.mark.parametrize(("text", "secret", "label"), [
    ("write to ana.b+jobs@example.co.uk please", "ana.b+jobs@example.co.uk", "[email]"),
    ("MARIE-EVE@Courriel.QC.CA", "MARIE-EVE@Courriel.QC.CA", "[email]"),
    ("call 416-555-0199 after 5", "416-555-0199", "[phone]"),
    ("my cell is (647) 555 0123", "(647) 555 0123", "[phone]"),
    ("+1 613.555.0142 ext. 12", "+1 613.555.0142 ext. 12", "[phone]"),
    ("tel 1-800-555-0100", "1-800-555-0100", "[phone]"),
    ("number:9055550187.", "9055550187", "[phone]"),
    ("my SIN is 046 454 286", "046 454 286", "[SIN]"),
    ("NAS 046-454-286", "046-454-286", "[SIN]"),
    ("I live at M5V 2T6 in Toronto", "M5V 2T6", "[postal code]"),
    ("code postal k1a0b1", "k1a0b1", "[postal code]"),
    ("card 4111 1111 1111 1111 thanks", "4111 1111 1111 1111", "[card number]"),
])
def test_identifiers_are_replaced_by_a_label(text: str, secret: str, label: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert label in redacted
    assert redact(redacted) == redacted  # idempotent: the console redacts stored text again


@pytest.mark.parametrize("text", [
    "I'm a PSW and want to get into health-care admin, online, under $800",
    "between 2024-2033, NOC 13112, 40 hours over 12 weeks, $1,250.00",
    "je suis machiniste CNC, je veux me perfectionner, le soir",
    "/choose_occupation{\"noc\":\"13112\",\"target_job\":\"medical admin\"}",
    "version 3.6.21 on port 5005", "🙂🙂🙂", "", "<b>hi</b>",
])
def test_ordinary_messages_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_long_message_is_redacted_quickly() -> None:
    text = ("call me at 416-555-0199 or x@y.ca " + "a" * 200 + " ") * 50  # ~12k chars
    redacted = redact(text)
    assert "416-555-0199" not in redacted and "x@y.ca" not in redacted


def test_a_rasa_event_is_redacted_where_text_is_kept() -> None:
    user = {"event": "user", "text": "mail me: a@b.ca", "parse_data": {
        "text": "mail me: a@b.ca", "intent": {"name": "inform", "confidence": 0.9},
        "entities": [{"entity": "contact", "value": "a@b.ca", "start": 9, "end": 15}]},
        "input_channel": "rest"}
    bot = {"event": "bot", "text": "I will write to a@b.ca", "data": {"buttons": None}}
    assert "a@b.ca" not in str(redact_event(user))
    assert user["input_channel"] == "rest"
    assert "a@b.ca" not in str(redact_event(bot))


# Events as Rasa 3.6.21 serialises them (Event.as_dict()) for a session started with channel
# metadata, then "I want to be 416-555-0199" (the CRF took the number for the target job).
MODEL_ID = "7544bcb15b0e4de69df3dcf315f706dd"
CHANNEL_METADATA = {"cards": True, "contact": {"phone": "416-555-0199", "mails": ["a@b.ca"]}}
SESSION_START = [
    {"event": "action", "timestamp": 1796180050.01, "name": "action_session_start",
     "metadata": {"model_id": MODEL_ID, "assistant_id": "pathfinder"}, "policy": None,
     "confidence": None, "action_text": None, "hide_rule_turn": False},
    {"event": "slot", "timestamp": 1796180050.02, "name": "session_started_metadata",
     "value": CHANNEL_METADATA, "metadata": {"model_id": MODEL_ID}},
    {"event": "session_started", "timestamp": 1796180050.03,
     "metadata": {"model_id": MODEL_ID, "assistant_id": "pathfinder"}},
]
TARGET_JOB_TURN = [
    {"event": "user", "timestamp": 1796180051.0,
     "metadata": {**CHANNEL_METADATA, "model_id": MODEL_ID, "assistant_id": "pathfinder"},
     "text": "I want to be 416-555-0199", "parse_data": {
         "intent": {"name": "state_goal", "confidence": 0.91},
         "entities": [{"entity": "target_job", "value": "416-555-0199", "start": 13,
                       "end": 25, "extractor": "CRFEntityExtractor"}],
         "text": "I want to be 416-555-0199", "message_id": "5f1c", "metadata": CHANNEL_METADATA},
     "input_channel": "rest", "message_id": "5f1c"},
    {"event": "slot", "timestamp": 1796180051.1, "name": "target_job",
     "value": "416-555-0199", "metadata": {"model_id": MODEL_ID}},
    {"event": "slot", "timestamp": 1796180051.2, "name": "job_title",
     "value": ["welder", "call 416-555-0199"]},
    {"event": "slot", "timestamp": 1796180051.3, "name": "constraints",
     "value": {"max_cost": 800, "delivery": ["online"], "note": {"mail": "a@b.ca"}}},
]


def test_slot_values_and_metadata_are_redacted_before_storage() -> None:
    """A phone number typed as the job someone wants, or sent in a channel's metadata, is not
    stored: neither in the slot events (strings inside lists and objects too), nor in the
    session-start metadata slot, nor in the user event's metadata."""
    events = [redact_event(copy.deepcopy(e)) for e in SESSION_START + TARGET_JOB_TURN]
    stored = json.dumps(events)
    assert "416-555-0199" not in stored and "a@b.ca" not in stored
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["target_job"] == "[phone]"
    assert slots["job_title"] == ["welder", "call [phone]"]
    assert slots["session_started_metadata"] == {
        "cards": True, "contact": {"phone": "[phone]", "mails": ["[email]"]}}
    # What is not an identifier keeps its value and its type: numbers, lists, the
    # clients' {"cards": true}, Rasa's own ids (a SIN-shaped digit run in the model id).
    assert slots["constraints"] == {"max_cost": 800, "delivery": ["online"],
                                    "note": {"mail": "[email]"}}
    user = events[3]
    assert user["metadata"]["cards"] is True and user["parse_data"]["metadata"]["cards"] is True
    sin_shaped = {"event": "session_started", "metadata": {"model_id": "ab046454286cd" + "e" * 19}}
    assert redact_event(copy.deepcopy(sin_shaped)) == sin_shaped
    assert events[0] == SESSION_START[0]
    # Redacting again changes nothing (the console redacts stored events again).
    assert [redact_event(copy.deepcopy(e)) for e in events] == events


def test_the_catalog_ids_the_bot_chose_are_stored_as_they_are() -> None:
    """The shown programs' ids must still name them on the next turn ("show me others"):
    some have digit runs shaped like a SIN or a phone number."""
    ids = ["seneca-ai-100234567", "ccid-613-555-0142"]
    shown = redact_event({"event": "slot", "name": "last_program_ids", "value": list(ids)})
    typed = redact_event({"event": "slot", "name": "target_job", "value": "ccid-613-555-0142"})
    assert shown["value"] == ids
    assert typed["value"] == "ccid-[phone]"


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and first.startswith("scrypt$")
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("correct horse battery", "not-a-hash")
    assert not verify_password("x" * 5000, first)


def test_the_export_is_rasa_nlu_yaml_with_the_chosen_intent() -> None:
    texts = ["how much do\nwelders make?", "C'est combien, soudeur ?",
             "call [phone](now) - ok", "how much do welders make?", "   "]
    data = YAML(typ="safe").load(training_data_yaml("ask_wage", texts))
    assert data["version"] == "3.1"
    [block] = data["nlu"]
    assert block["intent"] == "ask_wage"
    examples = [line[2:] for line in block["examples"].splitlines()]
    # One line each, duplicates once, no accidental entity annotation, blanks dropped.
    assert examples == ["how much do welders make?", "C'est combien, soudeur ?",
                        "call phone(now) - ok"]


@pytest.mark.parametrize(("intent", "texts"), [
    ("ask wage", ["hi"]), ("", ["hi"]), ("ask_wage\n- intent: x", ["hi"]), ("ask_wage", []),
    ("ask_wage", [" "]),
])
def test_a_bad_export_request_is_refused_with_a_reason(intent: str, texts: list[str]) -> None:
    with pytest.raises(ExportError):
        training_data_yaml(intent, texts)
