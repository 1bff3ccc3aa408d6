"""The two languages Pathfinder speaks, as every layer names them.

Inside the code a language is a ``Lang``. A value from outside (a slot, a request parameter,
a header, a payload) is narrowed once, where it comes in, with ``as_lang``. Standard library
only: the engine's code (bot/engine/, Python 3.10, no app dependencies) imports it too."""

from __future__ import annotations

from typing import Literal, get_args, overload

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = get_args(Lang)


@overload
def as_lang(value: object) -> Lang: ...
@overload
def as_lang(value: object, default: Lang) -> Lang: ...
@overload
def as_lang(value: object, default: None) -> Lang | None: ...


def as_lang(value: object, default: Lang | None = "en") -> Lang | None:
    """``value`` when it is "en" or "fr", else ``default`` (English unless told otherwise;
    ``None`` to tell an unknown language apart)."""
    if value == "fr":
        return "fr"
    if value == "en":
        return "en"
    return default
