"""Clause-level matching: a chunk of live speech often says a known claim in one clause among others.

A 7-second chunk such as "the audit was run by the same people, come on, dead people were voting in the
south" embeds as a mix of its clauses, so its similarity to the claim it repeats is diluted below any useful
threshold. Matching each clause of at least `MIN_WORDS` words as well as the whole chunk, and keeping each
narrative's best score, finds the claim wherever it sits in the chunk. Clauses cost an encoder forward
each (the whole chunk's embedding is the classifier's), so they are matched only for near misses: chunks whose
whole-chunk best score reaches `CLAUSE_FLOOR`. Every clause-level gain measured on the sample broadcast and
the functional suite started at a whole-chunk score of 0.43 or more (shipped rules' min_score 0.52–0.55); at
0.35 a quarter of the sample's chunks and 40 % of the suite's (which is mostly claims) get clause matching. Two matcher calls per batch: whole chunks, then
the clauses of the near misses. Stance is not decided here: the rules' debunk, negation and report
exceptions read the whole chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from monitor.narratives.index import Match
from monitor.narratives.matcher import DEFAULT_TOP_K

MIN_WORDS = 4
CLAUSE_FLOOR = 0.35
MAX_SPANS = 6
_CLAUSE_BREAK = re.compile(r"[,.;:!?]+\s*|\s+-+\s+")


class Matcher(Protocol):
    def match(self, texts: Sequence[str], contexts: Sequence[Sequence[str]],
              languages: Sequence[str | None] | None = None) -> list[dict[str, list[Match]]]: ...


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


def near_miss(matches: dict[str, list[Match]]) -> bool:
    """Whether a whole chunk's best match under any key reaches CLAUSE_FLOOR."""
    return any(found and found[0].score >= CLAUSE_FLOOR for found in matches.values())


def match_with_clauses(matcher: Matcher, texts: Sequence[str], contexts: Sequence[Sequence[str]],
                       languages: Sequence[str | None] | None = None) -> list[dict[str, list[Match]]]:
    """`matcher.match` over every text, then over the clauses of the near misses (in their text's language);
    per text, the merged best."""
    whole = matcher.match(texts, contexts, languages)
    queries: list[str] = []
    ctx: list[Sequence[str]] = []
    owner: list[int] = []
    for i, (text, context) in enumerate(zip(texts, contexts, strict=True)):
        if near_miss(whole[i]):
            for clause in clause_spans(text):
                queries.append(clause)
                ctx.append(context)
                owner.append(i)
    if not queries:
        return whole
    grouped: list[list[dict[str, list[Match]]]] = [[w] for w in whole]
    clause_languages = [languages[i] for i in owner] if languages is not None else None
    for i, matches in zip(owner, matcher.match(queries, ctx, clause_languages), strict=True):
        grouped[i].append(matches)
    return [merge_best(g) if len(g) > 1 else g[0] for g in grouped]
