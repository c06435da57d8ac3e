"""`regex`: an RE2 pattern (linear time), matched on the text with accents removed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from monitor.rules_engine.leaves.base import CheckContext, CompileContext, LeafType, Loc, Scope, Strict, Text
from monitor.rules_engine.view import ChunkView


class RegexSpec(Strict):
    """An RE2 pattern (linear time), matched on the text with accents removed."""

    pattern: Text
    scope: Scope = "chunk"
    case_sensitive: bool = False


class RegexCondition(Strict):
    """A regular expression leaf."""

    regex: RegexSpec


def compile_regex(pattern: str | bytes, case_sensitive: bool = False, capture: bool = True) -> re2._Regexp:
    """Compile an RE2 pattern; raises re2.error when invalid. `capture=False` parses every group as
    non-capturing (whether it matches is the same; RE2 then need not track where each group matched)."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    options.never_capture = not capture
    return re2.compile(pattern, options)


@dataclass(slots=True)
class RegexLeaf:
    pattern: str
    scope: str
    regex: Any
    case_sensitive: bool = False
    #: what `test` searches with: the pattern's UTF-8 bytes without captures, over the view's UTF-8 text (the
    #: search the wrapper runs for a str, without re-encoding the text for every pattern)
    _test: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._test = compile_regex(self.pattern.encode("utf-8"), self.case_sensitive, capture=False)

    def test(self, view: ChunkView) -> bool:
        return self._test.search(view.plain_utf8(self.scope)) is not None

    def trace(self, view: ChunkView) -> dict[str, Any]:
        m = self.regex.search(view.plain(self.scope))
        return {"regex": self.pattern, "scope": self.scope, "match": m.group(0) if m else None, "matched": m is not None}


def any_of(leaves: Sequence[RegexLeaf]) -> RegexLeaf | None:
    """One leaf whose `test` is true when any of `leaves` (same scope and case sensitivity) matches: their patterns
    as one RE2 alternation, one search of the text instead of one each. None when it does not compile as that (a
    pattern with `\\Q`, whose literal run would swallow the closing parenthesis, is never joined)."""
    if len(leaves) < 2 or any("\\Q" in leaf.pattern for leaf in leaves):
        return None
    pattern = "|".join(f"(?:{leaf.pattern})" for leaf in leaves)
    try:
        return RegexLeaf(pattern, leaves[0].scope, compile_regex(pattern, leaves[0].case_sensitive), leaves[0].case_sensitive)
    except re2.error:
        return None


class Regex(LeafType):
    key = "regex"
    model = RegexCondition

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        spec = node["regex"]
        if isinstance(spec, dict) and isinstance(spec.get("pattern"), str):
            try:
                compile_regex(spec["pattern"], bool(spec.get("case_sensitive", False)))
            except re2.error as exc:
                detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
                return [(("regex", "pattern"), f"invalid regex: {detail}")]
        return []

    def compile(self, cond: RegexCondition, ctx: CompileContext) -> RegexLeaf:
        spec = cond.regex
        return RegexLeaf(spec.pattern, spec.scope, compile_regex(spec.pattern, spec.case_sensitive), spec.case_sensitive)

    def explain(self, trace: dict[str, Any]) -> str:
        return f"regex /{trace['regex']}/ [{trace['scope']}]  (match: {trace['match']!r})"

    def describe(self, trace: dict[str, Any]) -> str:
        return f"regex /{trace['regex']}/ in {trace.get('scope', 'text')}: “{trace.get('match')}”"

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str:
        return "a pattern of the rule matched"
