"""The narrative-set file format: claims already rated by a fact-checker, each with its fact-check.

A set is a YAML file in `rules/narratives/` (see its README); `rules/narratives/schema.json` is generated
from these models (`cct-monitor narratives schema`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from monitor import dsa
from monitor.semver import ID_PATTERN, SemVer

NARRATIVE_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,119}$"
RATINGS = ("false", "misleading", "missing-context", "altered", "satire", "unproven", "mostly-false", "pants-fire")
Rating = Literal[RATINGS]  # type: ignore[valid-type]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
Text = Annotated[str, Field(min_length=1)]


def _territory(value: str) -> str:
    if value not in dsa.TERRITORIAL_SCOPE and value != "EU" and not (len(value) == 2 and value.isupper()):
        raise ValueError(f"territory '{value}' is not 'EU' or an ISO 3166 alpha-2 code")
    return value


Territory = Annotated[str, BeforeValidator(_territory), WithJsonSchema({"type": "string", "pattern": r"^(EU|[A-Z]{2})$"})]
Url = Annotated[AnyHttpUrl, WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactCheck(_Strict):
    """The published fact-check of the claim."""

    url: Url
    publisher: Text
    date: dt.date | None = None
    language: Language | None = None
    title: str | None = None


class Narrative(_Strict):
    """One claim as fact-checked, with how it is rated, where it circulates and until when it is watched."""

    id: Annotated[str, Field(pattern=NARRATIVE_ID_PATTERN)]
    claim: Text
    rating: Rating
    factcheck: FactCheck
    paraphrases: list[Text] = Field(default_factory=list, description="other wordings of the claim as it is said")
    examples: list[Text] = Field(default_factory=list, description="utterances seen repeating the claim")
    topics: list[Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    territories: list[Territory] = Field(default_factory=list, description="where it circulates; empty: anywhere")
    expires: dt.date | None = Field(default=None, description="after this day the narrative is no longer matched")

    def texts(self) -> list[str]:
        """Every wording the matcher compares speech with: the claim, its paraphrases and examples."""
        return [self.claim, *self.paraphrases, *self.examples]

    def active_on(self, day: dt.date) -> bool:
        """False once the narrative has expired."""
        return self.expires is None or day <= self.expires

    def circulates_in(self, territories: list[str] | None) -> bool:
        """True when the narrative has no territory limit, the chunk names none, or they overlap ('EU' = any EU state)."""
        if not self.territories or not territories:
            return True
        mine = set(self.territories)
        if "EU" in mine:
            mine |= dsa.TERRITORIAL_SCOPE
        return bool(mine & set(territories))

    def factcheck_ref(self) -> dict[str, Any]:
        """The fact-check as an alert carries it."""
        return {"url": str(self.factcheck.url), "rating": self.rating, "publisher": self.factcheck.publisher,
                "narrative_id": self.id}


class NarrativeSet(_Strict):
    """A narrative-set file: metadata and narratives."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: SemVer
    title: Text
    description: str | None = None
    owner: Text
    updated: dt.date
    narratives: Annotated[list[Narrative], Field(min_length=1)]

    def documented_in_eu(self) -> tuple[int, Counter[str]]:
        """How many narratives name at least one EU member state in `territories`, and the count per state
        ('EU' itself is not a state)."""
        states = [[t for t in n.territories if t in dsa.TERRITORIAL_SCOPE] for n in self.narratives]
        return sum(bool(s) for s in states), Counter(t for s in states for t in s)

    @model_validator(mode="after")
    def _unique_ids(self) -> NarrativeSet:
        seen: set[str] = set()
        for n in self.narratives:
            if n.id in seen:
                raise ValueError(f"duplicate narrative id '{n.id}'")
            seen.add(n.id)
        return self


def narrative_set_json_schema() -> dict[str, Any]:
    """The JSON Schema of a narrative-set file (draft 2020-12)."""
    schema = NarrativeSet.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cct-tracking.invalid/schemas/narrative-set.schema.json"
    schema["title"] = "cct-tracking narrative set"
    return schema
