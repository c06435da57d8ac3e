"""Clause-level matching: a chunk of live speech often says a known claim in one clause among others.

A 7-second chunk such as "the audit was run by the same people, come on, dead people were voting in the
south" embeds as a mix of its clauses, so its similarity to the claim it repeats is diluted below any useful
threshold. Matching each clause of at least `MIN_WORDS` words as well as the whole chunk, and keeping each
narrative's best score, finds the claim wherever it sits in the chunk. Still one matcher call per batch.
Stance is not decided here: the rules' debunk, negation and report exceptions read the whole chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from monitor.narratives.index import Match
from monitor.narratives.matcher import DEFAULT_TOP_K

MIN_WORDS = 4
MAX_SPANS = 6
_CLAUSE_BREAK = re.compile(r"[,.;:!?]+\s*|\s+-+\s+")


class Matcher(Protocol):
    def match(self, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[dict[str, list[Match]]]: ...


def clause_spans(text: str) -> list[str]:
    """The clauses of `text` with at least MIN_WORDS words (at most MAX_SPANS); none when it has fewer than two
    clauses, as the whole text is then already its one clause."""
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]
    if len(clauses) < 2:
        return []
    return [c for c in clauses if len(c.split()) >= MIN_WORDS][:MAX_SPANS]


def merge_best(groups: Sequence[dict[str, list[Match]]]) -> dict[str, list[Match]]:
    """Per key, each narrative's best match over the groups (whole chunk and its clauses), best first."""
    out: dict[str, list[Match]] = {}
    for key in {k for g in groups for k in g}:
        best: dict[str, Match] = {}
        for group in groups:
            for m in group.get(key, ()):
                if m.id not in best or m.score > best[m.id].score:
                    best[m.id] = m
        out[key] = sorted(best.values(), key=lambda m: (-m.score, m.id))[:DEFAULT_TOP_K]
    return out


def match_with_clauses(matcher: Matcher, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[dict[str, list[Match]]]:
    """`matcher.match` over every text and its clauses in one call; per text, the merged best matches."""
    queries: list[str] = []
    ctx: list[Sequence[str]] = []
    owner: list[int] = []
    for i, (text, context) in enumerate(zip(texts, contexts, strict=True)):
        for q in (text, *clause_spans(text)):
            queries.append(q)
            ctx.append(context)
            owner.append(i)
    found = matcher.match(queries, ctx)
    grouped: list[list[dict[str, list[Match]]]] = [[] for _ in texts]
    for i, matches in zip(owner, found, strict=True):
        grouped[i].append(matches)
    return [merge_best(g) if g else {} for g in grouped]
