"""Where the knowledge base lives (SQLite under var/ by default; any SQLAlchemy URL, e.g.
PostgreSQL for several replicas, through PATHFINDER_DATABASE_URL), the request-body limit,
and the two secrets: the key every process derives conversation pseudonyms with
(PATHFINDER_SECRET_KEY) and the token of the Rasa engine's HTTP API (PATHFINDER_RASA_TOKEN).

Standard library only: bot/engine/serve.py reads the token's name from here on the
engine's Python 3.10."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("PATHFINDER_DATA_DIR", PROJECT_ROOT / "data"))


def database_url() -> str:
    default = f"sqlite:///{PROJECT_ROOT / 'var' / 'pathfinder.sqlite'}"
    return os.environ.get("PATHFINDER_DATABASE_URL", default)


SECRET_KEY_ENV = "PATHFINDER_SECRET_KEY"
RASA_TOKEN_ENV = "PATHFINDER_RASA_TOKEN"
# A shorter secret could be guessed offline: a pseudonym of telegram-<chat id> from any
# shared link, tried against every key of up to a few characters.
MIN_SECRET_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 64 * 1024


def _secret(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and len(value) < MIN_SECRET_CHARS:
        raise ValueError(f"{name} must be at least {MIN_SECRET_CHARS} characters long.")
    if value and not (value.isascii() and value.isprintable()):
        # It travels in headers and URLs: other characters fail there, at every request.
        raise ValueError(f"{name} may hold printable ASCII characters only.")
    return value or None


def secret_key() -> bytes | None:
    """The key of the conversation pseudonyms in program links (knowledge.referrals), from
    PATHFINDER_SECRET_KEY; None when unset (`pathfinder run` keeps one in var/secret.key and
    passes it to every service). The same key in every process: the channels make the links,
    the web app and the console match clicks to conversations. ValueError when too short."""
    value = _secret(SECRET_KEY_ENV)
    return value.encode("utf-8") if value else None


def rasa_token() -> str | None:
    """The token of the Rasa engine's HTTP API, which our relays also show the REST channel
    to speak for web-/telegram- conversations (PATHFINDER_RASA_TOKEN; `pathfinder run` makes
    one per run). None when unset; ValueError when too short."""
    return _secret(RASA_TOKEN_ENV)


def max_body_bytes() -> int:
    """PATHFINDER_MAX_BODY_BYTES, the largest request body the web app and the engine take
    (the catalog import has its own); a malformed or negative value gives the default."""
    try:
        limit = int(os.environ.get("PATHFINDER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES
    return limit if limit >= 0 else DEFAULT_MAX_BODY_BYTES
