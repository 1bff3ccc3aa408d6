"""The longest message the engine reads: the REST channel refuses a longer one politely, and
NLU's first component (bot/engine/bounded_tokenizer.py) cuts any text to it, whichever way
it came in. One number for both, so that what the channel lets through is read whole."""

MAX_MESSAGE_CHARS = 5_000
