"""`field`: a predicate on a chunk field, e.g. `{field: audience.listeners, gte: 100000}`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from monitor.rules_engine.leaves.base import CompileContext, LeafType, Strict, comparison
from monitor.rules_engine.view import ChunkView

# Chunk fields a `field` predicate may read, with their kind.
FIELDS: dict[str, str] = {
    "broadcast_id": "str",
    "speaker.id": "str",
    "speaker.name": "str",
    "speaker.role": "str",
    "language": "str",
    "platform": "str",
    "title": "str",
    "audience.listeners": "number",
    "audience.followers": "number",
    "asr_confidence": "number",
    "territories": "list",
}
OPERATORS = ("eq", "in", "gte", "gt", "lte", "lt", "contains", "exists")

FieldName = Literal[tuple(FIELDS)]  # type: ignore[valid-type]


class FieldCondition(Strict):
    """A predicate on a chunk field, e.g. `{field: audience.listeners, gte: 100000}`."""

    field: FieldName
    eq: str | float | bool | None = None
    in_: list[str | float] | None = Field(default=None, alias="in")
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    contains: str | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> FieldCondition:
        ops = self.operators()
        if len(ops) != 1:
            raise ValueError("a field condition needs exactly one of eq, in, gte, gt, lte, lt, contains, exists")
        kind = FIELDS[self.field]
        if ops[0] in ("gte", "gt", "lte", "lt") and kind != "number":
            raise ValueError(f"'{ops[0]}' needs a numeric field; '{self.field}' is a {kind}")
        if ops[0] == "contains" and kind == "number":
            raise ValueError(f"'contains' needs a text or list field; '{self.field}' is a number")
        return self

    def operators(self) -> list[str]:
        """The operators set on this predicate (exactly one once validated)."""
        names = ("eq", "in_", "gte", "gt", "lte", "lt", "contains", "exists")
        return [n.rstrip("_") for n in names if getattr(self, n) is not None]


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


class Field_(LeafType):
    key = "field"
    model = FieldCondition

    def compile(self, cond: FieldCondition, ctx: CompileContext) -> FieldLeaf:
        op = cond.operators()[0]
        return FieldLeaf(cond.field, op, getattr(cond, "in_" if op == "in" else op))

    def explain(self, trace: dict[str, Any]) -> str:
        op = next(k for k in OPERATORS if k in trace)
        return f"field {trace['field']} {op} {trace[op]!r}  (value: {trace['value']!r})"

    def describe(self, trace: dict[str, Any]) -> str:
        return f"field {trace['field']}={trace.get('value')!r}{comparison(trace)}"

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str | None:
        if str(trace["field"]).startswith("speaker"):
            return None
        return f"{trace['field']} = {redact(str(trace.get('value')))}"
