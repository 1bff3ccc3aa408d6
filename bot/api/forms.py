"""HTML forms of the web app (the staff console, the employers' inquiry form): reading an
``application/x-www-form-urlencoded`` body with the standard library (the app does not depend
on python-multipart), CSRF tokens and the cookies that carry them.

A double-submit token lives in a ``SameSite=Strict``, HttpOnly cookie and in a hidden field;
a post must carry both, equal. A page on another site can neither read the cookie nor make the
browser send it. Cookies are marked Secure over HTTPS, and always when PATHFINDER_SECURE_COOKIES
is ``1``: behind a TLS-terminating proxy the app itself sees plain HTTP."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qs

from fastapi import HTTPException, Request, Response

from knowledge.settings import web_settings

TOKEN_BYTES = 32
TOKEN_CHARS = 43  # len(secrets.token_urlsafe(TOKEN_BYTES))

Form = dict[str, list[str]]


def secure_cookies(request: Request) -> bool:
    """Whether cookies set in answer to this request get the Secure flag."""
    return request.url.scheme == "https" or web_settings().secure_cookies


def set_cookie(request: Request, response: Response, name: str, value: str, path: str,
               max_age: int | None = None) -> None:
    """A strict, HttpOnly cookie, Secure as the setting says: every cookie of the app's forms
    and sessions is set here."""
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="strict", secure=secure_cookies(request))


def same_token(sent: str | None, expected: str | None) -> bool:
    """Whether a form's token is the expected one, in constant time. Bytes: compare_digest
    refuses non-ASCII str (a 500 instead of a refusal)."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def cookie_token(request: Request, cookie: str) -> str:
    """The double-submit token for a form page: the browser's own when it has a well-formed one
    (so forms open in several tabs stay valid), else a new one. Set it back with
    ``set_cookie``."""
    token = request.cookies.get(cookie) or ""
    return token if len(token) == TOKEN_CHARS else secrets.token_urlsafe(TOKEN_BYTES)


def double_submitted(request: Request, cookie: str, sent: str | None) -> bool:
    """Whether the form's token equals its cookie's."""
    return same_token(sent, request.cookies.get(cookie))


async def read_form(request: Request, max_bytes: int, max_fields: int) -> Form:
    """The posted form's fields (blank ones kept). An empty body is an empty form (whose
    missing token is then refused); 415, 413 or 400 for a body that is not a readable form."""
    body = await request.body()
    if not body:
        return {}
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    if len(body) > max_bytes:
        raise HTTPException(413, f"The form is over {max_bytes // 1024} KiB.")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "The form could not be read.") from None


def field(form: Mapping[str, list[str]], name: str) -> str:
    """A field's first value, or ``""``."""
    values = form.get(name)
    return values[0] if values else ""
