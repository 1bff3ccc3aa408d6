"""User messages that staff picked, as Rasa NLU training data (YAML, format version "3.1"),
labelled with the intent staff chose, to add to nlu/ and retrain.

Written by hand rather than with a YAML library: the shape is fixed and small, and each
example goes in a literal block (``examples: |``), where nothing needs quoting. Messages are
redacted (conversations.py) and flattened to one line, as Rasa's examples are."""

from __future__ import annotations

import re

INTENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
# Rasa reads "[text](entity)" and "[text]{...}" in examples as entity annotations: an
# exported example must not carry one by accident.
_ANNOTATION_RE = re.compile(r"\[([^\]]*)\](?=[({\[])")


class ExportError(ValueError):
    """The export cannot be made as asked (the message says why)."""


def _example(text: str) -> str:
    flat = " ".join(text.split())
    return _ANNOTATION_RE.sub(r"\1", flat)


def training_data_yaml(intent: str, texts: list[str]) -> str:
    if not INTENT_RE.match(intent):
        raise ExportError("an intent name is letters, digits and underscores, starting with a "
                          "letter or an underscore")
    examples = list(dict.fromkeys(e for e in (_example(t) for t in texts) if e))
    if not examples:
        raise ExportError("pick at least one user message to export")
    lines = ['version: "3.1"', "nlu:", f"- intent: {intent}", "  examples: |"]
    lines += [f"    - {example}" for example in examples]
    return "\n".join(lines) + "\n"
