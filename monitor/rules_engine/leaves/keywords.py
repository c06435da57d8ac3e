"""`keywords`: any term of a named keyword list, as whole words, case- and accent-insensitive.

A `*` ending a word matches a word prefix, in a multi-word term too (`conspiracy theor*`, `teori* spiskow*`);
multi-word terms match consecutive words; `scope: context` searches the preceding context chunks together
with the chunk itself.

A list is either a plain list of terms, which is English (`PLAIN_LIST_LANGUAGE`), or a mapping from
ISO 639-1 code to that language's terms. A chunk is matched against the terms of its own language (a
list without that language never matches it); a chunk whose language is undetermined is matched
against every language's terms. The validator requires each list a rule reads to have terms for every
language the rule declares (English for a rule without `languages:`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag

from monitor.rules_engine.leaves.base import (
    NAME_PATTERN, CheckContext, CompileContext, Language, LeafType, Loc, Scope, Strict, Text,
)
from monitor.rules_engine.view import ChunkView, words

PLAIN_LIST_LANGUAGE = "en"  # the language of a keyword list written as a plain list of terms
Terms = Annotated[list[Text], Field(min_length=1)]


def _list_form(value: Any) -> str | None:
    if isinstance(value, list):
        return "terms"
    return "by_language" if isinstance(value, dict) else None


KeywordList = Annotated[
    Union[Annotated[Terms, Tag("terms")], Annotated[dict[Language, Terms], Field(min_length=1), Tag("by_language")]],
    Discriminator(_list_form, custom_error_type="keyword_list",
                  custom_error_message="a keyword list is a list of terms (English) or a mapping from ISO 639-1 "
                                       "code to a list of terms"),
]


def terms_by_language(entry: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """A keyword list's terms per language: a plain list is English."""
    if isinstance(entry, Mapping):
        return {language: list(terms) for language, terms in entry.items()}
    return {PLAIN_LIST_LANGUAGE: list(entry)}


class KeywordsRef(Strict):
    """Which keyword list to look for, and where: this chunk only, or this chunk plus the preceding context."""

    list: Annotated[str, Field(pattern=NAME_PATTERN)]
    scope: Scope = "chunk"


class KeywordsCondition(Strict):
    """Any term of a named keyword list (in the chunk's language), matched as whole words, case- and accent-insensitive."""

    keywords: KeywordsRef


@dataclass(frozen=True, slots=True)
class Pattern:
    """A term's words, each with whether it ends in `*` (a word prefix, in any word of a phrase); `exact` when
    none does, so matching is one tuple comparison (the common case, on the hot path)."""

    words: tuple[str, ...]
    prefix: tuple[bool, ...]
    exact: bool

    @classmethod
    def of(cls, term: str) -> Pattern:
        out: list[str] = []
        prefix: list[bool] = []
        for piece in term.split():
            toks = words(piece.rstrip("*"))
            out.extend(toks)
            prefix.extend(piece.endswith("*") and j == len(toks) - 1 for j in range(len(toks)))
        return cls(tuple(out), tuple(prefix), not any(prefix))

    def matches_at(self, toks: Sequence[str], i: int) -> bool:
        """Whether the words `toks[i:]` start with this term."""
        n = len(self.words)
        if self.exact:
            return tuple(toks[i:i + n]) == self.words
        return i + n <= len(toks) and all(
            t == w or (f and t.startswith(w)) for t, w, f in zip(toks[i:i + n], self.words, self.prefix))


class KeywordMatcher:
    """Whole-word matcher for one list of terms."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.phrases: dict[str, list[tuple[Pattern, str]]] = {}  # by the first word, when it is a whole word
        self.prefixes: dict[str, list[tuple[str, str]]] = {}  # one-word prefixes, by the prefix's first character
        # multi-word terms whose first word is a prefix, by that prefix's first character
        self.prefix_phrases: dict[str, list[tuple[Pattern, str]]] = {}
        for term in terms:
            pattern = Pattern.of(term)
            if not pattern.words:
                continue
            first, first_prefix, multi = pattern.words[0], pattern.prefix[0], len(pattern.words) > 1
            if first_prefix and not multi:
                self.prefixes.setdefault(first[0], []).append((first, term))
            elif first_prefix:
                self.prefix_phrases.setdefault(first[0], []).append((pattern, term))
            else:
                self.phrases.setdefault(first, []).append((pattern, term))
        self._single = frozenset(p.words[0] for entries in self.phrases.values() for p, _ in entries if len(p.words) == 1)
        # the phrases `contains` scans for, each with the whole words it needs among the chunk's words: a phrase
        # whose words are not all there cannot match, so most are ruled out by one subset test, without a scan
        self._multi = {first: [(p, _whole_words(p)) for p, _ in entries if len(p.words) > 1]
                       for first, entries in self.phrases.items() if any(len(p.words) > 1 for p, _ in entries)}
        # phrases starting with a prefix, as one search of the joined words: each word is a maximal run of
        # non-spaces there, so `w[^ ]*` is a word starting with `w` and `w` followed by a space or the end is `w`
        phrase_res = [" ".join(re.escape(w) + ("[^ ]*" if f else "") for w, f in zip(p.words, p.prefix, strict=True))
                      for entries in self.prefix_phrases.values() for p, _ in entries]
        self._prefix_phrase_re = re.compile(r"(?<![^ ])(?:" + "|".join(phrase_res) + r")(?![^ ])") if phrase_res else None
        prefixes = sorted({p for entries in self.prefixes.values() for p, _ in entries})
        # a word starting with one of the prefixes, in the words joined by spaces (words are \w+ runs)
        self._prefix_re = re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + ")") if prefixes else None

    def contains(self, toks: Sequence[str], unique: frozenset[str], joined: str) -> bool:
        """Whether `find(toks)` would find anything (`unique`: the same words as a set, `joined`: joined by
        spaces), by set operations and regex searches; the word-by-word scan runs only for the phrases whose
        whole words are all among the chunk's words."""
        if not self._single.isdisjoint(unique):
            return True
        for first in unique.intersection(self._multi):
            for pattern, needed in self._multi[first]:
                if needed <= unique and any(tok == first and pattern.matches_at(toks, i) for i, tok in enumerate(toks)):
                    return True
        if self._prefix_re is not None and self._prefix_re.search(joined) is not None:
            return True
        return self._prefix_phrase_re is not None and self._prefix_phrase_re.search(joined) is not None

    def find(self, toks: Sequence[str]) -> list[str]:
        """Terms of the list found in `toks`, in order of appearance, without repeats."""
        found: list[str] = []
        for i, tok in enumerate(toks):
            for pattern, term in (*self.phrases.get(tok, ()), *self.prefix_phrases.get(tok[:1], ())):
                if pattern.matches_at(toks, i) and term not in found:
                    found.append(term)
            for prefix, term in self.prefixes.get(tok[:1], ()):
                if tok.startswith(prefix) and term not in found:
                    found.append(term)
        return found


def _whole_words(pattern: Pattern) -> frozenset[str]:
    """The words of `pattern` that must appear as they are (not as a prefix)."""
    return frozenset(w for w, prefix in zip(pattern.words, pattern.prefix, strict=True) if not prefix)


NO_TERMS = KeywordMatcher(())


class ListMatchers:
    """One keyword list's matchers: one per language, and one over every language's terms (undetermined chunks)."""

    def __init__(self, entry: Sequence[str] | Mapping[str, Sequence[str]]) -> None:
        by_language = terms_by_language(entry)
        self.per_language = isinstance(entry, Mapping)
        self.languages = {language: KeywordMatcher(terms) for language, terms in by_language.items()}
        self.every = KeywordMatcher([t for terms in by_language.values() for t in terms])

    def for_language(self, language: str | None) -> KeywordMatcher:
        if language is None:
            return self.every
        return self.languages.get(language, NO_TERMS)


@dataclass(slots=True)
class KeywordLeaf:
    name: str
    scope: str
    matchers: ListMatchers

    def test(self, view: ChunkView) -> bool:
        return self.matchers.for_language(view.language).contains(*view.keyword_input(self.scope))

    def trace(self, view: ChunkView) -> dict[str, Any]:
        terms = self.matchers.for_language(view.language).find(view.words(self.scope))
        trace: dict[str, Any] = {"keywords": self.name, "scope": self.scope, "terms": terms, "matched": bool(terms)}
        if self.matchers.per_language:
            trace["language"] = view.language or "any"
        return trace


class Keywords(LeafType):
    key = "keywords"
    model = KeywordsCondition

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        ref = node["keywords"]
        if not isinstance(ref, dict):
            return []
        name = ref.get("list")
        if name not in ctx.keyword_lists:
            return [(("keywords", "list"), f"undefined keyword list '{name}'")]
        have = ctx.keyword_languages.get(name, (PLAIN_LIST_LANGUAGE,))
        needed = ctx.rule_languages or (PLAIN_LIST_LANGUAGE,)
        missing = [language for language in needed if language not in have]
        if not missing:
            return []
        declared = (f"the rule declares languages: [{', '.join(ctx.rule_languages)}]" if ctx.rule_languages
                    else f"a rule without languages: runs on '{PLAIN_LIST_LANGUAGE}'")
        return [(("keywords", "list"), f"keyword list '{name}' has no terms for {', '.join(repr(m) for m in missing)} "
                                       f"({declared}; the list has {', '.join(repr(h) for h in have)})")]

    def compile(self, cond: KeywordsCondition, ctx: CompileContext) -> KeywordLeaf:
        return KeywordLeaf(cond.keywords.list, cond.keywords.scope, ctx.matchers[cond.keywords.list])

    def explain(self, trace: dict[str, Any]) -> str:
        found = ", ".join(repr(t) for t in trace["terms"]) or "none"
        where = trace["scope"] + (f", {trace['language']}" if "language" in trace else "")
        return f"keywords {trace['keywords']} [{where}]  (found: {found})"

    def describe(self, trace: dict[str, Any]) -> str:
        return (f"keywords '{trace['keywords']}'{_language_of(trace)} in {trace.get('scope', 'text')}: "
                f"{', '.join(map(str, trace.get('terms') or []))}")

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str:
        return f"keyword list '{trace['keywords']}'{_language_of(trace)} matched {', '.join(repr(t) for t in trace.get('terms', []))}"


def _language_of(trace: dict[str, Any]) -> str:
    """' (de)' for a trace of a per-language list, '' for a plain one (its wording is unchanged)."""
    return f" ({trace['language']})" if "language" in trace else ""
