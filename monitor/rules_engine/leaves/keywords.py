"""`keywords`: any term of a named keyword list, as whole words, case- and accent-insensitive.

A trailing `*` matches a word prefix; multi-word terms match consecutive words; `scope: context`
searches the preceding context chunks together with the chunk itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from monitor.rules_engine.leaves.base import NAME_PATTERN, CheckContext, CompileContext, LeafType, Loc, Scope, Strict
from monitor.rules_engine.view import ChunkView, words


class KeywordsRef(Strict):
    """Which keyword list to look for, and where: this chunk only, or this chunk plus the preceding context."""

    list: Annotated[str, Field(pattern=NAME_PATTERN)]
    scope: Scope = "chunk"


class KeywordsCondition(Strict):
    """Any term of a named keyword list, matched as whole words, case- and accent-insensitive."""

    keywords: KeywordsRef


class KeywordMatcher:
    """Whole-word matcher for one keyword list."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.prefixes: dict[str, list[tuple[str, str]]] = {}  # by the prefix's first character
        for term in terms:
            prefix = term.endswith("*")
            toks = tuple(words(term.rstrip("*")))
            if prefix and len(toks) == 1:
                self.prefixes.setdefault(toks[0][0], []).append((toks[0], term))
            elif toks:
                self.phrases.setdefault(toks[0], []).append((toks, term))

    def find(self, toks: Sequence[str], first_only: bool = False) -> list[str]:
        """Terms of the list found in `toks`, in order of appearance, without repeats."""
        found: list[str] = []
        for i, tok in enumerate(toks):
            for phrase, term in self.phrases.get(tok, ()):
                if tuple(toks[i:i + len(phrase)]) == phrase and term not in found:
                    found.append(term)
            for prefix, term in self.prefixes.get(tok[:1], ()):
                if tok.startswith(prefix) and term not in found:
                    found.append(term)
            if first_only and found:
                break
        return found


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


class Keywords(LeafType):
    key = "keywords"
    model = KeywordsCondition

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        ref = node["keywords"]
        if isinstance(ref, dict) and ref.get("list") not in ctx.keyword_lists:
            return [(("keywords", "list"), f"undefined keyword list '{ref.get('list')}'")]
        return []

    def compile(self, cond: KeywordsCondition, ctx: CompileContext) -> KeywordLeaf:
        return KeywordLeaf(cond.keywords.list, cond.keywords.scope, ctx.matchers[cond.keywords.list])

    def explain(self, trace: dict[str, Any]) -> str:
        found = ", ".join(repr(t) for t in trace["terms"]) or "none"
        return f"keywords {trace['keywords']} [{trace['scope']}]  (found: {found})"

    def describe(self, trace: dict[str, Any]) -> str:
        return f"keywords '{trace['keywords']}' in {trace.get('scope', 'text')}: {', '.join(map(str, trace.get('terms') or []))}"

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str:
        return f"keyword list '{trace['keywords']}' matched {', '.join(repr(t) for t in trace.get('terms', []))}"
