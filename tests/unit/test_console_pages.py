"""What the console's pages show a reviewer: the alert's reasons, scores, rule, fact-check link, SoR, exports."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from alert_factory import make_alert
from console_fixtures import client_for, decision_line, log_in, page_token, settings_for, utc_now, write_alerts

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "rules_old"


def _setup(tmp_path: Path, **extra: object):
    alert = make_alert("bc-1", (2,), "fx-election-fraud", "high", **extra)
    write_alerts(tmp_path / "log", [alert])
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("".join(decision_line("bc-1", s, f"line {s} is rigged" if s == 2 else f"line {s}",
                                               {"election": 0.1 * s}, 100 * (s + 1)) for s in range(6)), encoding="utf-8")
    settings = settings_for(tmp_path, decisions_path=str(decisions), context_chunks=1)
    settings.rules.paths = [RULES]
    client = client_for(settings)
    assert log_in(client, "alice") == 303
    return alert, client


def test_the_alert_page_explains_the_alert(tmp_path: Path) -> None:
    alert, client = _setup(tmp_path, factcheck={"url": "https://factcheck.example/claims/42", "rating": "False",
                                                "publisher": "Example Checks", "narrative_id": "nv-42"})
    page = client.get(f"/alerts/{alert.alert_id}").text
    assert '<li class="evidence" data-seq="2">' in page and "<mark>rigged</mark>" in page
    assert 'data-seq="1"' in page and 'data-seq="3"' in page and 'data-seq="4"' not in page  # one chunk either side
    assert "<tr class=\"over\"><td>election</td><td>0.930</td>" in page and "≥ 0.80" in page
    assert "keywords &#39;rigging&#39; in text: rigged" in page
    assert "exceptions checked, none applied: quoting to debunk" in page
    assert "Art. 34(1)(c) — systemic risk assessment" in page and "Art. 35 — mitigation of systemic risks" in page
    assert "- id: fx-election-fraud" in page  # the rule's own YAML from its file
    assert "the file now holds v1.0.0; the alert fired under v1.2.0" in page
    assert '<a href="https://factcheck.example/claims/42" rel="noopener noreferrer"' in page and "rated “False”" in page
    assert "DECISION_VISIBILITY_CONTENT_LABELLED" in page and "120,000 listeners" in page
    assert 'id="sor-preview"' not in page  # no statement before a reviewer confirms


def test_a_fact_check_link_that_is_not_http_is_not_a_link(tmp_path: Path) -> None:
    alert, client = _setup(tmp_path, factcheck={"url": "javascript:alert(1)", "publisher": "Bad"})
    page = client.get(f"/alerts/{alert.alert_id}").text
    assert "javascript:" not in page and "Fact-check: Bad" in page


def test_confirming_shows_a_schema_valid_statement_and_the_period_export_has_it(tmp_path: Path) -> None:
    alert, client = _setup(tmp_path)
    token = page_token(client)
    assert client.post(f"/alerts/{alert.alert_id}/review", data={"outcome": "confirmed", "csrf_token": token}).status_code == 303
    page = client.get(f"/alerts/{alert.alert_id}").text
    assert 'id="sor-valid"' in page and f"cct-alert-{alert.alert_id}" in page
    api = client.get(f"/api/alerts/{alert.alert_id}/sor").json()
    assert api["errors"] == [] and api["statement"]["puid"] == f"cct-alert-{alert.alert_id}"
    assert "Caller Dave" not in json.dumps(api["statement"])  # the speaker's name is redacted
    today = utc_now().date()
    export = client.get(f"/sor/export?since={today - timedelta(days=1)}&until={today}")
    [batch] = [json.loads(line) for line in export.text.splitlines()]
    assert [s["puid"] for s in batch["statements"]] == [f"cct-alert-{alert.alert_id}"]
    assert "attachment" in export.headers["content-disposition"]
    assert client.get(f"/sor/export?since={today + timedelta(days=1)}&until={today + timedelta(days=2)}").text == ""
    assert client.get("/sor?since=2026-13-01").status_code == 400
    assert "<strong id=\"sor-count\">1</strong>" in client.get("/sor").text


def test_broadcast_page_draws_the_timeline_and_unknown_things_are_404(tmp_path: Path) -> None:
    alert, client = _setup(tmp_path)
    page = client.get("/broadcasts/bc-1").text
    assert '<svg class="timeline"' in page and f'href="/alerts/{alert.alert_id}"' in page
    assert page.count('class="strip"') == 2  # election + listeners
    assert client.get("/broadcasts/nope").status_code == 404
    assert client.get(f"/alerts/{'0' * 32}").status_code == 404
    assert client.get(f"/api/alerts/{alert.alert_id}").json()["rule"]["id"] == "fx-election-fraud"
