"""Canonical sha256 of rules and rule sets, stamped into every decision and alert.

The canonical form is the model dumped as JSON (aliases, defaults filled in, keys sorted, no
whitespace), so formatting, comments and key order in the YAML never change a hash, while any
change in meaning does. A rule's hash also covers the contents of the keyword lists it references.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from monitor.canonical import canonical_json
from monitor.rules_engine.model import Rule, RuleSet

# Fields of a rule that do not change what it does: editing only these needs no version bump.
NON_BODY_FIELDS = ("version", "modified", "tests", "status", "references", "falsepositives", "description")


def sha256_of(data: Any) -> str:
    """sha256 hex digest of the canonical JSON of `data`."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def keyword_lists_used(node: Any) -> set[str]:
    """Names of the keyword lists a dumped condition tree (or rule) references."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("keywords")
        if isinstance(ref, dict) and isinstance(ref.get("list"), str):
            found.add(ref["list"])
        for value in node.values():
            found |= keyword_lists_used(value)
    elif isinstance(node, list):
        for value in node:
            found |= keyword_lists_used(value)
    return found


def rule_canonical(rule: Rule, keyword_lists: Mapping[str, Any]) -> dict[str, Any]:
    """The rule as plain data plus the keyword lists it uses (plain lists, or per-language mappings, as written)."""
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    used = sorted(keyword_lists_used(data))
    data["keyword_lists"] = {name: keyword_lists.get(name, []) for name in used}
    return data


def rule_sha256(rule: Rule, keyword_lists: Mapping[str, Any]) -> str:
    """sha256 of everything the rule is, tests and metadata included."""
    return sha256_of(rule_canonical(rule, keyword_lists))


def rule_body_sha256(rule: Rule, keyword_lists: Mapping[str, Any]) -> str:
    """sha256 of what the rule does (NON_BODY_FIELDS left out): a change here needs a version bump."""
    data = rule_canonical(rule, keyword_lists)
    for key in NON_BODY_FIELDS:
        data.pop(key, None)
    return sha256_of(data)


def ruleset_sha256(ruleset: RuleSet) -> str:
    """sha256 of a whole rule-set file's meaning."""
    return sha256_of(ruleset.model_dump(mode="json", by_alias=True, exclude_none=True))


def combined_sha256(hashes: list[str]) -> str:
    """One hash over several rule sets (order-independent)."""
    return sha256_of(sorted(hashes))
