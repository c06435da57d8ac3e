"""The multi-task training mix: public corpora (capped per source) plus the project-written spoken data.

A public source labels only the tasks it annotates; for the other tasks a source is used as a
background negative only where that is safe (`BACKGROUND`): debate lines are not threats, but
Telegram replies full of "stolen election" talk are not safe election negatives, and Davidson's
offensive tweets are not safe threat negatives. Project-written rows carry their labels (and stance,
and context) in the file. Splits come from `corpora.split_of` for every row (project rows by group).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from monitor.classify import corpora
from monitor.classify.multitask import STANCES

TASKS = corpora.TASKS
SYNTHETIC_DIR = corpora.REPO_ROOT / "monitor" / "data" / "synthetic"

# Rows kept per public source and split (positives first up to half the cap, the rest negatives).
# Sources labelled by topic or by the outlet (ElectAI, CONSTRAINT, CoAID) are capped lower: they teach
# "talks about COVID / fraud" more than "asserts a falsehood", which the spoken data has to outweigh.
CAPS: dict[str, int] = {
    "clef2019": 1800, "clef2020-debates": 1200, "claimbuster": 1500, "clef2020-covid-tweets": 500, "liar": 500,
    "electai": 600, "constraint-covid": 700, "coaid": 400, "covidlies": 100, "fullfact-health": 600,
    "threatgram": 1800, "davidson": 1800, "conan": 2000, "yu2022-reddit": 700, "toxigen-seed": 800,
}
TRAIN_SOURCES: tuple[str, ...] = tuple(CAPS)

# Task → sources whose rows are safe negatives for it when they do not annotate it.
_DEBATES = {"clef2019", "clef2020-debates", "claimbuster"}
_COVID = {"constraint-covid", "coaid", "fullfact-health", "covidlies"}
BACKGROUND: dict[str, set[str]] = {
    "election": _DEBATES | _COVID | {"davidson", "conan", "toxigen-seed", "yu2022-reddit", "clef2020-covid-tweets"},
    "health": _DEBATES | {"davidson", "conan", "toxigen-seed", "yu2022-reddit", "threatgram", "electai"},
    "threat": _DEBATES | _COVID | {"electai", "yu2022-reddit", "clef2020-covid-tweets"},
    "hate": _DEBATES | _COVID | {"electai", "liar", "clef2020-covid-tweets"},
    "claim": set(),
}
# Within a source, rows that are safe background negatives (e.g. counter-narratives, not hate statements).
_SAFE_FOR_THREAT = {"conan": lambda e: e.labels.get("hate") == 0, "toxigen-seed": lambda e: e.labels.get("hate") == 0,
                    "davidson": lambda e: e.labels.get("hate") == 0}
BACKGROUND["threat"] |= set(_SAFE_FOR_THREAT)

SYNTHETIC_WEIGHT = 4.0


@dataclass(frozen=True, slots=True)
class TrainRow:
    """One training text: a 0/1 (or -1 unknown) per task, a stance index (or -1), its context."""

    text: str
    labels: tuple[int, ...]
    stance: int
    context: tuple[str, ...]
    group: str
    source: str
    split: str
    weight: float = 1.0


def _with_background(e: corpora.CorpusExample) -> tuple[int, ...]:
    out = []
    for task in TASKS:
        if task in e.labels:
            out.append(int(e.labels[task]))
        elif e.source in BACKGROUND[task] and (task != "threat" or _SAFE_FOR_THREAT.get(e.source, lambda _: True)(e)):
            out.append(0)
        else:
            out.append(-1)
    return tuple(out)


def _stance(name: str | None) -> int:
    return STANCES.index(name) if name in STANCES else -1


def public_rows(examples: list[corpora.CorpusExample], split: str, caps: dict[str, int], seed: int) -> list[TrainRow]:
    """Capped rows of `split` ("train"/"calib"/"test"; official test rows never) per source."""
    by_source: dict[str, list[corpora.CorpusExample]] = defaultdict(list)
    for e in examples:
        if not e.official_test and e.split == split and e.source in caps:
            by_source[e.source].append(e)
    rows: list[TrainRow] = []
    for source in sorted(by_source):
        items = by_source[source]
        rng = random.Random(f"{seed}:{source}:{split}")
        cap = caps[source]
        pos = [e for e in items if any(v == 1 for v in e.labels.values())]
        neg = [e for e in items if not any(v == 1 for v in e.labels.values())]
        rng.shuffle(pos)
        rng.shuffle(neg)
        keep_pos = pos[: max(cap // 2, cap - len(neg))]
        keep = keep_pos + neg[: cap - len(keep_pos)]
        for e in keep:
            rows.append(TrainRow(e.text, _with_background(e), _stance(e.stance), e.context, e.group, e.source, split))
    return rows


def _synthetic_labels(row: dict, name: str) -> tuple[tuple[int, ...], int]:
    """Labels and stance of one project-written row, by file."""
    lab = dict.fromkeys(TASKS, -1)
    stance = -1
    if name == "stance.jsonl":
        lab.update(row["labels"])
        stance = _stance(row.get("stance"))
    elif name == "election.jsonl":
        lab.update(election=int(row["label"]), threat=0, health=0, hate=0)
        stance = _stance("assert") if int(row["label"]) else -1
    elif name == "threat.jsonl":
        positive = int(row["label"]) == 1
        lab.update(threat=int(positive), election=-1 if positive else 0, health=0, hate=-1 if positive else 0)
        stance = _stance("assert") if positive else -1
    elif name == "hard_negatives.jsonl":
        for task in ("election", "health", "threat", "hate"):
            lab[task] = 0
        if row["label_name"] == "claim":
            lab["claim"] = 0
    elif name == "positives.jsonl":
        for task in ("election", "health", "threat", "hate"):
            lab[task] = 0
        lab[row["label_name"]] = 1
        stance = _stance("assert")
    return tuple(lab[t] for t in TASKS), stance


SYNTHETIC_FILES = ("election.jsonl", "threat.jsonl", "hard_negatives.jsonl", "positives.jsonl", "stance.jsonl")


def synthetic_rows(split: str, directory: Path = SYNTHETIC_DIR) -> list[TrainRow]:
    """Project-written rows of `split` (by their group)."""
    rows: list[TrainRow] = []
    for name in SYNTHETIC_FILES:
        path = directory / name
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
                source = f"project-{name.split('.')[0]}"
                if corpora.split_of(source, row["group"]) != split:
                    continue
                labels, stance = _synthetic_labels(row, name)
                rows.append(TrainRow(row["text"], labels, stance, tuple(row.get("context") or ()), row["group"],
                                     source, split, SYNTHETIC_WEIGHT))
    return rows


def build(split: str, seed: int, root: Path | None = None, caps: dict[str, int] | None = None) -> list[TrainRow]:
    """Public + project rows of one split."""
    caps = caps or CAPS
    examples = corpora.load(list(caps), root=root)
    return public_rows(examples, split, caps, seed) + synthetic_rows(split)
