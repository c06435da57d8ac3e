"""JSON Schema (draft 2020-12) of an EU Transparency Database statement of reasons (API v1).

Written from the API's documented rules (see DSA.md): the always-required fields, the enums from
`monitor.dsa`, length limits, the `puid` pattern, the fields that DECISION_GROUND_ILLEGAL_CONTENT
and DECISION_GROUND_INCOMPATIBLE_CONTENT make required, and "at least one of" the decision_* fields.
`write_schema` exports it to monitor/schemas/sor_statement.schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from monitor import dsa

SCHEMA_ID = "https://cct-tracking.invalid/schemas/sor_statement.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "sor_statement.schema.json"
MAX_BATCH = 100
DATE_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
PUID_PATTERN = r"^[a-zA-Z0-9-_]+$"
REQUIRED = (
    "decision_ground", "content_type", "category", "content_date", "application_date", "decision_facts",
    "source_type", "automated_detection", "automated_decision", "puid",
)
DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")


def _enum(values: frozenset[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(values)}


def _enum_array(values: frozenset[str]) -> dict[str, Any]:
    return {"type": "array", "items": _enum(values), "minItems": 1, "uniqueItems": True}


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _date() -> dict[str, Any]:
    return {"type": "string", "pattern": DATE_PATTERN}


def statement_schema() -> dict[str, Any]:
    """The schema of one statement of reasons."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "EU Transparency Database statement of reasons (API v1)",
        "description": "One statement of reasons as POSTed to /api/v1/statement(s); no personal data.",
        "type": "object",
        "additionalProperties": False,
        "required": list(REQUIRED),
        "properties": {
            "decision_visibility": _enum_array(dsa.DECISION_VISIBILITY),
            "decision_monetary": _enum(dsa.DECISION_MONETARY),
            "decision_provision": _enum(dsa.DECISION_PROVISION),
            "decision_account": _enum(dsa.DECISION_ACCOUNT),
            "account_type": _enum(dsa.ACCOUNT_TYPES),
            "decision_ground": _enum(dsa.DECISION_GROUNDS),
            "decision_ground_reference_url": {"type": "string", "maxLength": 500, "pattern": r"^https?://"},
            "illegal_content_legal_ground": _text(500),
            "illegal_content_explanation": _text(2000),
            "incompatible_content_ground": _text(500),
            "incompatible_content_explanation": _text(2000),
            "content_type": _enum_array(dsa.CONTENT_TYPES),
            "category": _enum(dsa.CATEGORIES),
            "category_addition": _enum_array(dsa.CATEGORIES),
            "category_specification": _enum_array(dsa.SPECIFICATIONS),
            "category_specification_other": _text(500),
            "territorial_scope": _enum_array(dsa.TERRITORIAL_SCOPE),
            "content_language": {"type": "string", "pattern": r"^[A-Z]{2}$"},
            "content_date": _date(),
            "application_date": _date(),
            "end_date_visibility_restriction": _date(),
            "end_date_monetary_restriction": _date(),
            "end_date_service_restriction": _date(),
            "end_date_account_restriction": _date(),
            "decision_facts": _text(5000),
            "source_type": _enum(dsa.SOURCE_TYPES),
            "source_identity": _text(500),
            "automated_detection": _enum(dsa.AUTOMATED_DETECTION),
            "automated_decision": _enum(dsa.AUTOMATED_DECISION),
            "puid": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": PUID_PATTERN},
        },
        "anyOf": [{"required": [field]} for field in DECISIONS],
        "allOf": [
            {
                "if": {"properties": {"decision_ground": {"const": "DECISION_GROUND_ILLEGAL_CONTENT"}}},
                "then": {"required": ["illegal_content_legal_ground", "illegal_content_explanation"]},
            },
            {
                "if": {"properties": {"decision_ground": {"const": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}}},
                "then": {"required": ["incompatible_content_ground", "incompatible_content_explanation"]},
            },
        ],
    }


def batch_schema() -> dict[str, Any]:
    """The schema of a `/api/v1/statements` request body: 1 to 100 statements."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["statements"],
        "properties": {"statements": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": statement_schema()}},
    }


def validation_errors(payload: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """Every schema violation of a payload, as `path: message` (empty when valid)."""
    validator = Draft202012Validator(schema or statement_schema())
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Export the statement schema as pretty JSON; returns the path."""
    path.write_text(json.dumps(statement_schema(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
