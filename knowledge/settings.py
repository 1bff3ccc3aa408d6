"""Where the knowledge base lives (SQLite under var/ by default; any SQLAlchemy URL, e.g.
PostgreSQL for several replicas, through PATHFINDER_DATABASE_URL), and the secret key every
process derives conversation pseudonyms with (PATHFINDER_SECRET_KEY)."""

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


def secret_key() -> bytes | None:
    """The key of the conversation pseudonyms in program links (knowledge.referrals), from
    PATHFINDER_SECRET_KEY; None when unset (`pathfinder run` generates one and passes it to
    every service). The same key in every process: the channels make the links, the web app
    and the console match clicks to conversations."""
    value = os.environ.get(SECRET_KEY_ENV, "").strip()
    return value.encode("utf-8") if value else None
