"""The rule-set file format. Every field an auditor reads is typed here; `rules/schema.json` is generated from it.

Conditions (`when`, `unless[].when`, `escalate[].when`) are trees of `all` / `any` / `not` whose leaves are
`label` (classifier score), `keywords` (a named keyword list), `regex` (RE2) and `field` (chunk field predicate).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

from monitor import dsa
from monitor.alert import SEVERITIES

DEFAULT_LABELS: tuple[str, ...] = ("claim", "election", "health", "threat", "hate")
# The multi-task classifier's stance shares (interfaces item 1); a classifier without them scores none,
# and a label leaf on a missing score is false.
STANCE_LABELS: tuple[str, ...] = ("stance_assert", "stance_quote", "stance_report", "stance_deny", "stance_condemn")
KNOWN_LABELS: tuple[str, ...] = DEFAULT_LABELS + STANCE_LABELS

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

SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,79}$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_SEMVER_RE = re.compile(SEMVER_PATTERN)

Severity = Literal["info", "low", "medium", "high", "critical"]
assert tuple(Severity.__args__) == SEVERITIES  # type: ignore[attr-defined]


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


def _semver(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not _SEMVER_RE.match(value):
        raise ValueError(f"version '{value}' is not semantic versioning (MAJOR.MINOR.PATCH, e.g. 1.0.0)")
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
SemVer = Annotated[str, BeforeValidator(_semver), WithJsonSchema({"type": "string", "pattern": SEMVER_PATTERN})]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---- conditions ---------------------------------------------------------------------------------

Scope = Literal["chunk", "context"]


class LabelCondition(_Strict):
    """A classifier label score compared with a threshold: `{label: election, gte: 0.8}`."""

    label: Text
    gte: Score | None = None
    gt: Score | None = None
    lte: Score | None = None
    lt: Score | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> LabelCondition:
        ops = [op for op in ("gte", "gt", "lte", "lt") if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError("a label condition needs exactly one of gte, gt, lte, lt")
        return self

    @property
    def op(self) -> tuple[str, float]:
        """The comparison and its threshold."""
        for op in ("gte", "gt", "lte", "lt"):
            value = getattr(self, op)
            if value is not None:
                return op, value
        raise AssertionError("validated")


class KeywordsRef(_Strict):
    """Which keyword list to look for, and where: this chunk only, or this chunk plus the preceding context."""

    list: Annotated[str, Field(pattern=NAME_PATTERN)]
    scope: Scope = "chunk"


class KeywordsCondition(_Strict):
    """Any term of a named keyword list, matched as whole words, case- and accent-insensitive."""

    keywords: KeywordsRef


class RegexSpec(_Strict):
    """An RE2 pattern (linear time), matched on the text with accents removed."""

    pattern: Text
    scope: Scope = "chunk"
    case_sensitive: bool = False


class RegexCondition(_Strict):
    """A regular expression leaf."""

    regex: RegexSpec


FieldName = Literal[tuple(FIELDS)]  # type: ignore[valid-type]


class FieldCondition(_Strict):
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


class AllCondition(_Strict):
    """True when every child is true."""

    all: Annotated[list[Condition], Field(min_length=1)]


class AnyCondition(_Strict):
    """True when at least one child is true."""

    any: Annotated[list[Condition], Field(min_length=1)]


class NotCondition(_Strict):
    """True when its child is false."""

    not_: Condition = Field(alias="not")


CONDITION_KEYS = ("all", "any", "not", "label", "keywords", "regex", "field")


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {
            AllCondition: "all", AnyCondition: "any", NotCondition: "not", LabelCondition: "label",
            KeywordsCondition: "keywords", RegexCondition: "regex", FieldCondition: "field",
        }.get(type(value))
    if not isinstance(value, dict):
        return None
    present = [k for k in CONDITION_KEYS if k in value]
    return present[0] if len(present) == 1 else None


Condition = Annotated[
    Union[
        Annotated[AllCondition, Tag("all")],
        Annotated[AnyCondition, Tag("any")],
        Annotated[NotCondition, Tag("not")],
        Annotated[LabelCondition, Tag("label")],
        Annotated[KeywordsCondition, Tag("keywords")],
        Annotated[RegexCondition, Tag("regex")],
        Annotated[FieldCondition, Tag("field")],
    ],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message="a condition needs exactly one of: all, any, not, label, keywords, regex, field",
    ),
]

AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()


# ---- rules --------------------------------------------------------------------------------------


class DSAReference(_Strict):
    """The law the rule implements, in Transparency Database identifiers."""

    articles: Annotated[list[Article], Field(min_length=1)]
    category: Category
    specification: list[Specification] = Field(default_factory=list)
    decision_ground: DecisionGround


class Window(_Strict):
    """Fire only when at least `count` matching chunks of the broadcast fall within `seconds` of speech."""

    count: Annotated[int, Field(ge=1, le=1000)]
    seconds: Annotated[float, Field(gt=0)]
    per_speaker: bool = False


class RuleException(_Strict):
    """An `unless` entry: when its condition holds the rule does not fire; the reason is recorded."""

    reason: Text
    when: Condition


class Escalation(_Strict):
    """Raise (or lower) the severity by `levels` when the condition holds."""

    when: Condition
    levels: Annotated[int, Field(ge=-4, le=4)] = 1
    reason: Text


class Actions(_Strict):
    """What to do with an alert: channels to notify, Art. 18 paging, the suggested visibility decision."""

    channels: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list)
    page_art18: bool = False
    decision_visibility: Visibility | None = None


class WindowChunk(_Strict):
    """A preceding chunk of a rule test (the window and context the tested chunk follows)."""

    text: str
    fields: dict[str, Any] = Field(default_factory=dict)


class RuleTest(_Strict):
    """An inline test: a chunk (with optional fields and preceding chunks) and whether the rule must fire on it."""

    name: str | None = None
    text: str
    fields: dict[str, Any] = Field(default_factory=dict)
    window: list[WindowChunk | str] = Field(default_factory=list)
    expect: Literal["alert", "no_alert"]


class Rule(_Strict):
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


class RuleSet(_Strict):
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
    keyword_lists: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Annotated[list[Text], Field(min_length=1)]] = Field(
        default_factory=dict
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
