"""The interface every rule-leaf type implements, and the types the leaf models share.

A leaf type owns, in one module: its pydantic model (the YAML shape, exported into rules/schema.json),
its semantic checks (what the schema cannot say: unknown labels, undefined lists, bad patterns), its
compile step (model → evaluator), and how a trace of it reads in `rules explain`, in an alert's "why"
lines and in a statement of reasons. Traces are plain dicts (they travel in alerts and the decision
log); a trace belongs to the leaf type whose `key` it carries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from monitor.language import KNOWN_LANGUAGES
from monitor.rules_engine.view import Node

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Text = Annotated[str, Field(min_length=1)]
Scope = Literal["chunk", "context"]
Loc = tuple[str | int, ...]
COMPARISONS = ("gte", "gt", "lte", "lt")


def _known_language(value: str) -> str:
    if value not in KNOWN_LANGUAGES:
        raise ValueError(f"unknown language (ISO 639-1) '{value}'")
    return value


# An ISO 639-1 code the language detector knows (a rule's `languages:`, a keyword list's language keys).
Language = Annotated[str, AfterValidator(_known_language), WithJsonSchema({"type": "string", "enum": sorted(KNOWN_LANGUAGES)})]


class Strict(BaseModel):
    """Rule-file models: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class CheckContext:
    """What the semantic checks of a rule know: classifier labels, keyword lists (and the languages each has
    terms for), narrative sets, and the languages the rule declares (empty: none declared)."""

    labels: Collection[str]
    keyword_lists: Collection[str]
    narrative_sets: Collection[str] | None = None
    keyword_languages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rule_languages: tuple[str, ...] = ()


@dataclass
class CompileContext:
    """What compiling a rule set's leaves needs: its keyword matchers, and the narrative sets in force."""

    matchers: Mapping[str, Any]
    narratives: Mapping[str, Any] = field(default_factory=dict)


class LeafType:
    """One kind of condition leaf. Subclasses set `key` and `model` and implement the rest."""

    key: ClassVar[str]
    model: ClassVar[type[BaseModel]]

    def check(self, node: dict[str, Any], ctx: CheckContext) -> list[tuple[Loc, str]]:
        """Semantic problems of one raw leaf, each with its path below the leaf."""
        return []

    def compile(self, cond: Any, ctx: CompileContext) -> Node:
        """The evaluator of one validated leaf."""
        raise NotImplementedError

    def explain(self, trace: dict[str, Any]) -> str:
        """The leaf's line in `rules explain` (after the ✓/✗ mark)."""
        raise NotImplementedError

    def describe(self, trace: dict[str, Any]) -> str:
        """A matched leaf in an alert's "why" lines (console, Slack, Alertmanager)."""
        raise NotImplementedError

    def fact(self, trace: dict[str, Any], redact: Callable[[str], str]) -> str | None:
        """A matched leaf in a statement of reasons' decision_facts (personal data removed); None to leave out."""
        return None

    def labels(self, cond: Any) -> set[str]:
        """Classifier labels the leaf reads (a rule reading any needs the classifier)."""
        return set()

    def thresholds(self, trace: dict[str, Any]) -> dict[str, float]:
        """label → threshold for the labels the leaf compares."""
        return {}

    def narrative_sets(self, cond: Any) -> set[str]:
        """Narrative sets the leaf matches against (a rule reading any needs the narrative matcher)."""
        return set()


OPS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠"}


def comparison(entry: dict[str, Any]) -> str:
    """' ≥ 0.8' for the first comparison of a trace, '' when it has none (alert renderings)."""
    op = next((k for k in entry if k in OPS or k in ("in", "not_in", "exists", "contains")), None)
    return f" {OPS.get(op, op)} {entry[op]}" if op else ""
