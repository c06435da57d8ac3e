"""Statements of reasons (EU Transparency Database API v1) for alerts a reviewer confirmed.

Choices, per field:
- `content_type` CONTENT_TYPE_AUDIO (a live audio broadcast), `source_type` SOURCE_VOLUNTARY (the
  platform's own detection), `automated_detection` "Yes" (the monitor found it).
- `automated_decision` AUTOMATED_DECISION_PARTIALLY: the restriction is decided by a human reviewer
  (Art. 20), but automated means proposed it — the rule chose the category, the ground and the
  suggested measure, and the reviewer confirmed. It is neither FULLY (a person took the decision) nor
  NOT_AUTOMATED (automated means shaped the decision, not only the detection).
- `category`, `category_specification`, `decision_ground` from the rule's `dsa`; the ground's
  explanation from the rule's terms clause and title; `decision_visibility` from the rule's
  `actions.decision_visibility`. A rule that prescribes no restriction yields no statement (Art. 17
  applies to restrictions only): `NoRestriction`.
- `decision_facts` from the rule, the matched conditions and the evidence excerpt. The rule's own
  text (title, terms clause, keyword terms) is the project's and is kept verbatim; the transcript
  excerpt and the chunk values of field conditions (a broadcast title can name its host) have
  personal data removed (`monitor.sor.redact`); speaker-field conditions and regex matches
  (transcript text) are left out.
- `puid` = "cct-alert-" + alert_id: unique per alert, stable across exports, never reused.
- `content_language` upper-case ISO 639-1 (Greek `EL`); `territorial_scope` = the chunk's
  territories ∩ the Transparency Database's list; dates `YYYY-MM-DD` (content: when it was spoken,
  i.e. detection time minus the alert's latency; application: the review date).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor import dsa
from monitor.audit.read import AlertEntry, LogView, parse_time
from monitor.rules_engine.leaves import leaf_of
from monitor.sor.redact import person_terms, redact

PUID_PREFIX = "cct-alert-"
EXCERPT_CHARS = 600


class NoRestriction(ValueError):
    """The alert's rule prescribes no restriction, so no statement of reasons is due."""


def puid_for(alert_id: str) -> str:
    """The statement's platform-unique id for an alert."""
    return f"{PUID_PREFIX}{alert_id}"


def _words(identifier: str, prefix: str) -> str:
    return identifier.removeprefix(prefix).replace("_", " ").lower()


def _condition(entry: dict[str, Any], terms: list[str]) -> str | None:
    leaf = leaf_of(entry)
    if leaf is not None:
        return leaf.fact(entry, lambda text: redact(text, terms))
    if "not" in entry:
        return "an excluding condition did not hold"
    return None


def decision_facts(entry: AlertEntry, terms: list[str]) -> str:
    """The facts and circumstances, built from the rule and the evidence, with personal data removed."""
    alert = entry.alert
    rule = alert["rule"]
    conditions = [c for leaf in alert.get("explanation", []) if (c := _condition(leaf, terms))]
    parts = [
        f"Live audio broadcast. The platform's automated monitor flagged a passage under rule {rule['id']} "
        f"v{rule['version']} (\"{rule['title']}\") of rule set {rule.get('ruleset')} v{rule.get('ruleset_version')}.",
    ]
    if conditions:
        parts.append("Conditions met: " + "; ".join(conditions) + ".")
    if alert.get("start_ms") is not None:
        end_ms = alert.get("end_ms") or alert["start_ms"]
        parts.append(f"Position in the broadcast: {alert['start_ms'] / 1000:.0f}s to {end_ms / 1000:.0f}s.")
    excerpt = entry.evidence
    if excerpt:
        cut = redact(excerpt, terms)
        if len(cut) > EXCERPT_CHARS:
            cut = cut[: EXCERPT_CHARS - 1] + "…"
        parts.append(f"Excerpt (personal data removed): \"{cut}\".")
    review = entry.review or {}
    parts.append(f"A human reviewer confirmed the violation on {parse_time(review['reviewed_at']).date().isoformat()}."
                 if review else "")
    return " ".join(p for p in parts if p)[:5000]


def content_time(entry: AlertEntry) -> datetime:
    """When the content was spoken: detection time minus the measured chunk-to-alert latency."""
    latency = entry.alert.get("latency_ms")
    return entry.detected_at - timedelta(milliseconds=latency) if latency is not None else entry.detected_at


def build_statement(entry: AlertEntry, terms: list[str]) -> dict[str, Any]:
    """The Transparency Database payload for one confirmed alert."""
    alert = entry.alert
    review = entry.review
    if review is None or review["outcome"] != "confirmed":
        raise ValueError(f"alert {entry.alert_id} is not confirmed by a reviewer")
    visibility = (alert.get("actions") or {}).get("decision_visibility")
    if not visibility:
        raise NoRestriction(f"rule {alert['rule']['id']} prescribes no restriction (actions.decision_visibility)")
    d = alert["dsa"]
    ground = d["decision_ground"]
    category_words = _words(d["category"], "STATEMENT_CATEGORY_")
    spec_words = ", ".join(_words(s, "KEYWORD_") for s in d.get("specification", []))
    articles = ", ".join(d.get("articles", []))
    explanation = (
        f"{alert['rule']['title']}. Category: {category_words}" + (f" ({spec_words})" if spec_words else "")
        + f". Rule {alert['rule']['id']} v{alert['rule']['version']}; DSA articles {articles}."
    )[:2000]
    statement: dict[str, Any] = {
        "decision_visibility": [visibility],
        "decision_ground": ground,
        "content_type": [dsa.CONTENT_TYPE_LIVE_AUDIO],
        "category": d["category"],
        "content_date": content_time(entry).date().isoformat(),
        "application_date": parse_time(review["reviewed_at"]).date().isoformat(),
        "decision_facts": decision_facts(entry, terms),
        "source_type": dsa.SOURCE_OWN_DETECTION,
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY",
        "puid": puid_for(entry.alert_id),
    }
    if d.get("specification"):
        statement["category_specification"] = sorted(set(d["specification"]))
    tos = d.get("tos_clause") or alert["rule"]["title"]
    if ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        territories = ", ".join(sorted(set(alert.get("territories") or []))) or "the member states where it was available"
        statement["illegal_content_legal_ground"] = (
            f"Illegal {category_words}" + (f" ({spec_words})" if spec_words else "")
            + f" under the law of {territories}; terms clause {tos}"
        )[:500]
        statement["illegal_content_explanation"] = explanation
    else:
        statement["incompatible_content_ground"] = f"Terms and conditions: {tos}"[:500]
        statement["incompatible_content_explanation"] = explanation
    scope = sorted(set(alert.get("territories") or []) & dsa.TERRITORIAL_SCOPE)
    if scope:
        statement["territorial_scope"] = scope
    if alert.get("language"):
        statement["content_language"] = alert["language"].upper()
    return statement


def log_person_terms(view: LogView) -> list[str]:
    """Every speaker name and id the decision log knows, as redaction terms."""
    speakers = [e.alert.get("speaker") or {} for e in view.alerts.values()]
    speakers += [s for e in view.alerts.values() for s in e.body.get("context_speakers", [])]
    return person_terms((s.get("name") for s in speakers), (s.get("id") for s in speakers))
