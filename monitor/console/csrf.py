"""CSRF protection: a random token per session, required on every state-changing request.

The token travels in the form field `csrf_token` or the `X-CSRF-Token` header (console.js sends it
with htmx requests) and is compared in constant time with the one in the signed session cookie.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def rotate(request: Request) -> str:
    """A fresh token (after login, so a token seen before authentication is worthless)."""
    request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


async def valid(request: Request) -> bool:
    """True when the request carries this session's token."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected:
        return False
    sent = request.headers.get(HEADER)
    if not sent:
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())
