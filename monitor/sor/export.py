"""Select confirmed alerts from the decision log, build and validate their statements, batch and submit them.

Only alerts whose latest review is `confirmed` and falls in [since, until] (review date, UTC) are
exported; a puid already recorded as submitted is never sent again. Every payload is validated
against the schema before it is batched (≤ 100 per request); submission posts each batch to
`{url}/api/v1/statements` with a bearer token and records the returned ids in the decision log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import requests

from monitor.audit.log import AuditLog
from monitor.audit.read import LogView, parse_time
from monitor.sor.build import NoRestriction, build_statement, log_person_terms, puid_for
from monitor.sor.schema import MAX_BATCH, validation_errors

STATEMENTS_PATH = "/api/v1/statements"


class SubmissionError(RuntimeError):
    """The Transparency Database (or the server standing in for it) refused a batch."""


@dataclass(slots=True)
class Export:
    """Statements ready to send, and the alerts left out with the reason."""

    statements: list[dict[str, Any]] = field(default_factory=list)
    alert_ids: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def batches(self, size: int = MAX_BATCH) -> list[list[dict[str, Any]]]:
        """The statements in request-sized batches."""
        size = max(1, min(size, MAX_BATCH))
        return [self.statements[i:i + size] for i in range(0, len(self.statements), size)]


def export_statements(view: LogView, since: date, until: date, include_submitted: bool = False) -> Export:
    """Build and validate a statement for every alert confirmed in [since, until]."""
    out = Export()
    terms = log_person_terms(view)
    for entry in view.alerts.values():
        review = entry.review
        if review is None or review["outcome"] != "confirmed":
            continue
        if not since <= parse_time(review["reviewed_at"]).date() <= until:
            continue
        if puid_for(entry.alert_id) in view.submitted_puids and not include_submitted:
            out.skipped.append({"alert_id": entry.alert_id, "reason": "already submitted"})
            continue
        try:
            statement = build_statement(entry, terms)
        except NoRestriction as exc:
            out.skipped.append({"alert_id": entry.alert_id, "reason": str(exc)})
            continue
        errors = validation_errors(statement)
        if errors:
            out.skipped.append({"alert_id": entry.alert_id, "reason": "invalid statement: " + "; ".join(errors)})
            continue
        out.statements.append(statement)
        out.alert_ids.append(entry.alert_id)
    return out


def submit(export: Export, url: str, token: str, audit_log: AuditLog, batch_size: int = MAX_BATCH,
           timeout_s: float = 30.0, session: requests.Session | None = None) -> list[dict[str, Any]]:
    """POST every batch; after each accepted batch append a `sor_submitted` record; returns those records."""
    http = session or requests.Session()
    endpoint = url.rstrip("/") + STATEMENTS_PATH
    by_puid = dict(zip((s["puid"] for s in export.statements), export.alert_ids, strict=True))
    records = []
    for n, batch in enumerate(export.batches(batch_size), start=1):
        resp = http.post(endpoint, json={"statements": batch}, timeout=timeout_s,
                         headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        if resp.status_code != 201:
            raise SubmissionError(f"batch {n}: HTTP {resp.status_code}: {resp.text[:2000]}")
        ids = _returned_ids(batch, _returned_items(resp))
        body = {
            "endpoint": endpoint, "batch": n, "http_status": resp.status_code,
            "statements": [{"puid": s["puid"], "alert_id": by_puid[s["puid"]], "id": ids.get(s["puid"])} for s in batch],
        }
        records.append(audit_log.append("sor_submitted", body))
    return records


def _returned_items(resp: requests.Response) -> list[Any]:
    """The `statements` of an accepted batch's reply; empty when the body is not that JSON (the batch was
    accepted all the same, so it must still be recorded as submitted)."""
    try:
        body = resp.json()
    except ValueError:
        return []
    items = body.get("statements") if isinstance(body, dict) else None
    return items if isinstance(items, list) else []


def _returned_ids(batch: list[dict[str, Any]], returned: list[Any]) -> dict[str, str | None]:
    """puid → id the database assigned (`uuid` or `id`), matched by puid, else by position."""
    ids: dict[str, str | None] = {}
    for i, statement in enumerate(batch):
        item = next((r for r in returned if isinstance(r, dict) and r.get("puid") == statement["puid"]), None)
        if item is None and i < len(returned) and isinstance(returned[i], dict):
            item = returned[i]
        ids[statement["puid"]] = str(item.get("uuid") or item.get("id")) if item else None
    return ids
