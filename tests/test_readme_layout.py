"""The README's layout table ("How it fits together") is the map a new engineer reads first:
it must name every top-level entry of the tree and every package folder of the code, and
name nothing that is not there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_PACKAGES = ("knowledge", "bot", "connectors")
# Not part of the architecture: the README itself and git's own file.
UNLISTED_TOP_LEVEL = {"README.md", ".gitignore"}


def _layout_paths(readme: str) -> set[str]:
    """The paths in the first column of the table under `| path | what it holds |`."""
    start = readme.index("| path | what it holds |")
    rows = readme[start:].split("\n\n", 1)[0].splitlines()[2:]
    paths: set[str] = set()
    for row in rows:
        first_cell = row.split("|")[1]
        paths.update(name.rstrip("/") for name in re.findall(r"`([^`]+)`", first_cell))
    return paths


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()


def test_the_layout_table_names_every_top_level_entry_and_code_package() -> None:
    named = _layout_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    files = _tracked_files()
    top_level = {path.split("/")[0] for path in files} - UNLISTED_TOP_LEVEL
    # Every folder directly inside a code package (bot/api, knowledge/resolver, ...).
    packages = {"/".join(path.split("/")[:2]) for path in files
                if path.split("/")[0] in CODE_PACKAGES and path.count("/") >= 2}
    assert sorted(top_level - named) == [], "top-level entries missing from the README's table"
    assert sorted(packages - named) == [], "package folders missing from the README's table"


def test_the_layout_table_names_only_what_exists() -> None:
    named = _layout_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    assert named, "the layout table was not found"
    assert sorted(path for path in named if not (ROOT / path).exists()) == []
