"""The two languages Pathfinder speaks, as every layer names them."""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "fr"]
