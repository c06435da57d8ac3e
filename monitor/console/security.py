"""Security headers and a privacy-safe access log for every response.

The access log line holds method, route path, status, duration and the staff user, never query
strings, form bodies or transcript text, so no speaker personal data reaches the server logs.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("monitor.console.access")

_NAMED = re.compile(r"^(/broadcasts/)[^/]+")  # a broadcast id may name its host: not logged


def loggable_path(path: str) -> str:
    return _NAMED.sub(r"\1…", path)


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(secure: bool) -> list[tuple[bytes, bytes]]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class SecurityHeaders:
    """ASGI middleware: adds the headers, `Cache-Control: no-store` on non-static responses, logs access."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.headers = security_headers(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        path = scope.get("path", "")
        status = {"code": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", [])) + self.headers
                if not path.startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            user = (scope.get("state") or {}).get("user_name", "-")
            log.info("%s %s %s %.0fms %s", scope.get("method"), loggable_path(path), status["code"],
                     (time.monotonic() - started) * 1000, user)
