"""Compare two versions of the rules for reviewers: added, removed and changed rules, with version changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.rules_engine.hashing import rule_body_sha256, rule_canonical
from monitor.rules_engine.loader import read_reference, semver_key
from monitor.rules_engine.model import Rule, RuleSet


@dataclass
class RuleChange:
    """One rule that differs between OLD and NEW."""

    rule_id: str
    ruleset: str
    old_version: str | None
    new_version: str | None
    fields: list[str] = field(default_factory=list)
    behaviour_changed: bool = False

    @property
    def kind(self) -> str:
        if self.old_version is None:
            return "added"
        if self.new_version is None:
            return "removed"
        return "changed"

    @property
    def version_ok(self) -> bool:
        """False when the behaviour changed but the version was not raised."""
        if self.kind != "changed" or not self.behaviour_changed:
            return True
        return semver_key(self.new_version or "0.0.0") > semver_key(self.old_version or "0.0.0")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule_id": self.rule_id, "ruleset": self.ruleset, "old_version": self.old_version,
                "new_version": self.new_version, "fields": self.fields, "behaviour_changed": self.behaviour_changed,
                "version_ok": self.version_ok}


@dataclass
class RuleDiff:
    """The changes between two rule trees, plus how many rules stayed identical."""

    changes: list[RuleChange]
    unchanged: int

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [c.as_dict() for c in self.changes], "unchanged": self.unchanged}


def _index(sets: Sequence[RuleSet]) -> dict[str, tuple[Rule, RuleSet]]:
    return {rule.id: (rule, rs) for rs in sets for rule in rs.rules}


def diff_rule_sets(old: Sequence[RuleSet], new: Sequence[RuleSet]) -> RuleDiff:
    """Rules added, removed and changed (with the top-level fields that differ), in id order."""
    before, after = _index(old), _index(new)
    changes: list[RuleChange] = []
    unchanged = 0
    for rid in sorted(before.keys() | after.keys()):
        if rid not in before:
            rule, rs = after[rid]
            changes.append(RuleChange(rid, rs.id, None, rule.version))
            continue
        if rid not in after:
            rule, rs = before[rid]
            changes.append(RuleChange(rid, rs.id, rule.version, None))
            continue
        (o, ors), (n, nrs) = before[rid], after[rid]
        oc, nc = rule_canonical(o, ors.keyword_lists), rule_canonical(n, nrs.keyword_lists)
        fields = sorted(k for k in oc.keys() | nc.keys() if oc.get(k) != nc.get(k))
        if not fields:
            unchanged += 1
            continue
        behaviour = rule_body_sha256(o, ors.keyword_lists) != rule_body_sha256(n, nrs.keyword_lists)
        changes.append(RuleChange(rid, nrs.id, o.version, n.version, fields, behaviour))
    return RuleDiff(changes, unchanged)


def diff_paths(old: str, new: str) -> RuleDiff:
    """Diff two rule files/directories; OLD may also be a git revision of NEW's paths."""
    old_sets, _ = read_reference(old, [Path(new)])
    new_sets, _ = read_reference(new, [Path(new)])
    return diff_rule_sets(old_sets, new_sets)


def render_diff(diff: RuleDiff) -> str:
    """Readable lines for a reviewer."""
    lines = []
    for c in diff.changes:
        if c.kind == "added":
            lines.append(f"added    {c.rule_id} {c.new_version}  ({c.ruleset})")
        elif c.kind == "removed":
            lines.append(f"removed  {c.rule_id} {c.old_version}  ({c.ruleset})")
        else:
            what = "behaviour" if c.behaviour_changed else "metadata only"
            shown = ", ".join(c.fields)
            flag = "" if c.version_ok else "  VERSION NOT BUMPED"
            lines.append(f"changed  {c.rule_id} {c.old_version} -> {c.new_version}  ({what}: {shown}){flag}")
    added = sum(c.kind == "added" for c in diff.changes)
    removed = sum(c.kind == "removed" for c in diff.changes)
    changed = sum(c.kind == "changed" for c in diff.changes)
    lines.append(f"{added} added, {removed} removed, {changed} changed, {diff.unchanged} unchanged")
    return "\n".join(lines)
