"""The fixed replies the actions and the REST channel send live in domain.yml: every response
they name exists there in English and French, with the same placeholders, and each
placeholder is one the sender fills. (See "Where words live" in the README.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from actions.context import SORRY_RESPONSE, _placeholder_value, shown_back
from knowledge.explainer import readability, readability_ok
from knowledge.language import LANGS, Lang

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # as Rasa 3.6's interpolator reads them
CHANNEL_RESPONSES = {"utter_action_failed": set(), "utter_empty_message": set(),
                     "utter_message_too_long": {"max"}}


def domain_responses() -> dict[str, Any]:
    data = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    responses: dict[str, Any] = data["responses"]
    return responses


def variants(name: str) -> dict[Lang, str]:
    """The text of response ``name`` per language: the French variant is conditioned on the
    `language` slot, the English one is the default (no condition)."""
    found: dict[Lang, str] = {}
    for variant in domain_responses()[name]:
        conditions = variant.get("condition") or []
        if conditions == [{"type": "slot", "name": "language", "value": "fr"}]:
            found.setdefault("fr", variant["text"])
        elif not conditions:
            found.setdefault("en", variant["text"])
    return found


def sent_by_actions() -> dict[str, set[str]]:
    """Response name -> the placeholder values passed, for every ``turn.respond(...)`` in
    actions/ (and the apology PathfinderAction sends when an action fails)."""
    sent: dict[str, set[str]] = {SORRY_RESPONSE: set()}
    for path in sorted((ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "respond":
                first = node.args[0]
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{path.name}:{node.lineno}: name the response literally"
                values = {k.arg for k in node.keywords if k.arg and k.arg != "buttons"}
                sent.setdefault(first.value, set()).update(values)
    return sent


def test_the_actions_send_responses() -> None:
    assert len(sent_by_actions()) > 10


@pytest.mark.parametrize("name, given", [*sorted(sent_by_actions().items()),
                                         *sorted(CHANNEL_RESPONSES.items())])
def test_each_response_sent_exists_in_english_and_french(name: str, given: set[str]) -> None:
    texts = variants(name)
    assert set(texts) == set(LANGS), f"{name}: needs an English default and a French variant"
    holes = {lang: set(PLACEHOLDER.findall(text)) for lang, text in texts.items()}
    assert holes["en"] == holes["fr"], name
    assert holes["en"] == given, f"{name}: placeholders {holes['en']}, filled: {given}"


def test_the_channels_last_resort_copies_match_the_domain() -> None:
    # Read, not imported: the channel runs in the engine's environment (Rasa).
    tree = ast.parse((ROOT / "bot/engine/channels.py").read_text(encoding="utf-8"))
    names = {node.targets[0].id: node.value.value for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
             and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    [copies] = [eval(compile(ast.Expression(node.value), "channels.py", "eval"),  # noqa: S307
                     {"__builtins__": {}}, names)
                for node in tree.body
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "FALLBACK_TEXTS" and node.value is not None]
    assert set(copies) == set(CHANNEL_RESPONSES)
    for name, texts in copies.items():
        assert texts == variants(name), name


@pytest.mark.parametrize("typed", ["xyzzy", "x" * 10_000, "<script>alert(1)</script>",
                                   "'; DROP TABLE occupations; --", "🙂" * 300, "{max} 10[x]"])
def test_the_learners_words_are_shown_back_safe_and_short(typed: str) -> None:
    quoted = _placeholder_value(shown_back(typed))
    assert quoted and "0[" not in quoted
    for lang, text in variants("utter_no_occupation").items():
        said = text.replace("{quoted}", quoted)
        assert len(said) < 250 and "<" not in said and "{" not in said
        assert readability_ok(said, lang)


# What a response's placeholders are filled with to measure it: the learner's words quoted
# back (as long as they usually are) and the channel's message limit.
FILLED = {"quoted": {"en": "health care admin", "fr": "adjointe administrative"},
          "max": {"en": "5,000", "fr": "5\u00a0000"}}


def every_variant() -> list[tuple[str, Lang, str]]:
    """(response, language, text) of every variant, whatever its other conditions."""
    found: list[tuple[str, Lang, str]] = []
    for name, variants_ in domain_responses().items():
        for variant in variants_:
            french = {"type": "slot", "name": "language", "value": "fr"} in \
                (variant.get("condition") or [])
            found.append((name, "fr" if french else "en", variant["text"]))
    return found


@pytest.mark.parametrize("name, lang, text", every_variant())
def test_every_fixed_reply_is_easy_to_read(name: str, lang: Lang, text: str) -> None:
    """English grade <= 8, French reading ease >= 60 (the conversations measure every reply
    the same way: tests/e2e/test_readability.py)."""
    filled = PLACEHOLDER.sub(lambda hole: FILLED[hole.group(1)][lang], text)
    assert readability_ok(filled, lang), (name, lang, readability(filled, lang), filled)
