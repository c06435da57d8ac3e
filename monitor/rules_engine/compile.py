"""Turn validated rule sets into evaluators, once per load.

Leaves: `label` compares a classifier score; `keywords` matches whole words (case- and
accent-insensitive; a trailing `*` matches a word prefix; multi-word terms match consecutive words);
`regex` runs an RE2 pattern (linear time) on the text with accents removed; `field` tests a chunk field.
`scope: context` searches the preceding context chunks together with the chunk itself.

Every node has `test(view)` (short-circuit, for the hot path) and `trace(view)` (evaluates everything
and records values, for explanations).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from monitor.contracts import TranscriptChunk
from monitor.rules_engine.loader import LoadedRuleSet, compile_regex
from monitor.rules_engine.model import (
    AllCondition,
    AnyCondition,
    Condition,
    FieldCondition,
    KeywordsCondition,
    LabelCondition,
    NotCondition,
    RegexCondition,
    Rule,
    RuleSet,
)

_WORD = re.compile(r"\w+")


def strip_accents(text: str) -> str:
    """The text with combining marks removed (é → e), case kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens."""
    return _WORD.findall(strip_accents(text).casefold())


class ChunkView:
    """One chunk as the conditions see it: text per scope, words, scores and fields (computed lazily, once)."""

    __slots__ = ("chunk", "scores", "context", "_cache")

    def __init__(self, chunk: TranscriptChunk, scores: dict[str, float], context: Sequence[TranscriptChunk] = ()) -> None:
        self.chunk = chunk
        self.scores = scores
        self.context = context
        self._cache: dict[tuple[str, str], Any] = {}

    def text(self, scope: str) -> str:
        if scope == "context" and self.context:
            return "\n".join([*(c.text for c in self.context), self.chunk.text])
        return self.chunk.text

    def plain(self, scope: str) -> str:
        key = ("plain", scope)
        if key not in self._cache:
            self._cache[key] = strip_accents(self.text(scope))
        return self._cache[key]

    def words(self, scope: str) -> list[str]:
        key = ("words", scope)
        if key not in self._cache:
            self._cache[key] = _WORD.findall(self.plain(scope).casefold())
        return self._cache[key]

    def field(self, name: str) -> Any:
        node: Any = self.chunk
        for part in name.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node


class Node(Protocol):
    def test(self, view: ChunkView) -> bool: ...

    def trace(self, view: ChunkView) -> dict[str, Any]: ...


class KeywordMatcher:
    """Whole-word matcher for one keyword list."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.prefixes: list[tuple[str, str]] = []
        for term in terms:
            prefix = term.endswith("*")
            toks = tuple(words(term.rstrip("*")))
            if prefix and len(toks) == 1:
                self.prefixes.append((toks[0], term))
            elif toks:
                self.phrases.setdefault(toks[0], []).append((toks, term))

    def find(self, toks: Sequence[str], first_only: bool = False) -> list[str]:
        """Terms of the list found in `toks`, in order of appearance, without repeats."""
        found: list[str] = []
        for i, tok in enumerate(toks):
            for phrase, term in self.phrases.get(tok, ()):
                if tuple(toks[i:i + len(phrase)]) == phrase and term not in found:
                    found.append(term)
            for prefix, term in self.prefixes:
                if tok.startswith(prefix) and term not in found:
                    found.append(term)
            if first_only and found:
                break
        return found


@dataclass(slots=True)
class LabelLeaf:
    label: str
    op: str
    threshold: float

    def _match(self, score: float | None) -> bool:
        if score is None:
            return False
        return {"gte": score >= self.threshold, "gt": score > self.threshold,
                "lte": score <= self.threshold, "lt": score < self.threshold}[self.op]

    def test(self, view: ChunkView) -> bool:
        return self._match(view.scores.get(self.label))

    def trace(self, view: ChunkView) -> dict[str, Any]:
        score = view.scores.get(self.label)
        return {"label": self.label, self.op: self.threshold,
                "score": None if score is None else round(score, 6), "matched": self._match(score)}


@dataclass(slots=True)
class KeywordLeaf:
    name: str
    scope: str
    matcher: KeywordMatcher

    def test(self, view: ChunkView) -> bool:
        return bool(self.matcher.find(view.words(self.scope), first_only=True))

    def trace(self, view: ChunkView) -> dict[str, Any]:
        terms = self.matcher.find(view.words(self.scope))
        return {"keywords": self.name, "scope": self.scope, "terms": terms, "matched": bool(terms)}


@dataclass(slots=True)
class RegexLeaf:
    pattern: str
    scope: str
    regex: Any

    def test(self, view: ChunkView) -> bool:
        return self.regex.search(view.plain(self.scope)) is not None

    def trace(self, view: ChunkView) -> dict[str, Any]:
        m = self.regex.search(view.plain(self.scope))
        return {"regex": self.pattern, "scope": self.scope, "match": m.group(0) if m else None, "matched": m is not None}


@dataclass(slots=True)
class FieldLeaf:
    name: str
    op: str
    expected: Any

    def _match(self, value: Any) -> bool:
        op, want = self.op, self.expected
        if op == "exists":
            return (value is not None) == want
        if value is None:
            return False
        if op == "eq":
            return want in value if isinstance(value, list) else value == want
        if op == "in":
            return bool(set(value) & set(want)) if isinstance(value, list) else value in want
        if op == "contains":
            if isinstance(value, list):
                return want in value
            return str(want).casefold() in str(value).casefold()
        return {"gte": value >= want, "gt": value > want, "lte": value <= want, "lt": value < want}[op]

    def test(self, view: ChunkView) -> bool:
        return self._match(view.field(self.name))

    def trace(self, view: ChunkView) -> dict[str, Any]:
        value = view.field(self.name)
        return {"field": self.name, self.op: self.expected, "value": value, "matched": self._match(value)}


@dataclass(slots=True)
class AllNode:
    children: list[Node]

    def test(self, view: ChunkView) -> bool:
        return all(c.test(view) for c in self.children)

    def trace(self, view: ChunkView) -> dict[str, Any]:
        kids = [c.trace(view) for c in self.children]
        return {"all": kids, "matched": all(k["matched"] for k in kids)}


@dataclass(slots=True)
class AnyNode:
    children: list[Node]

    def test(self, view: ChunkView) -> bool:
        return any(c.test(view) for c in self.children)

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


def compile_condition(cond: Condition, matchers: dict[str, KeywordMatcher]) -> Node:
    """The evaluator of one validated condition tree."""
    if isinstance(cond, AllCondition):
        return AllNode([compile_condition(c, matchers) for c in cond.all])
    if isinstance(cond, AnyCondition):
        return AnyNode([compile_condition(c, matchers) for c in cond.any])
    if isinstance(cond, NotCondition):
        return NotNode(compile_condition(cond.not_, matchers))
    if isinstance(cond, LabelCondition):
        op, threshold = cond.op
        return LabelLeaf(cond.label, op, threshold)
    if isinstance(cond, KeywordsCondition):
        return KeywordLeaf(cond.keywords.list, cond.keywords.scope, matchers[cond.keywords.list])
    if isinstance(cond, RegexCondition):
        spec = cond.regex
        return RegexLeaf(spec.pattern, spec.scope, compile_regex(spec.pattern, spec.case_sensitive))
    if isinstance(cond, FieldCondition):
        op = cond.operators()[0]
        return FieldLeaf(cond.field, op, getattr(cond, "in_" if op == "in" else op))
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
    if "label" in trace:
        for op in ("gte", "gt", "lte", "lt"):
            if op in trace:
                found[trace["label"]] = trace[op]
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


def _labels_of(cond: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(cond, LabelCondition):
        found.add(cond.label)
    for kid in getattr(cond, "all", None) or getattr(cond, "any", None) or ():
        found |= _labels_of(kid)
    if isinstance(cond, NotCondition):
        found |= _labels_of(cond.not_)
    return found


def compile_rule(rule: Rule, loaded: LoadedRuleSet, matchers: dict[str, KeywordMatcher]) -> CompiledRule:
    """Compile one rule of a loaded set."""
    labels = _labels_of(rule.when)
    for exc in rule.unless:
        labels |= _labels_of(exc.when)
    for esc in rule.escalate:
        labels |= _labels_of(esc.when)
    return CompiledRule(
        rule=rule,
        ruleset=loaded.ruleset,
        path=loaded.path,
        sha256=loaded.rule_sha256[rule.id],
        ruleset_sha256=loaded.sha256,
        when=compile_condition(rule.when, matchers),
        unless=[(e.reason, compile_condition(e.when, matchers)) for e in rule.unless],
        escalate=[(e.reason, e.levels, compile_condition(e.when, matchers)) for e in rule.escalate],
        uses_labels=bool(labels),
        labels=labels,
    )


def compile_rule_sets(sets: Sequence[LoadedRuleSet]) -> list[CompiledRule]:
    """Every rule of every set, compiled, in file then rule order."""
    compiled: list[CompiledRule] = []
    for loaded in sets:
        matchers = {name: KeywordMatcher(terms) for name, terms in loaded.ruleset.keyword_lists.items()}
        compiled.extend(compile_rule(rule, loaded, matchers) for rule in loaded.ruleset.rules)
    return compiled
