"""`label`: a classifier label score compared with a threshold, e.g. `{label: election, gte: 0.8}`."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import model_validator

from monitor.rules_engine.leaves.base import COMPARISONS, CheckContext, CompileContext, LeafType, Loc, Score, Strict, Text, comparison
from monitor.rules_engine.view import ChunkView


class LabelCondition(Strict):
    """A classifier label score compared with a threshold: `{label: election, gte: 0.8}`."""

    label: Text
    gte: Score | None = None
    gt: Score | None = None
    lte: Score | None = None
    lt: Score | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> LabelCondition:
        ops = [op for op in COMPARISONS if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError("a label condition needs exactly one of gte, gt, lte, lt")
        return self

    @property
    def op(self) -> tuple[str, float]:
        """The comparison and its threshold."""
        for op in COMPARISONS:
            value = getattr(self, op)
            if value is not None:
                return op, value
        raise AssertionError("validated")


_COMPARE: dict[str, Callable[[float, float], bool]] = {"gte": operator.ge, "gt": operator.gt, "lte": operator.le,
                                                       "lt": operator.lt}


@dataclass(slots=True)
class LabelLeaf:
    label: str
    op: str
    threshold: float
    _compare: Callable[[float, float], bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._compare = _COMPARE[self.op]

    def _match(self, score: float | None) -> bool:
        return score is not None and self._compare(score, self.threshold)

    def test(self, view: ChunkView) -> bool:
        return self._match(view.scores.get(self.label))

    def trace(self, view: ChunkView) -> dict[str, Any]:
        score = view.scores.get(self.label)
        return {"label": self.label, self.op: self.threshold,
                "score": None if score is None else round(score, 6), "matched": self._match(score)}


def _op(trace: dict[str, Any]) -> str:
    return next(k for k in COMPARISONS if k in trace)


class Label(LeafType):
    key = "label"
    model = LabelCondition

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        if node["label"] not in ctx.labels:
            return [(("label",), f"unknown label '{node['label']}' (known: {', '.join(ctx.labels)})")]
        return []

    def compile(self, cond: LabelCondition, ctx: CompileContext) -> LabelLeaf:
        op, threshold = cond.op
        return LabelLeaf(cond.label, op, threshold)

    def explain(self, trace: dict[str, Any]) -> str:
        op = _op(trace)
        score = "no score" if trace["score"] is None else f"score={trace['score']:.3f}"
        return f"label {trace['label']} {op} {trace[op]}  ({score})"

    def describe(self, trace: dict[str, Any]) -> str:
        score = trace.get("score")
        cmp = comparison(trace)
        return f"label {trace['label']}={score:.2f}{cmp}" if isinstance(score, float) else f"label {trace['label']}{cmp}"

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str:
        op = _op(trace)
        score = trace.get("score")
        shown = "no score" if score is None else f"{score:.2f}"
        return f"classifier label '{trace['label']}' scored {shown} (threshold: {op} {trace[op]})"

    def labels(self, cond: LabelCondition) -> set[str]:
        return {cond.label}

    def thresholds(self, trace: dict[str, Any]) -> dict[str, float]:
        return {trace["label"]: trace[op] for op in COMPARISONS if op in trace}
