"""The rule-leaf registry: one module per leaf type, one mapping from a leaf's key to its type.

Adding a leaf type is one module (model, checks, compile, trace, descriptions) plus its line in
`LEAF_TYPES`; the rule model, loader, compiler, `rules explain`, alert renderings and statements of
reasons all read this mapping.
"""

from __future__ import annotations

from typing import Any

from monitor.rules_engine.leaves.base import CheckContext, CompileContext, LeafType
from monitor.rules_engine.leaves.field import Field_
from monitor.rules_engine.leaves.keywords import Keywords
from monitor.rules_engine.leaves.label import Label
from monitor.rules_engine.leaves.narrative import NarrativeLeafType
from monitor.rules_engine.leaves.regex import Regex

LEAF_TYPES: dict[str, LeafType] = {t.key: t for t in (Label(), Keywords(), Regex(), Field_(), NarrativeLeafType())}


def leaf_of(trace_or_node: dict[str, Any]) -> LeafType | None:
    """The leaf type a raw leaf or a trace belongs to (the first registered key it carries)."""
    return next((t for key, t in LEAF_TYPES.items() if key in trace_or_node), None)


__all__ = ["LEAF_TYPES", "CheckContext", "CompileContext", "LeafType", "leaf_of"]
