"""Labelled training data from CSV or JSONL files, described by a compact source spec.

A spec is `PATH` optionally followed by `?key=value&key=value` overriding the command-line defaults:

- `text_col`, `label_col`: column names (JSONL: object keys).
- `positive`: label values (comma-separated) that mean 1; `negative`: values that mean 0 — when
  `negative` is given, rows with any other value are dropped; otherwise every non-positive value is 0.
- `label=0|1`: every row gets this label (background negatives, positive-only sets); no label column.
- `group_col`: rows sharing a value (a debate, a video, a template) stay on one side of every split.
- `context=previous`: each row's context is the previous `context_n` rows of the same group, in file
  order (a transcript); `context=<column>`: a column holding a list of previous texts (or one string).
- `where=COL:V1,V2`: keep only rows whose COL is one of the values (e.g. `where=label_name:claim`).
- `limit=N`: keep at most N rows of each label, sampled with the run's seed.
- `weight=W`: training weight of this source's rows (default 1; e.g. weight hard negatives up).
- `name`: a short source name for the model card (default: the file name).

`corpus:NAME` instead of a path reads a registered public data set through its reader in
`monitor/classify/corpora.py` (the label choices made there), without its public test split: columns
`text`, `group`, `context`, `stance` and one per task it annotates (e.g. `label_col=hate`); a row that
does not carry the chosen label is dropped.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from monitor.classify import corpora

CORPUS_PREFIX = "corpus:"
SPEC_KEYS = {"weight", "where", "text_col", "label_col", "positive", "negative", "label", "group_col", "context", "context_n", "limit", "name"}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text with its transcript context and split group."""

    text: str
    label: int
    group: str
    source: str
    context: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """How to read one data file."""

    path: Path
    text_col: str = "text"
    label_col: str = "label"
    positive: tuple[str, ...] = ("1",)
    negative: tuple[str, ...] = ()
    label: int | None = None
    group_col: str | None = None
    context: str | None = None
    context_n: int = 2
    limit: int | None = None
    where: tuple[str, tuple[str, ...]] | None = None
    weight: float = 1.0
    name: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return self.name or self.path.name


def parse_spec(spec: str, defaults: dict[str, Any]) -> SourceSpec:
    """Parse `PATH[?k=v&...]` with `defaults` (text_col, label_col, positive, group_col) from the CLI."""
    path, _, query = spec.partition("?")
    opts = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    unknown = set(opts) - SPEC_KEYS
    if unknown:
        raise ValueError(f"{spec}: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(SPEC_KEYS))}")
    merged = {k: v for k, v in defaults.items() if v not in (None, (), [])}

    def split(v: str) -> tuple[str, ...]:
        return tuple(x.strip() for x in v.split(",") if x.strip())

    for key in ("text_col", "label_col", "group_col", "context", "name"):
        if key in opts:
            merged[key] = opts[key] or None
    for key in ("positive", "negative"):
        if key in opts:
            merged[key] = split(opts[key])
    if "positive" in merged:
        merged["positive"] = tuple(str(v) for v in merged["positive"])
    for key in ("label", "context_n", "limit"):
        if key in opts:
            merged[key] = int(opts[key])
    if "weight" in opts:
        merged["weight"] = float(opts["weight"])
        if not merged["weight"] > 0:
            raise ValueError(f"{spec}: weight= must be positive")
    if "where" in opts:
        col, sep, values = opts["where"].partition(":")
        if not sep or not col or not split(values):
            raise ValueError(f"{spec}: where= must look like COLUMN:VALUE[,VALUE...]")
        merged["where"] = (col, split(values))
    if merged.get("label") not in (None, 0, 1):
        raise ValueError(f"{spec}: label= must be 0 or 1")
    return SourceSpec(path=Path(path), options=opts, **merged)


def corpus_name(path: Path | str) -> str | None:
    """The registered data set a `corpus:NAME` spec path names, else None."""
    text = str(path)
    return text[len(CORPUS_PREFIX):] if text.startswith(CORPUS_PREFIX) else None


def _rows(path: Path) -> list[dict[str, Any]]:
    name = corpus_name(path)
    if name is not None:
        return corpora.spec_rows(name)
    if not path.is_file():
        raise FileNotFoundError(f"training data {path} does not exist")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        rows = []
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
        return rows
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _label_of(spec: SourceSpec, row: dict[str, Any]) -> int | None:
    if spec.label is not None:
        return spec.label
    if spec.label_col not in row:
        raise KeyError(f"{spec.path}: no label column {spec.label_col!r} (have {', '.join(map(str, row))})")
    if row[spec.label_col] is None:
        return None
    value = str(row[spec.label_col]).strip()
    if value.lower() in ("true", "false"):
        value = "1" if value.lower() == "true" else "0"
    if value in spec.positive:
        return 1
    if spec.negative and value not in spec.negative:
        return None
    return 0


def _context_of(spec: SourceSpec, row: dict[str, Any], history: list[str]) -> tuple[str, ...]:
    if spec.context is None:
        return ()
    if spec.context == "previous":
        return tuple(history[-spec.context_n :]) if spec.context_n else ()
    value = row.get(spec.context)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)[-spec.context_n :] if spec.context_n else ()


def load_source(spec: SourceSpec, seed: int) -> list[Example]:
    """All usable examples of one source (rows with empty text or a dropped label value are skipped)."""
    rows = _rows(spec.path)
    history: dict[str, list[str]] = defaultdict(list)
    out: list[Example] = []
    for i, row in enumerate(rows):
        if spec.text_col not in row:
            raise KeyError(f"{spec.path}: no text column {spec.text_col!r} (have {', '.join(map(str, row))})")
        text = str(row[spec.text_col] or "").strip()
        group_value = str(row.get(spec.group_col, "")) if spec.group_col else ""
        group = f"{spec.display}:{group_value}" if spec.group_col else f"{spec.display}:#{i}"
        label = _label_of(spec, row)
        context = _context_of(spec, row, history[group])
        if text:
            history[group].append(text)
        if not text or label is None:
            continue
        if spec.where is not None and str(row.get(spec.where[0], "")) not in spec.where[1]:
            continue
        out.append(Example(text=text, label=label, group=group, source=spec.display, context=context, weight=spec.weight))
    if spec.limit is not None:
        rng = random.Random(f"{seed}:{spec.display}")
        kept: list[Example] = []
        for lab in (0, 1):
            part = [e for e in out if e.label == lab]
            kept.extend(part if len(part) <= spec.limit else rng.sample(part, spec.limit))
        order = {id(e): i for i, e in enumerate(out)}
        out = sorted(kept, key=lambda e: order[id(e)])
    return out


def load_all(specs: list[SourceSpec], seed: int) -> list[Example]:
    """Examples of every source, in spec order."""
    examples: list[Example] = []
    for spec in specs:
        examples.extend(load_source(spec, seed))
    return examples
