"""Which JSON request bodies no endpoint takes: nested more than ``MAX_JSON_DEPTH`` deep, or
holding a lone surrogate (``"\\ud800"``: valid JSON syntax but no Unicode text, which neither
UTF-8 nor a database can store). Python's parser fails only near its recursion limit (about
1,000 levels, a 500), and what a handler does with a deep value (encode it, echo it in an
error) can fail before that; a lone surrogate fails wherever the text is encoded.

One rule for every endpoint: the web app's (bot/api/request_bodies.py) and the engine's REST
channel (bot/engine/channels.py). Standard library only, so it runs on the engine's Python
3.10 as well as the app's 3.11 (like bot/engine/redaction.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 32  # our bodies nest 4 deep at most (a catalog import's skills)
_SURROGATE = re.compile("[\ud800-\udfff]")
# A body without such an escape cannot hold a surrogate (raw ones are not UTF-8).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
TOO_DEEP = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
SURROGATE = ("The JSON body has a lone surrogate escape (such as \\ud800), which is not "
             "text: send UTF-8 text.")


class RefusedJson(ValueError):
    """A body that is JSON, but one that no endpoint takes; the message says why."""


def load_json(body: bytes) -> Any:
    """The parsed body. RefusedJson when it is too deep or holds a lone surrogate; any other
    ValueError (UnicodeDecodeError, json.JSONDecodeError) when it is not JSON at all."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise RefusedJson(TOO_DEEP) from None
    problem = _problem(value, check_text=_SURROGATE_ESCAPE.search(body) is not None)
    if problem:
        raise RefusedJson(problem)
    return value


def json_problem(body: bytes) -> str | None:
    """Why this JSON body is refused, or None. Malformed JSON is left to the caller, which
    can say where it breaks."""
    try:
        load_json(body)
    except RefusedJson as exc:
        return str(exc)
    except ValueError:
        return None
    return None


def _problem(value: Any, check_text: bool) -> str | None:
    # Walked with a stack, not recursion: the value may be nested hundreds deep.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                return TOO_DEEP
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                stack.append((child, depth + 1))
                if check_text and key is not None:
                    stack.append((key, depth + 1))
        elif check_text and isinstance(item, str) and _SURROGATE.search(item):
            return SURROGATE
    return None
