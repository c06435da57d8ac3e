"""`narrative`: the chunk repeats a claim of a known narrative set, e.g. `{narrative: {set: elections-eu, min_score: 0.6}}`.

The engine matches each batch of chunks against the sets its rules name (one matcher call per set per
batch) and hands every chunk its ranked matches; the leaf holds when a match that is in force (not
expired, circulating in the chunk's territories, of an accepted rating) scores at least `min_score`.
Its trace names the narrative, the score and the fact-check, which the alert carries as `factcheck`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from monitor.narratives.model import Narrative, Rating
from monitor.rules_engine.leaves.base import CheckContext, CompileContext, LeafType, Loc, Scope, Strict, Text
from monitor.rules_engine.view import ChunkView


class NarrativeSpec(Strict):
    """Which narrative set, how close the match must be, and which ratings count (default: any)."""

    set: Text
    min_score: Annotated[float, Field(gt=0.0, le=1.0)]
    rating: list[Rating] | None = None
    scope: Scope = "chunk"


class NarrativeCondition(Strict):
    """A known-narrative leaf."""

    narrative: NarrativeSpec


@dataclass(slots=True)
class NarrativeLeaf:
    spec: NarrativeSpec
    narratives: Mapping[str, Narrative]

    def _best(self, view: ChunkView) -> tuple[Narrative, float] | None:
        chunk = view.chunk
        day = chunk.ts.date() if chunk.ts is not None else dt.date.today()
        for match in view.narratives.get(self._key, ()):
            narrative = self.narratives.get(match.id)
            if narrative is None or match.score < self.spec.min_score:
                continue
            if self.spec.rating and narrative.rating not in self.spec.rating:
                continue
            if narrative.active_on(day) and narrative.circulates_in(chunk.territories):
                return narrative, match.score
        return None

    @property
    def _key(self) -> str:
        return self.spec.set if self.spec.scope == "chunk" else f"{self.spec.set}@context"

    def test(self, view: ChunkView) -> bool:
        return self._best(view) is not None

    def trace(self, view: ChunkView) -> dict[str, Any]:
        best = self._best(view)
        out: dict[str, Any] = {"narrative": self.spec.set, "min_score": self.spec.min_score, "scope": self.spec.scope}
        if best is None:
            top = next(iter(view.narratives.get(self._key, ())), None)
            out.update({"match": None, "best_score": round(top.score, 6) if top else None, "matched": False})
            return out
        narrative, score = best
        out.update({"match": {"id": narrative.id, "claim": narrative.claim, "score": round(score, 6),
                              **narrative.factcheck_ref()}, "matched": True})
        return out


def factcheck_of(trace: dict[str, Any]) -> dict[str, Any] | None:
    """The fact-check an alert carries from a matched narrative leaf's trace."""
    match = trace.get("match")
    if not trace.get("matched") or not isinstance(match, dict):
        return None
    return {"url": match["url"], "rating": match["rating"], "publisher": match["publisher"],
            "narrative_id": match["id"], "score": match["score"], "set": trace["narrative"]}


class NarrativeLeafType(LeafType):
    key = "narrative"
    model = NarrativeCondition

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        spec = node["narrative"]
        if not isinstance(spec, dict) or not isinstance(spec.get("set"), str) or ctx.narrative_sets is None:
            return []
        if spec["set"] not in ctx.narrative_sets:
            known = ", ".join(sorted(ctx.narrative_sets)) or "none loaded"
            return [(("narrative", "set"), f"unknown narrative set '{spec['set']}' (known: {known})")]
        return []

    def compile(self, cond: NarrativeCondition, ctx: CompileContext) -> NarrativeLeaf:
        loaded = ctx.narratives.get(cond.narrative.set)
        if loaded is None:
            raise KeyError(f"narrative set '{cond.narrative.set}' is not loaded")
        return NarrativeLeaf(cond.narrative, {n.id: n for n in loaded.set.narratives})

    def explain(self, trace: dict[str, Any]) -> str:
        head = f"narrative {trace['narrative']} [{trace.get('scope', 'chunk')}] score ≥ {trace['min_score']}"
        match = trace.get("match")
        if not match:
            best = trace.get("best_score")
            return f"{head}  (best: {'none' if best is None else f'{best:.3f}'})"
        return (f"{head}  ({match['id']} score={match['score']:.3f}, {match['rating']}: "
                f"{match['publisher']} {match['url']})")

    def describe(self, trace: dict[str, Any]) -> str:
        match = trace.get("match") or {}
        return (f"narrative '{match.get('id')}' ({trace['narrative']}) score={match.get('score', 0):.2f} ≥ {trace['min_score']}: "
                f"rated {match.get('rating')} by {match.get('publisher')} — {match.get('url')}")

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str:
        match = trace.get("match") or {}
        return (f"the passage repeats the known claim \"{match.get('claim')}\" (narrative {match.get('id')} of set "
                f"{trace['narrative']}, similarity {match.get('score', 0):.2f}), rated {match.get('rating')} by "
                f"{match.get('publisher')} ({match.get('url')})")

    def narrative_sets(self, cond: NarrativeCondition) -> set[str]:
        return {cond.narrative.set if cond.narrative.scope == "chunk" else f"{cond.narrative.set}@context"}
