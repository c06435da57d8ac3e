"""Turn validated rule sets into evaluators, once per load.

Leaves are compiled by their leaf type (`monitor.rules_engine.leaves`); this module builds the
`all` / `any` / `not` branches around them and reads traces back (matched leaves, label thresholds).

Every node has `test(view)` (short-circuit, for the hot path) and `trace(view)` (evaluates everything
and records values, for explanations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.rules_engine.leaves import LEAF_TYPES, CompileContext, leaf_of
from monitor.rules_engine.leaves.keywords import ListMatchers
from monitor.rules_engine.leaves.label import LabelLeaf
from monitor.rules_engine.leaves.regex import RegexLeaf, any_of
from monitor.rules_engine.loader import LoadedRuleSet
from monitor.rules_engine.model import AllCondition, AnyCondition, Condition, NotCondition, Rule, RuleSet
from monitor.rules_engine.view import ChunkView, Node


def _labels_only(node: Node) -> bool:
    """Whether `node` reads nothing but label scores: a dictionary look-up and a comparison, which never raises."""
    if isinstance(node, LabelLeaf):
        return True
    if isinstance(node, NotNode):
        return _labels_only(node.child)
    if isinstance(node, AllNode | AnyNode):
        return all(_labels_only(c) for c in node.children)
    return False


def _labels_first(children: list[Node]) -> list[Node]:
    """`children` with the label-only ones first, each group in written order: `test` of a branch gives the same
    result in any order (every node is a pure function of the view), and a score comparison, false for most
    chunks, then spares the regex, keyword and narrative leaves beside it."""
    return sorted(children, key=lambda c: not _labels_only(c))


@dataclass(slots=True)
class AllNode:
    children: list[Node]  # as written: the order of traces
    _test_order: list[Node] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._test_order = _labels_first(self.children)

    def test(self, view: ChunkView) -> bool:
        for c in self._test_order:
            if not c.test(view):
                return False
        return True

    def trace(self, view: ChunkView) -> dict[str, Any]:
        kids = [c.trace(view) for c in self.children]
        return {"all": kids, "matched": all(k["matched"] for k in kids)}


def _regexes_joined(children: list[Node]) -> list[Node]:
    """`children` of an `any` branch with its regex leaves of one scope and case sensitivity tested as one
    alternation (`any_of`), in the place of the first of them."""
    groups: dict[tuple[str, bool], list[RegexLeaf]] = {}
    for c in children:
        if isinstance(c, RegexLeaf):
            groups.setdefault((c.scope, c.case_sensitive), []).append(c)
    joined = {key: any_of(leaves) for key, leaves in groups.items()}
    out: list[Node] = []
    for c in children:
        key = (c.scope, c.case_sensitive) if isinstance(c, RegexLeaf) else None
        one = joined.get(key) if key is not None else None
        if one is None:
            out.append(c)
        elif c is groups[key][0]:
            out.append(one)
    return out


@dataclass(slots=True)
class AnyNode:
    children: list[Node]  # as written: the order of traces
    _test_order: list[Node] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._test_order = _labels_first(_regexes_joined(self.children))

    def test(self, view: ChunkView) -> bool:
        for c in self._test_order:
            if c.test(view):
                return True
        return False

    def trace(self, view: ChunkView) -> dict[str, Any]:
        kids = [c.trace(view) for c in self.children]
        return {"any": kids, "matched": any(k["matched"] for k in kids)}


@dataclass(slots=True)
class NotNode:
    child: Node

    def test(self, view: ChunkView) -> bool:
        return not self.child.test(view)

    def trace(self, view: ChunkView) -> dict[str, Any]:
        kid = self.child.trace(view)
        return {"not": kid, "matched": not kid["matched"]}


def compile_condition(cond: Condition, ctx: CompileContext) -> Node:
    """The evaluator of one validated condition tree."""
    if isinstance(cond, AllCondition):
        return AllNode([compile_condition(c, ctx) for c in cond.all])
    if isinstance(cond, AnyCondition):
        return AnyNode([compile_condition(c, ctx) for c in cond.any])
    if isinstance(cond, NotCondition):
        return NotNode(compile_condition(cond.not_, ctx))
    for leaf in LEAF_TYPES.values():
        if isinstance(cond, leaf.model):
            return leaf.compile(cond, ctx)
    raise TypeError(f"not a condition: {cond!r}")


def matched_leaves(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaves that made a matching trace true (a `not` counts as one leaf), with their values."""
    if not trace.get("matched"):
        return []
    for key in ("all", "any"):
        if key in trace:
            return [leaf for kid in trace[key] for leaf in matched_leaves(kid)]
    return [trace]


def label_thresholds(trace: dict[str, Any]) -> dict[str, float]:
    """label → threshold of every label leaf in a trace."""
    found: dict[str, float] = {}
    leaf = leaf_of(trace)
    if leaf is not None:
        found.update(leaf.thresholds(trace))
    for key in ("all", "any"):
        for kid in trace.get(key, ()):
            found.update(label_thresholds(kid))
    if "not" in trace:
        found.update(label_thresholds(trace["not"]))
    return found


@dataclass(slots=True)
class CompiledRule:
    """A rule ready to evaluate, with the identity of the set it came from."""

    rule: Rule
    ruleset: RuleSet
    path: str
    sha256: str
    ruleset_sha256: str
    when: Node
    unless: list[tuple[str, Node]]
    escalate: list[tuple[str, int, Node]]
    uses_labels: bool = False
    labels: set[str] = field(default_factory=set)
    narrative_sets: set[str] = field(default_factory=set)


def leaf_models(cond: Any) -> list[Any]:
    """Every leaf model of a condition tree."""
    if isinstance(cond, (AllCondition, AnyCondition)):
        return [leaf for kid in (cond.all if isinstance(cond, AllCondition) else cond.any) for leaf in leaf_models(kid)]
    if isinstance(cond, NotCondition):
        return leaf_models(cond.not_)
    return [cond]


def _read_by(conds: Sequence[Any]) -> tuple[set[str], set[str]]:
    """(classifier labels, narrative sets) the leaves of `conds` read."""
    labels: set[str] = set()
    narratives: set[str] = set()
    for cond in conds:
        for leaf_model in leaf_models(cond):
            leaf = next(t for t in LEAF_TYPES.values() if isinstance(leaf_model, t.model))
            labels |= leaf.labels(leaf_model)
            narratives |= leaf.narrative_sets(leaf_model)
    return labels, narratives


def narrative_keys(sets: Sequence[LoadedRuleSet]) -> set[str]:
    """The narrative sets (`set` or `set@context`) the rules of `sets` read."""
    keys: set[str] = set()
    for loaded in sets:
        for rule in loaded.ruleset.rules:
            keys |= _read_by([rule.when, *(e.when for e in rule.unless), *(e.when for e in rule.escalate)])[1]
    return keys


def compile_rule(rule: Rule, loaded: LoadedRuleSet, ctx: CompileContext) -> CompiledRule:
    """Compile one rule of a loaded set."""
    labels, narratives = _read_by([rule.when, *(e.when for e in rule.unless), *(e.when for e in rule.escalate)])
    return CompiledRule(
        rule=rule,
        ruleset=loaded.ruleset,
        path=loaded.path,
        sha256=loaded.rule_sha256[rule.id],
        ruleset_sha256=loaded.sha256,
        when=compile_condition(rule.when, ctx),
        unless=[(e.reason, compile_condition(e.when, ctx)) for e in rule.unless],
        escalate=[(e.reason, e.levels, compile_condition(e.when, ctx)) for e in rule.escalate],
        uses_labels=bool(labels),
        labels=labels,
        narrative_sets=narratives,
    )


def compile_rule_sets(sets: Sequence[LoadedRuleSet], narratives: Mapping[str, Any] | None = None) -> list[CompiledRule]:
    """Every rule of every set, compiled, in file then rule order (`narratives`: the narrative sets by name)."""
    compiled: list[CompiledRule] = []
    for loaded in sets:
        matchers = {name: ListMatchers(entry) for name, entry in loaded.ruleset.keyword_lists.items()}
        ctx = CompileContext(matchers, narratives or {})
        compiled.extend(compile_rule(rule, loaded, ctx) for rule in loaded.ruleset.rules)
    return compiled
