"""Build the console's ASGI app: stores, accounts, review desk, metrics, middleware and routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.templating import Jinja2Templates

from monitor.audit.log import AuditLog
from monitor.audit.reviews import ReviewIntake, ReviewMetrics
from monitor.console import views
from monitor.console.accounts import Accounts
from monitor.console.auth import Authenticator
from monitor.console.feed import Feed, tail
from monitor.console.metrics import ConsoleMetrics
from monitor.console.reviewing import ReviewDesk, ReviewPublisher
from monitor.console.routes import not_found, routes
from monitor.console.security import SecurityHeaders
from monitor.console.store import LiveLog, Transcripts
from monitor.console.throttle import LoginThrottle
from monitor.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "cct_console"


class ConsoleConfigError(ValueError):
    """The console cannot start with these settings."""


@dataclass
class Console:
    """Everything the route handlers use, attached to `app.state.console`."""

    settings: Settings
    live: LiveLog
    transcripts: Transcripts
    desk: ReviewDesk
    auth: Authenticator
    throttle: LoginThrottle
    templates: Jinja2Templates
    feed: Feed
    registry: CollectorRegistry
    publisher: ReviewPublisher | None
    audit_log: AuditLog

    def refresh(self) -> bool:
        changed = self.live.refresh()
        return self.transcripts.refresh() or changed


def session_secret(settings: Settings) -> str:
    c = settings.console
    if c.session_secret is not None:
        return c.session_secret.get_secret_value()
    if c.session_secret_file is not None:
        return c.session_secret_file.read_text(encoding="utf-8").strip()
    log.warning("no console.session_secret: sessions are signed with a random key and end when the console restarts")
    return secrets.token_urlsafe(48)


def decisions_file(settings: Settings) -> Path | None:
    """The per-chunk decision JSONL the console reads transcript context from."""
    path = settings.console.decisions_path
    if path is None:
        path = settings.output.decisions_path if settings.output.decisions_path not in ("", "-") else None
    return Path(path) if path else None


def secure_cookies(settings: Settings) -> bool:
    c = settings.console
    return c.secure_cookies if c.secure_cookies is not None else bool(c.url and c.url.startswith("https://"))


def build_console(settings: Settings, registry: CollectorRegistry | None = None) -> Console:
    c = settings.console
    if not settings.audit.path:
        raise ConsoleConfigError("no decision log: set audit.path (or pass --log)")
    if c.users_file is None:
        raise ConsoleConfigError("no accounts: set console.users_file (create it with `cct-monitor console users add`)")
    if not c.users_file.is_file():
        raise ConsoleConfigError(f"{c.users_file}: no such accounts file (create it with `cct-monitor console users add`)")
    registry = registry or CollectorRegistry()
    accounts = Accounts(c.users_file)
    audit_log = AuditLog(settings.audit.path, rotate_bytes=settings.audit.rotate_bytes, fsync=settings.audit.fsync)
    live_holder: list[LiveLog] = []
    metrics = ConsoleMetrics(registry, lambda: views.open_depth(live_holder[0].view) if live_holder else {})
    live = LiveLog(Path(settings.audit.path), on_first_review=metrics.observe_first_review)
    live_holder.append(live)
    intake = ReviewIntake(audit_log, ReviewMetrics(registry, settings.audit.review_precision_period_s))
    publisher = ReviewPublisher(settings.kafka, metrics) if c.publish_reviews else None
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    return Console(
        settings=settings, live=live, transcripts=Transcripts(decisions_file(settings)),
        desk=ReviewDesk(intake, metrics, publisher), auth=Authenticator(accounts, c),
        throttle=LoginThrottle(c.login_max_failures, c.login_window_s), templates=templates, feed=Feed(),
        registry=registry, publisher=publisher, audit_log=audit_log,
    )


def create_app(console: Console) -> Starlette:
    """The ASGI app serving `console`."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if console.publisher is not None:
            console.publisher.start()
        task = asyncio.create_task(tail(console.refresh, console.feed, console.settings.console.refresh_interval_s))
        try:
            yield
        finally:
            console.feed.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if console.publisher is not None:
                await asyncio.to_thread(console.publisher.stop)
            console.audit_log.close()

    secure = secure_cookies(console.settings)
    middleware = [
        Middleware(SecurityHeaders, secure=secure),
        Middleware(SessionMiddleware, secret_key=session_secret(console.settings), session_cookie=SESSION_COOKIE,
                   max_age=console.settings.console.session_max_age_s, same_site="lax", https_only=secure),
    ]
    app = Starlette(routes=routes(HERE / "static"), middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found})
    app.state.console = console
    return app
