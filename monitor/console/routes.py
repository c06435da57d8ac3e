"""The console's pages, fragments and JSON endpoints, each behind authentication and a role check.

Every handler goes through `guarded`: no user → 303 to /login for a page, 401 for an API, fragment or
event stream; a role that may not → 403; a state change without the session's CSRF token → 403.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from monitor import dsa
from monitor.alert import SEVERITIES
from monitor.audit.reviews import OUTCOMES
from monitor.channels import render
from monitor.console import csrf, views
from monitor.console.auth import User
from monitor.console.charts import timeline_svg
from monitor.console.reviewing import UnknownAlert
from monitor.console.rulefiles import rule_excerpt
from monitor.sor.build import NoRestriction, build_statement, log_person_terms
from monitor.sor.export import export_statements
from monitor.sor.schema import validation_errors

Handler = Callable[[Request, User], Awaitable[Response]]
OUTCOME_WORDS = {"confirmed": "Confirm", "false_positive": "False positive", "needs_escalation": "Escalate"}
OUTCOME_KEYS = {"confirmed": "c", "false_positive": "f", "needs_escalation": "e"}


def _console(request: Request) -> Any:
    return request.app.state.console


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/events", "/queue/rows")) or request.headers.get("HX-Request") == "true"


def guarded(need: str = "read") -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Authenticate, authorise (`read`, `review`, `admin`) and check CSRF on state changes."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            user = _console(request).auth.user(request)
            if user is None:
                if _wants_json(request):
                    return JSONResponse({"error": "authentication required"}, status_code=401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            request.state.user_name = user.name
            allowed = {"read": True, "review": user.can_review, "admin": user.can_admin}[need]
            if not allowed:
                return _error(request, user, 403, f"your role ({user.role}) may not do this")
            if request.method not in csrf.SAFE_METHODS and not await csrf.valid(request):
                return _error(request, user, 403, "missing or wrong CSRF token; reload the page and try again")
            return await handler(request, user)

        return endpoint

    return wrap


def _render(request: Request, user: User | None, template: str, status_code: int = 200, **context: Any) -> Response:
    console = _console(request)
    context.update(user=user, csrf_token=csrf.session_token(request), console_url=console.settings.console.url,
                   render=render)
    return console.templates.TemplateResponse(request, template, context, status_code=status_code)


def _error(request: Request, user: User | None, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return _render(request, user, "error.html", status_code=status, status=status, message=message)


def _now() -> datetime:
    return datetime.now(UTC)


def _period(request: Request, default_days: int) -> tuple[date, date]:
    today = _now().date()
    try:
        since = date.fromisoformat(request.query_params.get("since") or (today - timedelta(days=default_days)).isoformat())
        until = date.fromisoformat(request.query_params.get("until") or today.isoformat())
    except ValueError:
        raise HTTPException(400, "dates are YYYY-MM-DD") from None
    if since > until:
        raise HTTPException(400, "since is after until")
    return since, until


# --- login -------------------------------------------------------------------------------------------

def _next_path(value: str | None) -> str:
    """Only a local path (never //host or a scheme) may be the target after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def login_page(request: Request) -> Response:
    if _console(request).auth.user(request) is not None:
        return RedirectResponse(_next_path(request.query_params.get("next")), status_code=303)
    return _render(request, None, "login.html", next=_next_path(request.query_params.get("next")), failed=None)


async def login(request: Request) -> Response:
    console = _console(request)
    form = await request.form()
    name = str(form.get("username") or "").strip()[:128]
    password = str(form.get("password") or "")[:1024]
    target = _next_path(str(form.get("next") or ""))
    if not await csrf.valid(request):
        return _render(request, None, "login.html", status_code=403, next=target, failed="Your login form expired; try again.")
    addr = console.auth.client_address(request)
    keys = (f"user:{name.lower()}", f"addr:{addr}")
    wait = console.throttle.retry_after(*keys)
    if wait > 0:
        response = _render(request, None, "login.html", status_code=429, next=target,
                           failed=f"Too many failed logins. Try again in {int(wait) + 1} s.")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    account = await run_in_threadpool(console.auth.accounts.verify, name, password) if name and password else None
    if account is None:
        console.throttle.failed(*keys)
        return _render(request, None, "login.html", status_code=401, next=target, failed="Wrong user name or password.")
    console.throttle.succeeded(keys[0])
    console.auth.log_in(request, account)
    csrf.rotate(request)
    return RedirectResponse(target, status_code=303)


@guarded("read")
async def logout(request: Request, _user: User) -> Response:
    _console(request).auth.log_out(request)
    return RedirectResponse("/login", status_code=303)


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


# --- queue -------------------------------------------------------------------------------------------

def _queue_context(request: Request) -> dict[str, Any]:
    console = _console(request)
    filters = views.QueueFilters.parse(request.query_params)
    view = console.live.view
    return {"filters": filters, "groups": views.queue(view, filters, _now()), "options": views.filter_options(view),
            "severities": SEVERITIES, "depth": views.open_depth(view),
            "rows_url": "/queue/rows?" + urlencode(filters.query()), "version": console.live.version}


@guarded("read")
async def queue_page(request: Request, user: User) -> Response:
    return _render(request, user, "queue.html", **_queue_context(request))


@guarded("read")
async def queue_rows(request: Request, user: User) -> Response:
    return _render(request, user, "_queue_rows.html", **_queue_context(request))


@guarded("read")
async def queue_json(request: Request, _user: User) -> Response:
    ctx = _queue_context(request)
    groups = [{"broadcast_id": g.broadcast_id, "title": g.title,
               "alerts": [{"alert_id": r.alert_id, "severity": r.severity, "rule": r.rule_id, "mode": r.mode,
                           "category": r.category, "listeners": r.listeners, "detected_at": r.detected_at.isoformat(),
                           "state": r.state, "reviewer": r.reviewer} for r in g.rows]} for g in ctx["groups"]]
    return JSONResponse({"groups": groups, "depth": ctx["depth"]})


@guarded("read")
async def events(request: Request, _user: User) -> Response:
    console = _console(request)

    def summary() -> dict[str, object]:
        return {"version": console.live.version, "open": sum(views.open_depth(console.live.view).values())}

    return StreamingResponse(console.feed.stream(summary), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


# --- alert -------------------------------------------------------------------------------------------

def _entry(request: Request) -> Any:
    entry = _console(request).live.view.alerts.get(request.path_params["alert_id"])
    if entry is None:
        raise HTTPException(404, "no such alert in the decision log")
    return entry


def sor_preview(view: Any, entry: Any) -> dict[str, Any] | None:
    """The statement a confirmed alert produces and its schema check; None before confirmation."""
    if entry.outcome != "confirmed":
        return None
    try:
        statement = build_statement(entry, log_person_terms(view))
    except NoRestriction as exc:
        return {"statement": None, "errors": [], "reason": str(exc)}
    return {"statement": statement, "json": json.dumps(statement, indent=2, ensure_ascii=False),
            "errors": validation_errors(statement), "reason": None}


@guarded("read")
async def alert_page(request: Request, user: User) -> Response:
    console = _console(request)
    entry = _entry(request)
    alert = entry.alert
    model = views.alert_model(entry)
    chunks = console.transcripts.chunks(alert["broadcast_id"])
    n = console.settings.console.context_chunks
    terms = views.matched_terms(alert.get("explanation") or [])
    context = views.context_window(chunks, alert["seqs"], n, n, terms)
    articles = [(a, dsa.ARTICLES.get(dsa.article_number(a) or "", "")) for a in alert["dsa"]["articles"]]
    factcheck = alert.get("factcheck") if isinstance(alert.get("factcheck"), dict) else None
    return _render(
        request, user, "alert.html", entry=entry, alert=alert, model=model, context=context,
        evidence=views.highlight(entry.evidence or "", terms), transcripts_on=console.transcripts.path is not None,
        scores=views.score_rows(alert), why=render.why(model), articles=articles,
        factcheck=factcheck, factcheck_url=views.safe_link((factcheck or {}).get("url")),
        excerpt=rule_excerpt(console.settings.rules.paths, alert["rule"]["id"]), history=views.review_history(entry),
        state=views.state_of(entry), sor=sor_preview(console.live.view, entry), outcomes=OUTCOMES,
        outcome_words=OUTCOME_WORDS, outcome_keys=OUTCOME_KEYS, repeats=len(entry.repeats),
        latency=views.latency_text(alert.get("latency_ms")), version=console.live.version,
    )


@guarded("review")
async def review(request: Request, user: User) -> Response:
    console = _console(request)
    alert_id = request.path_params["alert_id"]
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    note = str(form.get("note") or "").strip()
    if outcome not in OUTCOMES:
        return _error(request, user, 400, f"outcome must be one of {', '.join(OUTCOMES)}")
    try:  # the reviewer is the authenticated user, never a name from the form
        await run_in_threadpool(console.desk.submit, alert_id, outcome, user.name, note)
    except UnknownAlert:
        return _error(request, user, 404, "no such alert in the decision log")
    except ValidationError as exc:
        return _error(request, user, 400, "; ".join(e["msg"] for e in exc.errors()))
    except ValueError as exc:
        return _error(request, user, 409, str(exc))
    if console.refresh():
        console.feed.publish()
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@guarded("read")
async def alert_json(request: Request, _user: User) -> Response:
    return JSONResponse(_console(request).live.view.provenance(_entry(request).alert_id))


@guarded("read")
async def alert_sor_json(request: Request, user: User) -> Response:
    preview = sor_preview(_console(request).live.view, _entry(request))
    if preview is None:
        return _error(request, user, 409, "no statement of reasons before a reviewer confirms the alert")
    return JSONResponse({k: preview[k] for k in ("statement", "errors", "reason")})


# --- broadcast, statements, rule quality, admin ------------------------------------------------------

@guarded("read")
async def broadcast_page(request: Request, user: User) -> Response:
    console = _console(request)
    bid = request.path_params["broadcast_id"]
    entries = [e for e in console.live.view.alerts.values() if e.alert["broadcast_id"] == bid]
    chunks = console.transcripts.chunks(bid)
    if not entries and not chunks:
        raise HTTPException(404, "no such broadcast in the decision log or the transcripts")
    tl = views.timeline(bid, chunks, entries)
    title = next((c.get("title") for c in chunks if c.get("title")), None) or next(
        (e.alert.get("title") for e in entries if e.alert.get("title")), None)
    rows = sorted((views.queue_row(e, _now()) for e in entries), key=lambda r: r.detected_at, reverse=True)
    return _render(request, user, "broadcast.html", broadcast_id=bid, title=title, chart=timeline_svg(tl), tl=tl,
                   rows=rows, chunks=len(chunks), transcripts_on=console.transcripts.path is not None)


@guarded("read")
async def sor_page(request: Request, user: User) -> Response:
    since, until = _period(request, 7)
    result = export_statements(_console(request).live.view, since, until, include_submitted=True)
    return _render(request, user, "sor.html", since=since, until=until, result=result,
                   download=f"/sor/export?{urlencode({'since': since.isoformat(), 'until': until.isoformat()})}")


@guarded("read")
async def sor_export(request: Request, _user: User) -> Response:
    since, until = _period(request, 7)
    result = export_statements(_console(request).live.view, since, until)
    body = "".join(json.dumps({"statements": b}, ensure_ascii=False) + "\n" for b in result.batches())
    name = f"statements-{since.isoformat()}-{until.isoformat()}.jsonl"
    return Response(body, media_type="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@guarded("read")
async def rules_page(request: Request, user: User) -> Response:
    since, until = _period(request, 30)
    table = views.rule_quality(_console(request).live.view, since, until)
    return _render(request, user, "rules.html", since=since, until=until, table=table)


@guarded("admin")
async def admin_page(request: Request, user: User) -> Response:
    console = _console(request)
    settings = console.settings.console.model_dump(mode="json")
    return _render(request, user, "admin.html", accounts=console.auth.accounts.all(), console_settings=settings,
                   log_path=console.settings.audit.path, decisions=console.transcripts.path,
                   broadcasts=len(console.transcripts.broadcasts), alerts=len(console.live.view.alerts),
                   publishing=console.publisher is not None, topic=console.settings.kafka.reviews_topic)


async def not_found(request: Request, exc: HTTPException) -> Response:
    user = _console(request).auth.user(request)
    return _error(request, user, exc.status_code, exc.detail)


def routes(static_dir: Path) -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/", queue_page, methods=["GET"]),
        Route("/queue/rows", queue_rows, methods=["GET"]),
        Route("/events", events, methods=["GET"]),
        Route("/api/queue", queue_json, methods=["GET"]),
        Route("/alerts/{alert_id}", alert_page, methods=["GET"]),
        Route("/alerts/{alert_id}/review", review, methods=["POST"]),
        Route("/api/alerts/{alert_id}", alert_json, methods=["GET"]),
        Route("/api/alerts/{alert_id}/sor", alert_sor_json, methods=["GET"]),
        Route("/broadcasts/{broadcast_id}", broadcast_page, methods=["GET"]),
        Route("/sor", sor_page, methods=["GET"]),
        Route("/sor/export", sor_export, methods=["GET"]),
        Route("/rules", rules_page, methods=["GET"]),
        Route("/admin", admin_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
