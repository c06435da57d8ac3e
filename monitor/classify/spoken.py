"""The project-written spoken training set: hand-written base sentences expanded into spoken variants.

`monitor/data/spoken/bases/<label>.txt` holds one base per line, `KIND CASE_TYPE | text`, where KIND is
`+` (violates the label), `~` (hard negative) or `.` (benign talk on the topic) and `{slot}`s name
vocabulary the builder fills. Each base gives up to `VARIANTS` spoken variants (speaker openers and
closers, fillers, ASR noise: lower case, no punctuation, homophones, a dropped word), all in the base's
group so splits never separate them. Variants that come too close to the functional suite (a shared
6-word sequence, or cosine ≥ `MAX_COSINE` on the standard MiniLM sentence embedding) are dropped, so the
suite stays held out from training.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from monitor.classify import corpora

SPOKEN_DIR = corpora.REPO_ROOT / "monitor" / "data" / "spoken"
BASES_DIR = SPOKEN_DIR / "bases"
#: Harm lines in de es fr it nl pl pt ro for the multilingual heads, written by `scripts/make_spoken_multilingual.py`.
MULTILINGUAL = SPOKEN_DIR / "spoken_multilingual.jsonl"
LABELS: tuple[str, ...] = ("election", "threat", "hate", "health", "claim")
# Every file of the set: the labels' files and `stance` (assertions vs framed claims on any topic, for the
# stance head only; its `label` is 1 where the speaker asserts).
FILES: tuple[str, ...] = (*LABELS, "stance")
KINDS = {"+": "positive", "~": "hard_negative", ".": "negative"}
VARIANTS = 5
NGRAM = 6
MAX_COSINE = 0.9
SEED = 2026

# Stance of the speaker towards the harmful content, by case type (positives assert it).
STANCE_OF_CASE = {"debunk_quote": "quote", "counter_speech": "condemn", "negation": "deny", "reporting": "report",
                  "mockery": "condemn"}

SLOTS: dict[str, tuple[str, ...]] = {
    "party": ("democrats", "republicans", "labour", "the conservatives", "the greens", "the liberals", "the left"),
    "name": ("harlan voss", "mira castell", "dale brinkman", "petra novak", "owen achterberg", "rosa lindqvist"),
    "city": ("phoenix", "atlanta", "detroit", "milwaukee", "leeds", "lyon", "gdansk", "dublin", "cologne", "porto"),
    "state": ("georgia", "arizona", "pennsylvania", "wisconsin", "nevada", "michigan"),
    "group": ("migrants", "muslims", "jews", "black people", "refugees", "roma", "gay people", "trans people",
              "asylum seekers", "immigrants", "mexicans", "africans", "arabs", "asians"),
}
OPENERS = {
    "positive": ("look,", "listen folks,", "I'm telling you,", "okay chat,", "yeah so", "honestly,", "and uh",
                 "caller from {city} here, and", "let me be real with you,", "everybody knows", "wake up people,"),
    "hard_negative": ("so", "okay,", "right,", "um,", "well,", "and", "alright,", "you know,", "so yeah,"),
}
OPENERS["negative"] = OPENERS["hard_negative"]
CLOSERS = {
    "positive": ("that's the truth", "mark my words", "believe me", "you heard it here", "I'm not joking",
                 "wake up", "spread the word"),
    "hard_negative": ("okay", "anyway", "so yeah", "right", "that's where we are"),
}
CLOSERS["negative"] = CLOSERS["hard_negative"]
FILLERS = ("uh", "um", "like", "you know", "I mean")
HOMOPHONES = {"polls": "poles", "poll": "pole", "ballot": "ballet", "ballots": "ballets", "mail": "male",
              "whole": "hole", "their": "there", "you're": "your", "right": "write", "know": "no",
              "for": "four", "to": "too", "hear": "here", "weigh": "way", "site": "sight", "vaccine": "vaxine",
              "jab": "jam", "counted": "counter", "sure": "shore", "guns": "guns", "rigged": "rig"}
_DROPPABLE = {"the", "a", "that", "is", "are", "to", "of"}


@dataclass(frozen=True, slots=True)
class Base:
    """One hand-written base sentence."""

    label: str
    kind: str
    case_type: str
    text: str
    group: str


@dataclass(frozen=True, slots=True)
class SpokenRow:
    """One training utterance of the spoken set (one JSON line)."""

    text: str
    label: int
    label_name: str
    kind: str
    case_type: str
    stance: str | None
    group: str


def read_bases(label: str, directory: Path = BASES_DIR) -> list[Base]:
    """The bases of `label`, in file order; raises ValueError naming the bad line."""
    path = directory / f"{label}.txt"
    out: list[Base] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        head, sep, text = line.partition("|")
        parts = head.split()
        if not sep or len(parts) != 2 or parts[0] not in KINDS or not text.strip():
            raise ValueError(f"{path}:{n}: expected 'KIND CASE_TYPE | text' with KIND one of {' '.join(KINDS)}")
        unknown = set(re.findall(r"{(\w+)}", text)) - set(SLOTS)
        if unknown:
            raise ValueError(f"{path}:{n}: unknown slot(s) {', '.join(sorted(unknown))}")
        out.append(Base(label, KINDS[parts[0]], parts[1], text.strip(), f"sp-{label}-{len(out):03d}"))
    return out


def _fill(text: str, rng: random.Random) -> str:
    return re.sub(r"{(\w+)}", lambda m: rng.choice(SLOTS[m.group(1)]), text)


def _with_filler(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 4:
        words.insert(rng.randrange(1, len(words) - 1), rng.choice(FILLERS))
    return " ".join(words)


def asr_noise(text: str, rng: random.Random, homophones: Mapping[str, str] = HOMOPHONES,
              droppable: AbstractSet[str] = _DROPPABLE, kept: str = "'") -> str:
    """What a speech recogniser makes of it: lower case, no punctuation but the characters `kept`, one of
    the `homophones` swapped in, now and then one of the `droppable` short words left out (English by default)."""
    words = re.sub(rf"[^\w{re.escape(kept)} ]+", " ", text.lower()).split()
    swappable = [i for i, w in enumerate(words) if w in homophones]
    if swappable:
        i = rng.choice(swappable)
        words[i] = homophones[words[i]]
    dropped = [i for i, w in enumerate(words) if w in droppable]
    if dropped and rng.random() < 0.5:
        del words[rng.choice(dropped)]
    return " ".join(words)


def _framed(text: str, kind: str, rng: random.Random) -> str:
    opener = _fill(rng.choice(OPENERS[kind]), rng)
    first = text if text.startswith("I ") or text.startswith("I'") else text[:1].lower() + text[1:]
    out = f"{opener} {first}"
    if rng.random() < 0.5:
        out = f"{out}, {rng.choice(CLOSERS[kind])}"
    return out


def variants(base: Base, seed: int = SEED) -> list[str]:
    """Up to VARIANTS distinct spoken versions of `base` (deterministic for a seed)."""
    rng = random.Random(f"{seed}:{base.group}")
    makers: list[Callable[[str], str]] = [
        lambda t: t,
        lambda t: _framed(t, base.kind, rng),
        lambda t: asr_noise(t, rng),
        lambda t: asr_noise(_framed(t, base.kind, rng), rng),
        lambda t: _with_filler(t, rng),
    ]
    out: list[str] = []
    for make in makers[:VARIANTS]:
        text = make(_fill(base.text, rng))
        if text not in out:
            out.append(text)
    return out


def expand(label: str, directory: Path = BASES_DIR, seed: int = SEED) -> list[SpokenRow]:
    """Every variant of every base of `label`."""
    rows = []
    for base in read_bases(label, directory):
        stance = "assert" if base.kind == "positive" else STANCE_OF_CASE.get(base.case_type)
        for text in variants(base, seed):
            rows.append(SpokenRow(text, int(base.kind == "positive"), label, base.kind, base.case_type, stance, base.group))
    return rows


def _tokens(text: str) -> list[str]:
    """Lower-case words of any script (an ASCII-only pattern would cut "über" to "ber" and miss copied sequences)."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    """The word n-grams of `text` (lower case, punctuation ignored)."""
    words = _tokens(text)
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def shared_ngram(texts: Sequence[str], reference: Iterable[str], n: int = NGRAM) -> list[bool]:
    """Per text: does it share an n-word sequence with any reference text?"""
    ref: set[tuple[str, ...]] = set()
    for text in reference:
        ref |= ngrams(text, n)
    return [bool(ngrams(t, n) & ref) for t in texts]


def max_cosine(emb: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per row of `emb` (unit rows): the highest cosine to any row of `ref`."""
    return (emb @ ref.T).max(axis=1) if len(ref) else np.zeros(len(emb))


def suite_texts(cases: Iterable) -> list[str]:
    """Every utterance of the functional suite: case texts and their context turns."""
    out: list[str] = []
    for case in cases:
        out.append(case.text)
        out.extend(turn.text for turn in case.context or ())
    return out


def write_rows(rows: Sequence[SpokenRow], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def read_rows(label: str, directory: Path = SPOKEN_DIR) -> list[SpokenRow]:
    with open(directory / f"{label}.jsonl", encoding="utf-8") as fh:
        return [SpokenRow(**json.loads(line)) for line in fh if line.strip()]


def read_multilingual_rows(label: str, path: Path = MULTILINGUAL) -> list[SpokenRow]:
    """The rows of `label` in the non-English spoken set (`scripts/make_spoken_multilingual.py`; its language is
    in the group, `spml-<lang>-<label>-<nn>`)."""
    with open(path, encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    return [SpokenRow(**{k: v for k, v in rec.items() if k != "language"}) for rec in recs if rec["label_name"] == label]
