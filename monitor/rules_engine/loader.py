"""Load rule-set files safely and report every problem as `file:line: reason`.

YAML is parsed once with the safe loader into both data and a node tree; the node marks map each
value's path to its line, so schema errors (pydantic) and semantic errors (unknown labels, undefined
keyword lists, invalid RE2 patterns, duplicate ids, unbumped versions) point at the exact line.

Rule files are hostile input as far as the parser goes: a file larger than MAX_RULE_FILE_BYTES is
refused before it is read, anchors and aliases (`&a`, `*a`, the "billion laughs" expansion) are refused
while composing, and so is a document of more than MAX_RULE_NODES nodes, so nothing is ever expanded
or walked beyond a small, fixed budget.
"""

from __future__ import annotations

import subprocess
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.contracts import InvalidChunk, chunk_from_obj
from monitor.rules_engine.hashing import rule_body_sha256, rule_sha256, ruleset_sha256
from monitor.rules_engine.leaves import LEAF_TYPES, CheckContext
from monitor.rules_engine.leaves.base import Loc
from monitor.rules_engine.leaves.field import FIELDS
from monitor.rules_engine.leaves.keywords import terms_by_language
from monitor.rules_engine.model import CONDITION_KEYS, KNOWN_LABELS, RuleSet

RULE_SUFFIXES = (".yaml", ".yml")
NARRATIVES_DIR = "narratives"  # narrative sets, not rule files (monitor.narratives)
MAX_RULE_FILE_BYTES = 1024 * 1024  # the shipped sets are ~15 KB each
MAX_RULE_NODES = 100_000
TEST_CHUNK_FIELDS = frozenset(FIELDS) | {"start_ms", "end_ms", "ts"}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a rule file, located by file and line."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class RuleLoadError(Exception):
    """Raised when rule files do not validate; `problems` lists every `file:line: reason`."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LineMap:
    """Line numbers (1-based) of every key and value path in one YAML document."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        """The line of the deepest known prefix of `loc`."""
        for end in range(len(loc), -1, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found is not None:
                return found
        return 1


@dataclass
class LoadedRuleSet:
    """A validated rule-set file with its hashes and line map."""

    path: str
    ruleset: RuleSet
    lines: LineMap
    sha256: str
    rule_sha256: dict[str, str]


@dataclass
class LoadResult:
    """What loading a set of paths gave: the valid rule sets and every problem found."""

    sets: list[LoadedRuleSet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Rule files named by `paths`: files as given, directories searched recursively for *.yaml / *.yml
    (outside `narratives/` directories, which hold narrative sets)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file()
                                and NARRATIVES_DIR not in p.relative_to(path).parts[:-1]))
        else:
            found.append(path)
    return found


def _walk(node: yaml.Node, loc: Loc, lines: LineMap, problems: list[tuple[int, str]]) -> None:
    lines.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append((key_node.start_mark.line + 1, f"duplicate key '{key}'"))
            seen.add(key)
            lines.lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines, problems)


class RuleFileLoader(yaml.SafeLoader):
    """The safe loader without anchors or aliases, and with a cap on the number of nodes it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
            raise yaml.composer.ComposerError(
                None, None, f"YAML {kind} '{event.anchor}': anchors and aliases are not allowed in rule files; "
                "write the value out",
                event.start_mark,
            )
        self.nodes += 1
        if self.nodes > MAX_RULE_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_RULE_NODES} YAML nodes; a rule file is far smaller", event.start_mark,
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str, file: str) -> tuple[Any, LineMap, list[Problem]]:
    """Safe-load one YAML document (no aliases, bounded size); return its data, its line map and syntax problems."""
    lines = LineMap()
    if len(text) > MAX_RULE_FILE_BYTES:
        return None, lines, [Problem(file, 1, f"{len(text)} characters exceeds the rule-file limit of {MAX_RULE_FILE_BYTES}")]
    loader = RuleFileLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines, [Problem(file, 1, "the file is empty")]
        raw: list[tuple[int, str]] = []
        _walk(node, (), lines, raw)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, lines, [Problem(file, line, f"invalid YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, lines, [Problem(file, 1, f"invalid YAML: {exc}")]
    except RecursionError:
        return None, lines, [Problem(file, 1, "invalid YAML: nested deeper than the parser allows")]
    finally:
        loader.dispose()
    return data, lines, [Problem(file, line, reason) for line, reason in raw]


def _real_path(data: Any, loc: Loc) -> Loc:
    """Follow a pydantic error location through the data, dropping union tags that are not keys."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and part not in node and part == loc[-1]:
            path.append(part)
    return tuple(path)


def _where(data: Any, path: Loc) -> str:
    """`rule 'id': when.all[0]` style location text."""
    prefix = ""
    rest = list(path)
    if len(rest) >= 2 and rest[0] == "rules" and isinstance(rest[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[rest[1]] if isinstance(rules, list) and rest[1] < len(rules) else None
        rid = rule.get("id") if isinstance(rule, dict) else None
        prefix = f"rule '{rid}'" if isinstance(rid, str) else f"rules[{rest[1]}]"
        rest = rest[2:]
    text = ""
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if prefix and text:
        return f"{prefix}: {text}"
    return prefix or text


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] == "missing":
        return f"missing required field '{err['loc'][-1]}'"
    if err["type"] == "extra_forbidden":
        return f"unknown field '{err['loc'][-1]}'"
    return msg


def _schema_problems(exc: ValidationError, data: Any, lines: LineMap, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        path = _real_path(data, tuple(err["loc"]))
        if err["type"] in ("missing", "extra_forbidden") and path and path[-1] == err["loc"][-1]:
            line = lines.line(path if err["type"] == "extra_forbidden" else path[:-1])
            where = _where(data, path[:-1])
        else:
            line = lines.line(path)
            where = _where(data, path)
        reason = _message(err)
        problems.append(Problem(file, line, f"{where}: {reason}" if where else reason))
    return sorted(set(problems))


def _conditions(node: Any, loc: Loc) -> Iterable[tuple[Loc, dict[str, Any]]]:
    """Every condition leaf or branch in a raw rule, with its path."""
    if isinstance(node, dict):
        if any(k in node for k in CONDITION_KEYS):
            yield loc, node
        for key, value in node.items():
            if key != "tests":
                yield from _conditions(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _conditions(value, (*loc, i))


def rule_test_chunk(text: str, fields: dict[str, Any], seq: int) -> dict[str, Any]:
    """A transcript-chunk object for a rule test: dotted `fields` keys become nested fields."""
    obj: dict[str, Any] = {"broadcast_id": "rule-test", "seq": seq, "text": text}
    for dotted, value in fields.items():
        node = obj
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return obj


def _semantic_problems(ruleset: RuleSet, data: dict[str, Any], lines: LineMap, file: str,
                       labels: Sequence[str], narrative_sets: Collection[str]) -> list[Problem]:
    problems: list[Problem] = []

    def add(loc: Loc, reason: str) -> None:
        problems.append(Problem(file, lines.line(loc), f"{_where(data, loc)}: {reason}"))

    lists = {name: tuple(terms_by_language(entry)) for name, entry in ruleset.keyword_lists.items()}
    file_ctx = CheckContext(labels, set(lists), narrative_sets, lists)
    for i, rule in enumerate(data.get("rules", [])):
        ctx = replace(file_ctx, rule_languages=tuple(ruleset.rules[i].languages or ()))
        for loc, node in _conditions(rule, ("rules", i)):
            for key, leaf in LEAF_TYPES.items():
                if key in node:
                    for sub, reason in leaf.check(node, ctx):
                        add((*loc, *sub), reason)
        for t, test in enumerate(ruleset.rules[i].tests):
            chunks = [(c, ("window", w)) for w, c in enumerate(test.window)]
            for n, (chunk, sub) in enumerate([*chunks, (test, ())]):
                text = chunk if isinstance(chunk, str) else chunk.text
                fields = {} if isinstance(chunk, str) else chunk.fields
                loc = ("rules", i, "tests", t, *sub)
                unknown = sorted(set(fields) - TEST_CHUNK_FIELDS)
                if unknown:
                    add((*loc, "fields"), f"unknown test field '{unknown[0]}'")
                    continue
                try:
                    chunk_from_obj(rule_test_chunk(text, fields, n))
                except InvalidChunk as exc:
                    add((*loc, "fields"), f"invalid test chunk: {exc.detail}")
    for name, entry in ruleset.keyword_lists.items():
        for language, terms in terms_by_language(entry).items():
            for k, term in enumerate(terms):
                if not any(ch.isalnum() for ch in term):
                    where = ("keyword_lists", name, k) if isinstance(entry, list) else ("keyword_lists", name, language, k)
                    add(where, f"keyword '{term}' has no letters or digits")
    return problems


def load_text(text: str, file: str, labels: Sequence[str] = KNOWN_LABELS,
              narrative_sets: Collection[str] = ()) -> tuple[LoadedRuleSet | None, list[Problem]]:
    """Parse and validate one rule-set file's text (`narrative_sets`: ids of the narrative sets in force)."""
    data, lines, problems = parse_yaml(text, file)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        return None, [*problems, Problem(file, 1, "a rule-set file must hold a mapping at the top level")]
    try:
        ruleset = RuleSet.model_validate(data)
    except ValidationError as exc:
        return None, sorted(set(problems + _schema_problems(exc, data, lines, file)))
    problems += _semantic_problems(ruleset, data, lines, file, labels, narrative_sets)
    if problems:
        return None, sorted(set(problems))
    hashes = {r.id: rule_sha256(r, ruleset.keyword_lists) for r in ruleset.rules}
    return LoadedRuleSet(file, ruleset, lines, ruleset_sha256(ruleset), hashes), []


def _read(path: Path) -> tuple[str | None, Problem | None]:
    """The file's text, or the problem; a file over MAX_RULE_FILE_BYTES is refused before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE_BYTES:
            return None, Problem(str(path), 1, f"{size} bytes exceeds the rule-file limit of {MAX_RULE_FILE_BYTES}")
        return path.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, Problem(str(path), 1, "no such file")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(str(path), 1, f"cannot read: {exc}")


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    """A sort key for a validated semantic version (a pre-release sorts before its release)."""
    core, _, pre = version.partition("-")
    major, minor, patch = (int(x) for x in core.split("."))
    return major, minor, patch, 0 if pre else 1, pre


def read_reference(against: str, paths: Sequence[Path]) -> tuple[list[RuleSet], str]:
    """The rule sets in a file or directory, or in a git revision of the same `paths`.

    Files that do not parse there are skipped: only rules that exist in the reference are compared.
    """
    texts: list[tuple[str, str]] = []
    ref = Path(against)
    if ref.exists():
        for p in discover([ref]):
            text, _ = _read(p)
            if text is not None:
                texts.append((str(p), text))
    else:
        texts = _git_texts(against, paths)
    sets: list[RuleSet] = []
    for name, text in texts:
        data, _, problems = parse_yaml(text, name)
        if problems or not isinstance(data, dict):
            continue
        try:
            sets.append(RuleSet.model_validate(data))
        except ValidationError:
            continue
    return sets, against


def reference_rules(against: str, paths: Sequence[Path]) -> tuple[dict[str, tuple[str, str]], str]:
    """Rule id → (version, body sha256) in the reference named by `against` (see read_reference)."""
    sets, label = read_reference(against, paths)
    rules: dict[str, tuple[str, str]] = {}
    for ruleset in sets:
        for rule in ruleset.rules:
            rules[rule.id] = (rule.version, rule_body_sha256(rule, ruleset.keyword_lists))
    return rules, label


def _git_texts(rev: str, paths: Sequence[Path]) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).resolve()
        where = path if path.is_dir() else path.parent
        top = subprocess.run(["git", "-C", str(where), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=False)
        if top.returncode != 0:
            raise ValueError(f"{rev}: not a file or directory, and {raw} is not in a git repository")
        root = Path(top.stdout.strip())
        rel = path.relative_to(root).as_posix()
        listing = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "--name-only", rev, "--", rel],
                                 capture_output=True, text=True, check=False)
        if listing.returncode != 0:
            raise ValueError(f"{rev}: not a file, a directory or a git revision ({listing.stderr.strip()})")
        for name in listing.stdout.splitlines():
            if not name.endswith(RULE_SUFFIXES):
                continue
            shown = subprocess.run(["git", "-C", str(root), "show", f"{rev}:{name}"],
                                   capture_output=True, text=True, check=False)
            if shown.returncode == 0:
                texts.append((f"{rev}:{name}", shown.stdout))
    return texts


def _version_problems(sets: list[LoadedRuleSet], reference: dict[str, tuple[str, str]], label: str) -> list[Problem]:
    problems = []
    for loaded in sets:
        for i, rule in enumerate(loaded.ruleset.rules):
            old = reference.get(rule.id)
            if old is None:
                continue
            old_version, old_body = old
            line = loaded.lines.line(("rules", i, "version"))
            if semver_key(rule.version) < semver_key(old_version):
                problems.append(Problem(loaded.path, line,
                                        f"rule '{rule.id}': version {rule.version} is lower than {old_version} in {label}"))
            elif rule_body_sha256(rule, loaded.ruleset.keyword_lists) != old_body and rule.version == old_version:
                problems.append(Problem(loaded.path, line,
                                        f"rule '{rule.id}': changed since {label} without a version bump (still {rule.version})"))
    return problems


def load_rule_sets(paths: Sequence[Path | str], labels: Sequence[str] = KNOWN_LABELS,
                   against: str | None = None) -> LoadResult:
    """Load and validate every rule file under `paths`; check ids across files and, with `against`, versions.

    The narrative sets in a `narratives/` directory beside the rule files are validated too, and are the
    sets `narrative` conditions may name.
    """
    from monitor.narratives.loader import load_sets, narrative_dirs

    result = LoadResult()
    narrative_sets, result.problems = load_sets(narrative_dirs(paths))
    set_ids = {s.set.id for s in narrative_sets}
    files = discover(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths) or "(none)"
        result.problems.append(Problem(shown, 1, "no rule files found"))
        return result
    for path in files:
        text, problem = _read(path)
        if problem is not None:
            result.problems.append(problem)
            continue
        loaded, problems = load_text(text or "", str(path), labels, set_ids)
        result.problems += problems
        if loaded is not None:
            result.sets.append(loaded)
    first_rule: dict[str, str] = {}
    first_set: dict[str, str] = {}
    for loaded in result.sets:
        here = f"{loaded.path}:{loaded.lines.line(('id',))}"
        if loaded.ruleset.id in first_set:
            result.problems.append(Problem(loaded.path, loaded.lines.line(("id",)),
                                           f"duplicate rule-set id '{loaded.ruleset.id}' (first in {first_set[loaded.ruleset.id]})"))
        first_set.setdefault(loaded.ruleset.id, here)
        for i, rule in enumerate(loaded.ruleset.rules):
            line = loaded.lines.line(("rules", i, "id"))
            if rule.id in first_rule:
                result.problems.append(Problem(loaded.path, line,
                                               f"duplicate rule id '{rule.id}' (first in {first_rule[rule.id]})"))
            first_rule.setdefault(rule.id, f"{loaded.path}:{line}")
    if against is not None:
        try:
            reference, label = reference_rules(against, [Path(p) for p in paths])
        except ValueError as exc:
            result.problems.append(Problem(str(against), 1, str(exc)))
        else:
            result.problems += _version_problems(result.sets, reference, label)
    result.problems.sort()
    return result


def load_or_raise(paths: Sequence[Path | str], labels: Sequence[str] = KNOWN_LABELS) -> list[LoadedRuleSet]:
    """The valid rule sets under `paths`, or RuleLoadError listing every problem."""
    result = load_rule_sets(paths, labels)
    if result.problems:
        raise RuleLoadError(result.problems)
    return result.sets


