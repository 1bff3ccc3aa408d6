"""Where the knowledge base lives. SQLite under var/ by default; any SQLAlchemy URL
(PostgreSQL for several replicas) through PATHFINDER_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("PATHFINDER_DATA_DIR", PROJECT_ROOT / "data"))


def database_url() -> str:
    default = f"sqlite:///{PROJECT_ROOT / 'var' / 'pathfinder.sqlite'}"
    return os.environ.get("PATHFINDER_DATABASE_URL", default)
