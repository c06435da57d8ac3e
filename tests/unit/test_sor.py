"""Statements of reasons: the schema, payloads for every shipped rule, personal-data removal, batching and
submission to a local HTTP server that enforces the same schema."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from monitor.audit.log import AuditLog
from monitor.audit.read import AlertEntry, Located, LogView
from monitor.audit.reviews import ReviewIntake, ReviewMessage
from monitor.cli import cli
from monitor.rules_engine.loader import discover, load_or_raise
from monitor.sample import sample_broadcast_path
from monitor.sor.build import NoRestriction, build_statement, decision_facts, log_person_terms
from monitor.sor.export import Export, SubmissionError, export_statements, submit
from monitor.sor.redact import person_terms, redact
from monitor.sor.schema import SCHEMA_PATH, batch_schema, statement_schema, validation_errors

from audit_helpers import FIXTURES, run_fixture

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-123"


def _sample_speakers() -> set[str]:
    names = set()
    for line in sample_broadcast_path().read_text(encoding="utf-8").splitlines():
        speaker = json.loads(line).get("speaker") or {}
        names.update(v for k, v in speaker.items() if k in ("id", "name") and v)
    return names


def _leaks(text: str, names: set[str]) -> list[str]:
    """Speaker names or ids (or their parts of 3+ letters) found in text, case-insensitively."""
    parts = {p for n in names for p in [n, *re.split(r"[^\w]+", n)] if len(p) >= 3 and p not in ("caller",)}
    return sorted(p for p in parts if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text, re.IGNORECASE))


def test_exported_schema_file_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == statement_schema()


def _valid() -> dict:
    return {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"], "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "ToS 4.2", "incompatible_content_explanation": "election misinformation",
        "content_type": ["CONTENT_TYPE_AUDIO"], "category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "content_date": "2026-03-01", "application_date": "2026-03-02", "decision_facts": "facts",
        "source_type": "SOURCE_VOLUNTARY", "automated_detection": "Yes", "automated_decision": "AUTOMATED_DECISION_PARTIALLY",
        "puid": "cct-alert-abc", "content_language": "EL",
    }


@pytest.mark.parametrize("change,where", [
    ({"decision_visibility": None}, "<root>"),
    ({"incompatible_content_ground": None}, "<root>"),
    ({"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}, "<root>"),
    ({"puid": "has space"}, "puid"),
    ({"puid": "x" * 501}, "puid"),
    ({"content_language": "el"}, "content_language"),
    ({"content_date": "2026-3-1"}, "content_date"),
    ({"category": "STATEMENT_CATEGORY_MADE_UP"}, "category"),
    ({"automated_detection": "yes"}, "automated_detection"),
    ({"decision_facts": "x" * 5001}, "decision_facts"),
    ({"territorial_scope": ["US"]}, "territorial_scope/0"),
])
def test_schema_enforces_the_api_rules(change: dict, where: str) -> None:
    assert validation_errors(_valid()) == []
    payload = {k: v for k, v in {**_valid(), **change}.items() if v is not None}
    errors = validation_errors(payload)
    assert errors and any(e.startswith(where + ":") for e in errors), errors


def test_batch_schema_caps_at_100() -> None:
    assert validation_errors({"statements": [_valid()] * 100}, batch_schema()) == []
    assert validation_errors({"statements": [_valid()] * 101}, batch_schema())
    assert len(Export(statements=[_valid()] * 250, alert_ids=["a"] * 250).batches()) == 3


def _shipped_rules() -> list:
    sets = [*load_or_raise(discover([ROOT / "rules"])), *load_or_raise([FIXTURES / "rules_old"])]
    return [(loaded, rule) for loaded in sets for rule in loaded.ruleset.rules]


def _entry_for(rule, ruleset, speaker_name: str) -> AlertEntry:
    alert = {
        "alert_id": uuid.uuid4().hex, "broadcast_id": "b-1", "seqs": [3], "start_ms": 12000, "end_ms": 17000,
        "detected_at": "2026-03-01T20:00:00.000Z", "latency_ms": 800.0, "language": "el",
        "territories": ["GR", "CY", "US"], "speaker": {"id": "u-991", "name": speaker_name, "role": "guest"},
        "evidence": {"retention": "keep", "text": f"{speaker_name.split()[0].lower()} says it, call {speaker_name} at +30 210 1234567"},
        "rule": {"id": rule.id, "version": rule.version, "sha256": "0" * 64, "title": rule.title, "severity": rule.severity,
                 "mode": rule.mode, "ruleset": ruleset.id, "ruleset_version": ruleset.version},
        "dsa": {**rule.dsa.model_dump(mode="json"), "tos_clause": rule.tos_clause},
        "actions": rule.actions.model_dump(mode="json", exclude_none=True),
        "explanation": [{"field": "speaker.name", "eq": speaker_name, "matched": True}],
    }
    record = {"seq": 5, "type": "alert", "body": {"alert_id": alert["alert_id"], "alert": alert}}
    review = {"seq": 6, "type": "review", "body": {"outcome": "confirmed", "reviewed_at": "2026-03-02T09:00:00Z"}}
    return AlertEntry(Located("f", 1, record), reviews=[Located("f", 2, review)])


def test_every_shipped_rule_yields_a_valid_statement_without_personal_data() -> None:
    rules = _shipped_rules()
    assert rules
    built = 0
    for loaded, rule in rules:
        entry = _entry_for(rule, loaded.ruleset, "Eleni Papadopoulou")
        if not rule.actions.decision_visibility:
            with pytest.raises(NoRestriction):
                build_statement(entry, person_terms(["Eleni Papadopoulou"], ["u-991"]))
            continue
        statement = build_statement(entry, person_terms(["Eleni Papadopoulou"], ["u-991"]))
        assert validation_errors(statement) == [], (rule.id, validation_errors(statement))
        text = json.dumps(statement, ensure_ascii=False)
        assert _leaks(text, {"Eleni Papadopoulou", "u-991"}) == [], rule.id
        assert "1234567" not in text
        assert statement["content_language"] == "EL" and statement["territorial_scope"] == ["CY", "GR"]
        assert statement["content_type"] == ["CONTENT_TYPE_AUDIO"] and statement["source_type"] == "SOURCE_VOLUNTARY"
        assert statement["automated_detection"] == "Yes" and statement["puid"] == f"cct-alert-{entry.alert_id}"
        assert statement["decision_visibility"] == [rule.actions.decision_visibility]
        assert statement["category"] == rule.dsa.category
        built += 1
    assert built


def test_redaction_covers_names_inside_the_evidence() -> None:
    terms = person_terms(["Konrad Falk", "Gerry (caller, Cork)"], ["sstage-u-7"])
    out = redact("konrad said it to Gerry; mail konrad@falk.eu or see sstage-u-7, Maria Keller agreed", terms)
    assert "onrad" not in out and "Gerry" not in out and "sstage" not in out and "Keller" not in out
    out = redact("go to judge vosk's house on mill road; the president said no", terms)
    assert out == "go to [person]'s house on [address]; the president said no"


def test_field_conditions_on_chunk_text_are_redacted_in_the_facts() -> None:
    loaded, rule = _shipped_rules()[0]
    entry = _entry_for(rule, loaded.ruleset, "Eleni Papadopoulou")
    entry.alert["explanation"] = [
        {"field": "title", "contains": "debate", "value": "Late debate with Eleni Papadopoulou", "matched": True},
    ]
    facts = decision_facts(entry, person_terms(["Eleni Papadopoulou"], ["u-991"]))
    assert "title = Late debate with [person]" in facts
    assert _leaks(facts, {"Eleni Papadopoulou", "u-991"}) == []


class _TransparencyDB(BaseHTTPRequestHandler):
    """A stand-in for the Transparency Database: bearer token, the same schema, 422 or 201 with ids."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/v1/statements" or self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401 if self.path == "/api/v1/statements" else 404, {"message": "unauthorised"})
            return
        errors = validation_errors(body, batch_schema())
        if errors:
            self._reply(422, {"message": "validation failed", "errors": errors})
            return
        self.received.append(body)
        self._reply(201, {"statements": [{"puid": s["puid"], "uuid": str(uuid.uuid4())} for s in body["statements"]]})

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def tdb() -> Iterator[str]:
    _TransparencyDB.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TransparencyDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def reviewed_log(tmp_path: Path) -> Path:
    log_dir = tmp_path / "log"
    run_fixture(log_dir)
    intake = ReviewIntake(AuditLog(log_dir))
    for i, entry in enumerate(LogView(log_dir).alerts.values()):
        outcome = "false_positive" if i == 0 else "confirmed"
        intake.submit(ReviewMessage(alert_id=entry.alert_id, outcome=outcome, reviewer=f"rv-{i}"), "test")
    return log_dir


def test_export_from_a_fixture_run_is_valid_and_names_no_speaker(reviewed_log: Path) -> None:
    view = LogView(reviewed_log)
    export = export_statements(view, date(2000, 1, 1), date(2100, 1, 1))
    assert len(export.statements) == len(view.alerts) - 1 and not export.skipped
    assert set(log_person_terms(view)) >= {"Konrad Falk", "Konrad", "Falk"}
    for statement in export.statements:
        assert validation_errors(statement) == []
        assert _leaks(json.dumps(statement, ensure_ascii=False), _sample_speakers()) == []
    assert len({s["puid"] for s in export.statements}) == len(export.statements)


def test_submit_records_the_returned_ids_and_never_resends(reviewed_log: Path, tdb: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_SOR_TOKEN", TOKEN)
    runner = CliRunner()
    args = ["sor", "export", "--since", "2000-01-01", "--until", "2100-01-01", "--log", str(reviewed_log),
            "--submit", tdb, "--batch-size", "4"]
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    sent = [s for batch in _TransparencyDB.received for s in batch["statements"]]
    assert [len(b["statements"]) for b in _TransparencyDB.received] == [4, 2]
    view = LogView(reviewed_log)
    assert set(view.submitted_puids) == {s["puid"] for s in sent}
    assert all(view.submitted_puids.values())
    entry = next(e for e in view.alerts.values() if e.submissions)
    prov = view.provenance(entry.alert_id)
    assert prov["statements_of_reasons"][0]["puid"] == f"cct-alert-{entry.alert_id}"
    assert prov["statements_of_reasons"][0]["id"] == view.submitted_puids[prov["statements_of_reasons"][0]["puid"]]
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and len(_TransparencyDB.received) == 2
    assert "already submitted" in again.output


def test_a_rejected_batch_is_reported_and_not_logged(reviewed_log: Path, tdb: str) -> None:
    export = export_statements(LogView(reviewed_log), date(2000, 1, 1), date(2100, 1, 1))
    export.statements[0] = {**export.statements[0], "content_language": "english"}
    audit_log = AuditLog(reviewed_log)
    with pytest.raises(SubmissionError, match="HTTP 422"):
        submit(export, tdb, TOKEN, audit_log)
    assert not LogView(reviewed_log).submitted_puids


def test_an_accepted_batch_without_a_json_reply_is_still_recorded(tmp_path: Path) -> None:
    class Created(requests.Session):
        def post(self, *_args: object, **_kwargs: object) -> requests.Response:  # type: ignore[override]
            resp = requests.Response()
            resp.status_code, resp._content = 201, b"<html>created</html>"
            return resp

    audit_log = AuditLog(tmp_path)
    export = Export(statements=[_valid()], alert_ids=["a-1"])
    (record,) = submit(export, "http://tdb.invalid", TOKEN, audit_log, session=Created())
    audit_log.close()
    assert record["body"]["statements"] == [{"puid": "cct-alert-abc", "alert_id": "a-1", "id": None}]
    assert LogView(tmp_path).submitted_puids == {"cct-alert-abc": None}
