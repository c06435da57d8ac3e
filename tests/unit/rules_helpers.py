"""Builders for rule-engine unit tests: rule-set dicts, loaded engines and work items."""

from __future__ import annotations

import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any

import yaml

from monitor.contracts import chunk_from_obj
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import load_or_raise
from monitor.stages import SourceRecord, WorkItem

BASE_RULE: dict[str, Any] = {
    "id": "r-test",
    "version": "1.0.0",
    "title": "Test rule",
    "modified": dt.date(2026, 11, 27),
    "status": "stable",
    "mode": "enforce",
    "severity": "medium",
    "dsa": {
        "articles": ["34(1)(c)", "35"],
        "category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "specification": ["KEYWORD_MISINFORMATION_DISINFORMATION"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    },
    "tos_clause": "4.2",
    "when": {"keywords": {"list": "rigged"}},
    "tests": [{"text": "it is rigged", "expect": "alert"}, {"text": "all fine", "expect": "no_alert"}],
}


def ruleset(*rules: dict[str, Any], keyword_lists: dict[str, Any] | None = None, set_id: str = "test-set") -> dict[str, Any]:
    """A rule-set dict with the given rules (each merged over BASE_RULE)."""
    built = []
    for rule in rules or ({},):
        merged = copy.deepcopy(BASE_RULE)
        merged.update(rule)
        built.append(merged)
    return {
        "id": set_id,
        "version": "1.0.0",
        "title": "Test set",
        "owner": "tests",
        "jurisdiction": ["EU"],
        "effective_from": dt.date(2024, 1, 1),
        "keyword_lists": keyword_lists if keyword_lists is not None else {"rigged": ["rigged", "stolen election", "fraud*"]},
        "rules": built,
    }


def write_set(directory: Path, data: dict[str, Any], name: str = "set.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def engine_for(tmp_path: Path, *rules: dict[str, Any], keyword_lists: dict[str, Any] | None = None,
               **kwargs: Any) -> RuleEngine:
    write_set(tmp_path / "rules", ruleset(*rules, keyword_lists=keyword_lists))
    return RuleEngine(load_or_raise([tmp_path / "rules"]), **kwargs)


def item(text: str, seq: int = 0, broadcast: str = "b1", scores: dict[str, float] | None = None,
         context: list[str] | None = None, **fields: Any) -> WorkItem:
    """A WorkItem; `fields` are chunk fields (speaker={"id": ...}, end_ms=..., audience={...})."""
    obj = {"broadcast_id": broadcast, "seq": seq, "text": text, "end_ms": seq * 5000, **fields}
    ctx = [chunk_from_obj({"broadcast_id": broadcast, "seq": max(0, seq - len(context or []) + i), "text": t})
           for i, t in enumerate(context or [])]
    return WorkItem(chunk_from_obj(obj), SourceRecord("t", 0, seq, None, None), ctx, 0.0, dict(scores or {}))


def fired(engine: RuleEngine, *items: WorkItem) -> list[list[str]]:
    """Rule ids fired per item."""
    return [[f["rule_id"] for f in d.firings] for d in engine.evaluate(list(items), None)]


def settle(reloader: Any) -> None:
    """One between-batches call, then more until a validation it started off the main loop is applied."""
    reloader()
    deadline = time.monotonic() + 120
    while reloader.pending:
        assert time.monotonic() < deadline, "the rule validation never finished"
        time.sleep(0.05)
        reloader()
