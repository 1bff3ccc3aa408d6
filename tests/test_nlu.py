"""The trained Rasa model, driven over HTTP like the rest of Pathfinder does.

This module runs in the app env and never imports Rasa: it trains the model with
`make train` when it is missing or stale (a no-op otherwise), talks to the suite's shared
engine (started as `pathfinder run` starts it: `rasa run --enable-api` behind a token, on a
free port; tests/conftest.py), and checks `POST /model/parse`
(intents, entities, the `language` entity of bot/engine/language_detector.py) and, through
the REST channel, that responses follow the language of the conversation. The checked turns
use only fixed responses.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_RASA_TOKEN, Stacks

ROOT = Path(__file__).resolve().parent.parent
TOKEN = TEST_RASA_TOKEN  # the engine's API token (every stack the tests start has it)
MODEL = ROOT / "models" / "pathfinder.tar.gz"


@pytest.fixture(scope="module")
def engine(stacks: Stacks) -> str:
    """Base URL of a Rasa engine running the trained model (trained here if needed)."""
    train = subprocess.run(
        ["make", "train"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert train.returncode == 0, (
        f"make train failed:\n{train.stdout[-3000:]}\n{train.stderr[-3000:]}"
    )
    assert MODEL.is_file()
    # A model trained just now is loaded (the shared engine restarts).
    return stacks.engine().rasa_url


def parse(base: str, text: str) -> dict[str, Any]:
    response = httpx.post(f"{base}/model/parse", json={"text": text}, params={"token": TOKEN},
                          timeout=30)
    response.raise_for_status()
    return response.json()


def entities(result: dict[str, Any], name: str) -> list[str]:
    return [e["value"] for e in result["entities"] if e["entity"] == name]


# (message, intent, {entity: value}, language entity or None). Apart from the one-word
# greeting, none of these sentences is a training example (nlu/README.md).
CASES = [
    ("I'm a PSW and want to get into health-care admin, online, under $800", "inform_job",
     {"job_title": "PSW", "target_job": "health-care admin"}, "en"),
    ("je suis machiniste CNC et je veux me perfectionner, en ligne le soir", "inform_job",
     {"job_title": "machiniste CNC"}, "fr"),
    ("Which programs teach CNC?", "search_by_skill", {"skill": "CNC"}, "en"),
    ("Quels programmes enseignent la soudure ?", "search_by_skill", {"skill": "soudure"}, "fr"),
    ("i worked as a cashier for 7 years", "inform_job", {"job_title": "cashier"}, "en"),
    ("je suis infirmière auxiliaire, je cherche un cours en ligne", "inform_job",
     {"job_title": "infirmière auxiliaire"}, "fr"),
    ("show me cheaper ones please", "ask_cheaper", {}, "en"),
    ("c'est trop cher pour moi", "ask_cheaper", {}, "fr"),
    ("what exactly is a micro-credential?", "ask_microcredential", {}, "en"),
    ("est-ce que je peux avoir le RAFEO?", "ask_financial_aid", {}, "fr"),
    ("how much do they make?", "ask_wage", {}, "en"),
    ("en français s'il te plaît", "change_language", {}, "fr"),
    ("bonjour", "greet", {}, "fr"),
    ("merci, vous êtes gentille", "thanks", {}, "fr"),
    ("thanks a bunch", "thanks", {}, "en"),
    ("training for my staff in forklift", "search_by_skill", {"skill": "forklift"}, "en"),
    ("I want to become an electrician", "state_goal", {"target_job": "electrician"}, "en"),
    ("je voudrais devenir adjointe administrative", "state_goal",
     {"target_job": "adjointe administrative"}, "fr"),
    ("I'm an RPN, looking for something in wound care", "inform_job", {"job_title": "RPN"},
     "en"),
    ("je suis PSSP depuis 4 ans", "inform_job", {"job_title": "PSSP"}, "fr"),
    ("im a truck driver with my AZ", "inform_job", {"job_title": "truck driver"}, "en"),
    ("the third one please", "choose_occupation", {}, "en"),
    ("peux-tu me commander un taxi?", "out_of_scope", {}, "fr"),
    # Code-switched: the intent and entities are found, the language is left as it was.
    ("I'm a caissière and want cours du soir", "inform_job", {"job_title": "caissière"}, None),
]


@pytest.mark.parametrize(("text", "intent", "expected", "language"), CASES)
def test_parse(engine: str, text: str, intent: str, expected: dict[str, str],
               language: str | None) -> None:
    result = parse(engine, text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    for name, value in expected.items():
        assert entities(result, name) == [value], result["entities"]
    assert entities(result, "language") == ([language] if language else [])


# Words that no training example of the intent uses ("software", "schooling", "paycheque",
# "automate"): n-grams alone sent the first two to inform_job / search_by_skill; the sentence
# encoder (bot/engine/sentence_encoder.py) knows what they mean, in both languages.
NEW_WORDING = [
    ("am I chatting with software", "bot_challenge"),
    ("who pays for my schooling", "ask_financial_aid"),
    ("what sort of paycheque would I get", "ask_wage"),
    ("I must be going now", "goodbye"),
    ("est-ce un automate qui me répond", "bot_challenge"),
    ("qui peut payer mes études", "ask_financial_aid"),
]


@pytest.mark.parametrize(("text", "intent"), NEW_WORDING)
def test_wording_never_seen_in_training(engine: str, text: str, intent: str) -> None:
    result = parse(engine, text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]


@pytest.mark.parametrize("text", ["ok", "PSW", "RPN", "$800", "hfhfhf", "ppppp",
                                  "sdfgh jklmn xcvbn"])
def test_no_language_entity_when_unclear(engine: str, text: str) -> None:
    """Bare acronyms, "ok" and keyboard mashes say nothing about the language: the slot
    keeps its value."""
    assert entities(parse(engine, text), "language") == []


def test_button_payload(engine: str) -> None:
    result = parse(engine, '/choose_occupation{"noc":"33102"}')
    assert result["intent"]["name"] == "choose_occupation"
    assert entities(result, "noc") == ["33102"]
    assert entities(result, "language") == []


# What people paste or what a broken client sends: the NLU answers, it does not crash.
JUNK = [
    "", "   ", "😀🎉🙏", "<script>alert('hi')</script><b>PSW</b>", "'; DROP TABLE programs; --",
    '/choose_occupation{"noc": 33102', '/inform{"job_title":', "/no_such_intent", "{}", "null",
    "I'm a PSW " * 1000,  # 10,000 characters
]


@pytest.mark.parametrize("text", JUNK, ids=range(len(JUNK)))
def test_junk_is_parsed_without_error(engine: str, text: str) -> None:
    result = parse(engine, text)
    assert "intent" in result
    assert entities(result, "language") in ([], ["en"], ["fr"])


def say(base: str, sender: str, text: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    return response.json()


def test_responses_follow_the_language_of_the_conversation(engine: str) -> None:
    english = say(engine, f"t-{uuid.uuid4().hex}", "hello there")
    assert english and english[0]["text"].startswith("Hi! I'm Pathfinder")
    assert [b["title"] for b in english[0]["buttons"]][:2] == ["I want to learn", "I'm an employer"]
    # The language button sends a payload the NLU reads back as JSON (no doubled braces).
    assert english[0]["buttons"][2]["payload"] == '/change_language{"language":"fr"}'

    sender = f"t-{uuid.uuid4().hex}"
    french = say(engine, sender, "bonjour")
    assert french and french[0]["text"].startswith("Bonjour! Je suis Pathfinder")
    # "ok" carries no language: the conversation stays in French.
    follow_up = say(engine, sender, "ok")
    assert follow_up and "Que voulez-vous faire" in follow_up[0]["text"]
    # An English message switches the responses to English.
    switched = say(engine, sender, "thank you so much")
    assert switched and switched[0]["text"].startswith("You're welcome")


def test_fixed_answers_in_french_and_english(engine: str) -> None:
    sender = f"t-{uuid.uuid4().hex}"
    out_of_scope = say(engine, sender, "peux-tu réserver une table au resto ce soir?")
    assert out_of_scope and out_of_scope[0]["text"].startswith("Désolé, je ne peux pas")
    # Small talk gets a polite redirection (chitchat or out of scope), still in French.
    chitchat = say(engine, sender, "et toi, tu vas bien aujourd'hui?")
    assert chitchat and chitchat[0]["text"].startswith(
        ("Merci! Je suis surtout bon", "Désolé, je ne peux pas vous aider"))

    sender = f"t-{uuid.uuid4().hex}"
    what = say(engine, sender, "so what is a micro-credential exactly?")
    assert what and what[0]["text"].startswith("A micro-credential is a short")


@pytest.mark.parametrize("text", ["", "😀🎉🙏", "<b>hi</b>", "x" * 10_000])
def test_junk_over_rest_gets_an_answer_or_silence(engine: str, text: str) -> None:
    replies = say(engine, f"t-{uuid.uuid4().hex}", text)
    assert isinstance(replies, list)
    assert all(isinstance(reply.get("text", ""), str) for reply in replies)
