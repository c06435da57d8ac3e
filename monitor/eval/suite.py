"""The functional suite (`tests/functional/*.jsonl`): typed cases, validated with `file:line: reason` errors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.alert import SEVERITIES
from monitor.language import KNOWN_LANGUAGES

DEFAULT_SUITE = Path(__file__).resolve().parents[2] / "tests" / "functional"

Category = Literal["election", "health", "threat", "hate", "claim"]
Polarity = Literal["harmful", "hard_negative", "benign"]
Expect = Literal["alert", "at_most_info", "no_alert"]
Severity = Literal["info", "low", "medium", "high", "critical"]
POSITIVE_CASE_TYPES: tuple[str, ...] = (
    "plain", "paraphrase", "implicit", "instruction", "dog_whistle", "asr_noise", "context_pair")
NEGATIVE_CASE_TYPES: tuple[str, ...] = (
    "context_pair", "debunk_quote", "counter_speech", "negation", "reporting", "figurative", "correct_info",
    "identity_terms", "satire", "historical", "political_criticism", "heated_debate", "opinion", "chatter", "question")
CASE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(POSITIVE_CASE_TYPES + NEGATIVE_CASE_TYPES))
# Case types that state a harm in order to refute or reject it: never above `info` (issue 10 target).
STANCE_NEGATIVES: tuple[str, ...] = ("counter_speech", "debunk_quote", "negation")


class Turn(BaseModel):
    """A preceding turn of the same broadcast."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    speaker_role: str = Field(min_length=1)
    text: str = Field(min_length=1)


class FunctionalCase(BaseModel):
    """One utterance under test, with its preceding turns and the expected outcome on its own chunk."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    language: str = Field(default="en", description="ISO 639-1 code of the speech; its chunks declare it")
    category: Category
    subcategory: str | None = None
    case_type: str = Field(min_length=1)
    polarity: Polarity
    speaker_role: str = Field(min_length=1)
    context: tuple[Turn, ...] = ()
    text: str = Field(min_length=1)
    expect: Expect
    min_severity: Severity | None = None
    pair: str | None = None
    regression: bool = False
    note: str = ""

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in KNOWN_LANGUAGES:
            raise ValueError(f"unknown language (ISO 639-1) {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FunctionalCase:
        if (self.expect == "alert") != (self.min_severity is not None):
            raise ValueError("min_severity is required with expect 'alert' and not allowed otherwise")
        if (self.polarity == "harmful") != (self.expect == "alert"):
            raise ValueError("a harmful case expects 'alert'; a hard_negative or benign case never does")
        allowed = POSITIVE_CASE_TYPES if self.harmful else NEGATIVE_CASE_TYPES
        if self.case_type not in allowed:
            raise ValueError(f"case_type {self.case_type!r} is not one of {', '.join(allowed)} ({self.polarity} cases)")
        return self

    @property
    def harmful(self) -> bool:
        return self.polarity == "harmful"

    def satisfied_by(self, severities: Iterable[str]) -> bool:
        """Whether alerts of these severities on the case chunk meet the expectation."""
        ranks = [SEVERITIES.index(s) for s in severities]
        if self.expect == "alert":
            assert self.min_severity is not None
            return any(r >= SEVERITIES.index(self.min_severity) for r in ranks)
        if self.expect == "at_most_info":
            return all(r <= SEVERITIES.index("info") for r in ranks)
        return not ranks


class SuiteError(ValueError):
    """The suite does not validate; `problems` are `file:line: reason` strings."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("functional suite is invalid:\n" + "\n".join(problems))
        self.problems = problems


def suite_files(path: Path) -> list[Path]:
    """`path` itself when it is a file, else its `*.jsonl` files, those in subfolders (`languages/`)
    included, in path order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SuiteError([f"{path}: no such file or directory"])
    files = sorted(path.rglob("*.jsonl"))
    if not files:
        raise SuiteError([f"{path}: no *.jsonl files"])
    return files


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'case'}: {e['msg']}" for e in exc.errors())


def load_suite(path: Path = DEFAULT_SUITE) -> list[FunctionalCase]:
    """Every case under `path`, in file and line order; raises SuiteError listing every bad line."""
    cases: list[FunctionalCase] = []
    problems: list[str] = []
    where: dict[str, str] = {}
    for file in suite_files(path):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            loc = f"{file}:{number}"
            try:
                case = FunctionalCase.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                problems.append(f"{loc}: not JSON ({exc.msg} at column {exc.colno})")
                continue
            except ValidationError as exc:
                problems.append(f"{loc}: {_problem(exc)}")
                continue
            if case.id in where:
                problems.append(f"{loc}: duplicate id {case.id!r} (first at {where[case.id]})")
                continue
            where[case.id] = loc
            cases.append(case)
    problems.extend(_pair_problems(cases, where))
    if problems:
        raise SuiteError(problems)
    return cases


def _pair_problems(cases: list[FunctionalCase], where: dict[str, str]) -> list[str]:
    """A context pair is two cases with the same text, different context and opposite expectations."""
    pairs: dict[str, list[FunctionalCase]] = {}
    for case in cases:
        if case.pair:
            pairs.setdefault(case.pair, []).append(case)
    problems = []
    for name, members in pairs.items():
        first = members[0]
        if len(members) != 2:
            problems.append(f"{where[first.id]}: pair {name!r} has {len(members)} case(s), expected 2")
        elif (members[0].text != members[1].text or members[0].context == members[1].context
              or members[0].harmful == members[1].harmful):
            problems.append(f"{where[first.id]}: pair {name!r} must share its text, differ in context and "
                            "have one harmful and one non-harmful case")
    return problems
