"""The rule-set file format. Every field an auditor reads is typed here; `rules/schema.json` is generated from it.

Conditions (`when`, `unless[].when`, `escalate[].when`) are trees of `all` / `any` / `not` whose leaves are
the registered leaf types (`monitor.rules_engine.leaves`: label, keywords, regex, field, …).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

from monitor import dsa
from monitor.alert import Severity
from monitor.classify.labels import DEFAULT_LABELS, STANCE_LABELS
from monitor.rules_engine.leaves import LEAF_TYPES
from monitor.rules_engine.leaves.base import NAME_PATTERN, Language, Score, Strict, Text
from monitor.rules_engine.leaves.keywords import KeywordList
from monitor.rules_engine.leaves.field import FIELDS
from monitor.semver import ID_PATTERN, SemVer

KNOWN_LABELS: tuple[str, ...] = DEFAULT_LABELS + STANCE_LABELS




def _member_of(name: str, allowed: frozenset[str]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {name} '{value}'")
        return value

    return [AfterValidator(check), WithJsonSchema({"type": "string", "enum": sorted(allowed)})]


def _article(value: str) -> str:
    if not dsa.is_citable_article(value):
        raise ValueError(f"unknown DSA article '{value}' (cite e.g. '34(1)(c)'; known: {', '.join(dsa.ARTICLES)})")
    return value


def _jurisdiction(value: str) -> str:
    if value != "EU" and value not in dsa.TERRITORIAL_SCOPE:
        raise ValueError(f"unknown jurisdiction '{value}' (use 'EU' or a territorial_scope code)")
    return value


Category = Annotated[str, *_member_of("DSA category", dsa.CATEGORIES)]
Specification = Annotated[str, *_member_of("DSA specification", dsa.SPECIFICATIONS)]
DecisionGround = Annotated[str, *_member_of("DSA decision ground", dsa.DECISION_GROUNDS)]
Visibility = Annotated[str, *_member_of("DSA decision_visibility", dsa.DECISION_VISIBILITY)]
Article = Annotated[str, AfterValidator(_article), WithJsonSchema({"type": "string", "pattern": r"^\d{1,3}(\(\d{1,2}\))?(\([a-z]\))?$"})]
Jurisdiction = Annotated[str, AfterValidator(_jurisdiction)]


# ---- conditions ---------------------------------------------------------------------------------


class AllCondition(Strict):
    """True when every child is true."""

    all: Annotated[list[Condition], Field(min_length=1)]


class AnyCondition(Strict):
    """True when at least one child is true."""

    any: Annotated[list[Condition], Field(min_length=1)]


class NotCondition(Strict):
    """True when its child is false."""

    not_: Condition = Field(alias="not")


BRANCHES: dict[str, type[BaseModel]] = {"all": AllCondition, "any": AnyCondition, "not": NotCondition}
CONDITION_KEYS = (*BRANCHES, *LEAF_TYPES)
_TAGS: dict[type, str] = {**{m: k for k, m in BRANCHES.items()}, **{t.model: k for k, t in LEAF_TYPES.items()}}


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return _TAGS.get(type(value))
    if not isinstance(value, dict):
        return None
    present = [k for k in CONDITION_KEYS if k in value]
    return present[0] if len(present) == 1 else None


Condition = Annotated[
    Union[tuple(Annotated[model, Tag(key)] for model, key in _TAGS.items())],  # type: ignore[valid-type]
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message=f"a condition needs exactly one of: {', '.join(CONDITION_KEYS)}",
    ),
]

AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()


# ---- rules --------------------------------------------------------------------------------------


class DSAReference(Strict):
    """The law the rule implements, in Transparency Database identifiers."""

    articles: Annotated[list[Article], Field(min_length=1)]
    category: Category
    specification: list[Specification] = Field(default_factory=list)
    decision_ground: DecisionGround


class Window(Strict):
    """Fire only when at least `count` matching chunks of the broadcast fall within `seconds` of speech."""

    count: Annotated[int, Field(ge=1, le=1000)]
    seconds: Annotated[float, Field(gt=0)]
    per_speaker: bool = False


class RuleException(Strict):
    """An `unless` entry: when its condition holds the rule does not fire; the reason is recorded."""

    reason: Text
    when: Condition


class Escalation(Strict):
    """Raise (or lower) the severity by `levels` when the condition holds."""

    when: Condition
    levels: Annotated[int, Field(ge=-4, le=4)] = 1
    reason: Text


class Actions(Strict):
    """What to do with an alert: channels to notify, Art. 18 paging, the suggested visibility decision."""

    channels: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list)
    page_art18: bool = False
    decision_visibility: Visibility | None = None


class WindowChunk(Strict):
    """A preceding chunk of a rule test (the window and context the tested chunk follows)."""

    text: str
    fields: dict[str, Any] = Field(default_factory=dict)


class RuleTest(Strict):
    """An inline test: a chunk (with optional fields and preceding chunks) and whether the rule must fire on it."""

    name: str | None = None
    text: str
    fields: dict[str, Any] = Field(default_factory=dict)
    window: list[WindowChunk | str] = Field(default_factory=list)
    expect: Literal["alert", "no_alert"]
    narrative: str | None = Field(default=None, description="with expect: alert, the known narrative the firing must match")


class Rule(Strict):
    """One rule: identity and lifecycle, law and policy, the condition, its refinements, actions and tests."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: SemVer
    title: Text
    description: str | None = None
    modified: dt.date
    status: Literal["experimental", "test", "stable", "deprecated"]
    mode: Literal["enforce", "shadow"]
    severity: Severity
    dsa: DSAReference
    tos_clause: Text
    languages: list[Language] | None = Field(
        default=None, min_length=1,
        description="ISO 639-1 codes the rule applies to; without it, the languages the loaded classifier reads",
    )
    references: list[str] = Field(default_factory=list)
    falsepositives: list[str] = Field(default_factory=list)
    when: Condition
    window: Window | None = None
    unless: list[RuleException] = Field(default_factory=list)
    cooldown: Annotated[float, Field(ge=0, description="seconds of speech; repeats within it fold into the open alert")] = 0.0
    escalate: list[Escalation] = Field(default_factory=list)
    actions: Actions = Field(default_factory=Actions)
    tests: list[RuleTest]

    @model_validator(mode="after")
    def _has_both_tests(self) -> Rule:
        expects = {t.expect for t in self.tests}
        if expects != {"alert", "no_alert"}:
            raise ValueError("a rule needs at least one 'alert' test and one 'no_alert' test")
        return self


class RuleSet(Strict):
    """A rule-set file: metadata, named keyword lists and rules."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: SemVer
    title: Text
    description: str | None = None
    owner: Text
    jurisdiction: Annotated[list[Jurisdiction], Field(min_length=1)]
    effective_from: dt.date
    effective_until: dt.date | None = None
    references: list[str] = Field(default_factory=list)
    keyword_lists: dict[Annotated[str, Field(pattern=NAME_PATTERN)], KeywordList] = Field(
        default_factory=dict,
        description="named term lists: a plain list is English; a mapping from ISO 639-1 code to terms gives each "
                    "language its own (a chunk is matched against its language's terms)",
    )
    rules: Annotated[list[Rule], Field(min_length=1)]

    @model_validator(mode="after")
    def _effective_period(self) -> RuleSet:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self


def ruleset_json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule-set file (draft 2020-12), for editors and CI."""
    schema = RuleSet.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cct-tracking.invalid/schemas/ruleset.schema.json"
    schema["title"] = "cct-tracking DSA rule set"
    return schema
