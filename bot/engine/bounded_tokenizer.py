"""Rasa's WhitespaceTokenizer, but a message's text is first cut to ``max_chars``.

The tokenizer is the first component of the NLU pipeline, and every way into NLU passes
through it: the REST channel, any other channel, and the HTTP API's ``/model/parse`` and
``/conversations/{id}/messages``, which bypass every channel's own length check. So no
component after it ever sees more than ``max_chars`` characters. Why it matters: Rasa's
components run synchronously on the engine's event loop, and the RegexFeaturizer's work
grows with tokens x lookup patterns; a 1 MB text sent to ``/model/parse`` kept the loop
busy for 29 minutes, and no learner on any channel got an answer in that time.

The REST channel refuses a message over the same limit (``MAX_MESSAGE_CHARS``, 5,000
characters: bot/engine/limits.py) before this, with a polite answer, so what a learner may
send is understood whole and only the other ways in are cut. What a long text costs, and
what other learners see meanwhile, is measured by ``bench/engine_guard.py``.

This file runs in the engine's environment (.venv-engine, Python 3.10).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.engine.limits import MAX_MESSAGE_CHARS


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class BoundedWhitespaceTokenizer(WhitespaceTokenizer):
    """Whitespace tokens of at most the first ``max_chars`` characters of a message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "max_chars": MAX_MESSAGE_CHARS}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config["max_chars"]) <= 0:
            raise ValueError("BoundedWhitespaceTokenizer: max_chars must be positive")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BoundedWhitespaceTokenizer:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        limit = int(self._config["max_chars"])
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > limit:
                # Every later component reads the text from here (entity offsets included).
                message.set(TEXT, text[:limit])
        return super().process(messages)
