"""The 422 answer to a request that fails validation (a body, query or path parameter):
where (``loc``), what (``msg``) and the error's ``type`` for each problem, as FastAPI's own
answer has them, but never the input. FastAPI's echoes each offending value: a 10,000-character
field comes back whole, and a value JSON cannot encode as UTF-8 (a lone surrogate) or too
deep to encode turned the refusal into a 500."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_PART_CHARS = 200  # a location can name a key the client chose


def _short(part: object) -> object:
    if not isinstance(part, str):
        return part
    # Lone surrogates (in a key the client sent) become "?": the answer must encode.
    return part[:MAX_PART_CHARS].encode("utf-8", "replace").decode("utf-8")


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    # Starlette types handlers for any exception; this one is registered for this one.
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": [
        {"loc": [_short(part) for part in error["loc"]], "msg": _short(error["msg"]),
         "type": error["type"]}
        for error in exc.errors()]})
