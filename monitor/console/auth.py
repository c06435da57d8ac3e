"""Who is asking: the session's user (or a trusted proxy's identity header), and what their role allows.

- A session is a signed cookie (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax, Secure behind
  TLS) holding the user name and the CSRF token; the role is looked up in the accounts file on every
  request, so a removed user or a changed role takes effect at once.
- With `console.trusted_header` set, a request whose peer address is in `trusted_proxies` is the user
  that header names (the OIDC proxy authenticated them); the user must still be in the accounts file.
- Roles: `auditor` reads everything; `reviewer` also records reviews; `admin` also sees the admin page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request

from monitor.console.accounts import Account, Accounts
from monitor.settings import ConsoleSettings

CAN_REVIEW = frozenset({"reviewer", "admin"})
CAN_ADMIN = frozenset({"admin"})


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    via: str  # "session" | "header"

    @property
    def can_review(self) -> bool:
        return self.role in CAN_REVIEW

    @property
    def can_admin(self) -> bool:
        return self.role in CAN_ADMIN


class Authenticator:
    """Resolves the user of a request."""

    def __init__(self, accounts: Accounts, settings: ConsoleSettings) -> None:
        self.accounts = accounts
        self.settings = settings

    def user(self, request: Request) -> User | None:
        header = self.settings.trusted_header
        if header and request.client is not None and request.client.host in self.settings.trusted_proxies:
            name = request.headers.get(header, "").strip()
            account = self.accounts.get(name) if name else None
            if account is not None:
                return User(account.name, account.role, "header")
        name = request.session.get("user")
        started = request.session.get("auth_at")
        if not isinstance(name, str) or not isinstance(started, (int, float)):
            return None
        if time.time() - started > self.settings.session_max_age_s:
            return None
        account = self.accounts.get(name)
        return User(account.name, account.role, "session") if account is not None else None

    def client_address(self, request: Request) -> str:
        """The client's address for rate limiting: behind a trusted proxy, the last hop of X-Forwarded-For
        (so one user's failures do not lock out everyone behind the same proxy); else the peer address."""
        peer = request.client.host if request.client is not None else "unknown"
        forwarded = request.headers.get("X-Forwarded-For", "")
        if peer in self.settings.trusted_proxies and forwarded.strip():
            return forwarded.split(",")[-1].strip()[:64]
        return peer

    @staticmethod
    def log_in(request: Request, account: Account) -> None:
        request.session.clear()
        request.session["user"] = account.name
        request.session["auth_at"] = time.time()

    @staticmethod
    def log_out(request: Request) -> None:
        request.session.clear()
