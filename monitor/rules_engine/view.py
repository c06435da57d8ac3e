"""What a condition sees of one chunk: text per scope, words, scores, fields and known-narrative matches."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from monitor.contracts import TranscriptChunk

_WORD = re.compile(r"\w+")


class _CombiningMarks(dict[int, int | None]):
    """A `str.translate` table that deletes combining marks and keeps every other character, filled in as
    characters are first seen (one `unicodedata.combining` call per distinct code point, not per character)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_DROP_COMBINING = _CombiningMarks()


def strip_accents(text: str) -> str:
    """The text with combining marks removed (é → e), case kept."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).translate(_DROP_COMBINING)


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens."""
    return _WORD.findall(strip_accents(text).casefold())


class ChunkView:
    """One chunk as the conditions see it: text per scope, words, scores and fields (computed lazily, once).

    `narratives` maps a narrative-set name to this chunk's ranked matches in it (filled by the engine, one
    matcher call per batch). `language` is the chunk's resolved language (declared or identified for its
    broadcast window; None when undetermined), the one keyword lists are matched in.
    """

    __slots__ = ("chunk", "scores", "context", "narratives", "language", "_cache")

    def __init__(self, chunk: TranscriptChunk, scores: dict[str, float], context: Sequence[TranscriptChunk] = (),
                 narratives: Mapping[str, Sequence[Any]] | None = None, language: str | None = None) -> None:
        self.chunk = chunk
        self.scores = scores
        self.context = context
        self.narratives = narratives or {}
        self.language = language or chunk.language
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

    def plain_utf8(self, scope: str) -> bytes:
        """`plain(scope)` encoded as UTF-8 (what an RE2 search reads)."""
        key = ("utf8", scope)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.plain(scope).encode("utf-8")
        return found

    def words(self, scope: str) -> list[str]:
        key = ("words", scope)
        if key not in self._cache:
            self._cache[key] = _WORD.findall(self.plain(scope).casefold())
        return self._cache[key]

    def keyword_input(self, scope: str) -> tuple[list[str], frozenset[str], str]:
        """What a keyword matcher reads (`KeywordMatcher.contains`): the words, the same as a set, and joined by
        single spaces."""
        key = ("keywords", scope)
        found = self._cache.get(key)
        if found is None:
            toks = self.words(scope)
            found = self._cache[key] = (toks, frozenset(toks), " ".join(toks))
        return found

    def field(self, name: str) -> Any:
        node: Any = self.chunk
        for part in name.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node


class Node(Protocol):
    """A compiled condition: `test` short-circuits (hot path), `trace` evaluates everything and records values."""

    def test(self, view: ChunkView) -> bool: ...

    def trace(self, view: ChunkView) -> dict[str, Any]: ...
