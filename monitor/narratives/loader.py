"""Load narrative-set files safely; report every problem as `file:line: reason`.

Sets live in a `narratives/` directory beside the rule files (by default `rules/narratives/`). Each set
carries its version and the sha256 of its canonical form, stamped into every decision and alert that
a narrative rule makes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from monitor.narratives.model import NarrativeSet
from monitor.rules_engine.hashing import sha256_of
from monitor.rules_engine.loader import NARRATIVES_DIR, LineMap, Problem, RuleLoadError, _schema_problems, parse_yaml

SET_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedNarrativeSet:
    """A validated narrative set with its sha256 and line map."""

    path: str
    set: NarrativeSet
    lines: LineMap
    sha256: str

    @property
    def stamp(self) -> dict[str, str]:
        """id, version and sha256, as decisions and alerts record them."""
        return {"id": self.set.id, "version": self.set.version, "sha256": self.sha256}


def set_sha256(narrative_set: NarrativeSet) -> str:
    """sha256 of the canonical JSON of a set (formatting and key order never change it)."""
    return sha256_of(narrative_set.model_dump(mode="json"))


def load_set_text(text: str, file: str) -> tuple[LoadedNarrativeSet | None, list[Problem]]:
    """Parse and validate one narrative-set file's text."""
    data, lines, problems = parse_yaml(text, file)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        return None, [*problems, Problem(file, 1, "a narrative-set file must hold a mapping at the top level")]
    try:
        narrative_set = NarrativeSet.model_validate(data)
    except ValidationError as exc:
        return None, sorted(set(problems + _schema_problems(exc, data, lines, file)))
    if problems:
        return None, problems
    return LoadedNarrativeSet(file, narrative_set, lines, set_sha256(narrative_set)), []


def set_files(paths: Iterable[Path | str]) -> list[Path]:
    """Narrative-set files named by `paths`: files as given, directories' *.yaml / *.yml (not recursive)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SET_SUFFIXES and p.is_file()))
        elif path.exists():
            found.append(path)
    return found


def narrative_dirs(rule_paths: Sequence[Path | str]) -> list[Path]:
    """The `narratives/` directory beside (or inside) each rule path that has one."""
    dirs: list[Path] = []
    for raw in rule_paths:
        path = Path(raw)
        base = path if path.is_dir() else path.parent
        candidate = base / NARRATIVES_DIR
        if candidate.is_dir() and candidate not in dirs:
            dirs.append(candidate)
    return dirs


def load_sets(paths: Sequence[Path | str]) -> tuple[list[LoadedNarrativeSet], list[Problem]]:
    """Every valid set under `paths` and every problem (including ids used twice)."""
    sets: list[LoadedNarrativeSet] = []
    problems: list[Problem] = []
    for path in set_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, f"cannot read: {exc}"))
            continue
        loaded, found = load_set_text(text, str(path))
        problems += found
        if loaded is not None:
            sets.append(loaded)
    first: dict[str, str] = {}
    for loaded in sets:
        line = loaded.lines.line(("id",))
        if loaded.set.id in first:
            problems.append(Problem(loaded.path, line, f"duplicate narrative-set id '{loaded.set.id}' (first in {first[loaded.set.id]})"))
        first.setdefault(loaded.set.id, f"{loaded.path}:{line}")
    return sets, sorted(problems)


def load_sets_or_raise(paths: Sequence[Path | str]) -> list[LoadedNarrativeSet]:
    """The valid sets under `paths`, or RuleLoadError listing every problem."""
    sets, problems = load_sets(paths)
    if problems:
        raise RuleLoadError(problems)
    return sets


@dataclass(frozen=True)
class VerifiedClaim:
    """One row of a verified-claims file (CheckThat! `vclaims` format)."""

    id: str
    claim: str
    title: str | None
    url: str | None
    rating: str | None
    date: str | None
    speaker: str | None = None


def read_vclaims_jsonl(path: Path) -> tuple[list[VerifiedClaim], list[Problem]]:
    """Verified claims from JSONL (`vclaim_id`, `vclaim`, optional `title`, `url`/`page_url`, `truth_label`, `date`)."""
    claims: list[VerifiedClaim] = []
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(path), n, f"not JSON: {exc.msg}"))
                continue
            claim = vclaim_from_row(row)
            if isinstance(claim, str):
                problems.append(Problem(str(path), n, claim))
            else:
                claims.append(claim)
    return claims, problems


def vclaim_from_row(row: object) -> VerifiedClaim | str:
    """A verified claim from one parsed row, or the reason it is not one."""
    if not isinstance(row, dict):
        return "a verified claim must be an object"
    vid, text = row.get("vclaim_id"), row.get("vclaim")
    if not isinstance(vid, str) or not vid.strip():
        return "missing 'vclaim_id'"
    if not isinstance(text, str) or not text.strip():
        return f"claim {vid}: missing 'vclaim' text"

    def opt(*keys: str) -> str | None:
        for key in keys:
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    return VerifiedClaim(vid.strip(), text.strip(), opt("title"), opt("url", "page_url"), opt("truth_label", "rating"), opt("date"),
                         opt("speaker"))
