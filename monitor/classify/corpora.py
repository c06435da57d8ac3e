"""The one registry of the public labelled data sets (`../shared/datasets`) and their deterministic split.

Each registered source reads its files into `CorpusExample`s: the text, a label per task it actually
annotates (`claim`, `election`, `health`, `threat`, `hate`; a task the source does not annotate is
absent, never 0), an optional `stance` (`assert`, `quote`, `report`, `deny`, `condemn`), the previous
turns where the data has real context (debate lines, Reddit parents, dialogue turns, the hate
statement a counter-narrative answers), a group key (debate, thread, template, tweet) and the licence.

`split_of(source, group)` puts a whole group in "train", "calib" or "test" from sha256 of
f"{source}:{group}" (70/10/20), so the split is stable across runs, label choices and machines.
Rows of a benchmark's *official* test split are marked `official_test`: their split is always "test"
and `train_examples` never returns them; training and tuning use only "train" and "calib".

Label choices (read from each data set's README and rows):
- Davidson: class 0 = hate → hate 1; class 1 (offensive) and 2 (neither) → hate 0. Offensive is not hate.
- CONAN family: the hate statement → hate 1 (stance assert); the counter-narrative → hate 0 with the
  statement it answers as context (a hate-topic hard negative).
- Yu et al. 2022: neutral (1) and counter-hate (2) replies → hate 0 with their parent as context; the
  "hate" class (0) is broad abuse, not attacks on protected groups, so it carries no hate label.
- ThreatGram: 2 (violent threat / incitement) → threat 1; 0 and 1 (non-violent, "lock him up") → 0.
- ElectAI: "Claim of Fraud" 1 → election 1; 0 rows are election tweets without a fraud claim whose
  truth is unknown, so they carry no election label.
- LIAR: statements PolitiFact chose to check → claim 1 (no truth-based election/health label).
- CONSTRAINT / CoAID: fake → health 1, real → health 0 (source-level labels about COVID posts).
- Full Fact: harm (some/indirect/high) → health 1, harmless → 0; worth checking → claim 1.
- CLEF / ClaimBuster debates: check-worthy → claim 1. CLEF-2020 debates already in CLEF-2019 are
  dropped (same debate, same date); ClaimBuster sentences that occur in a CLEF debate are dropped too.
- GermEval 2021 is German (language "de"): fact-claiming → claim, for language checks only.

Tweet text is normalised the same way for every use: retweet markers, @handles and URLs removed,
HTML entities unescaped.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKS: tuple[str, ...] = ("claim", "election", "health", "threat", "hate")
STANCES: tuple[str, ...] = ("assert", "quote", "report", "deny", "condemn")
SPLIT_NAMES: tuple[str, ...] = ("train", "calib", "test")
SPLIT_BOUNDS: tuple[float, float] = (0.70, 0.80)

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """`$CCT_DATASETS`, else the nearest `shared/datasets` beside this checkout or one of its parents
    (`../shared/datasets` for a checkout, `../../shared/datasets` for a worktree under a folder)."""
    env = os.environ.get("CCT_DATASETS")
    if env:
        return Path(env)
    for parent in REPO_ROOT.parents[:3]:
        if (parent / "shared" / "datasets").is_dir():
            return parent / "shared" / "datasets"
    return REPO_ROOT.parent / "shared" / "datasets"


def split_of(source: str, group: str) -> str:
    """'train' | 'calib' | 'test' for a group of a source: 70/10/20 by sha256 of f"{source}:{group}"."""
    digest = hashlib.sha256(f"{source}:{group}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < SPLIT_BOUNDS[0]:
        return "train"
    return "calib" if u < SPLIT_BOUNDS[1] else "test"


@dataclass(frozen=True, slots=True)
class CorpusExample:
    """One labelled text of a public data set."""

    text: str
    labels: dict[str, int]
    group: str
    source: str
    licence: str
    context: tuple[str, ...] = ()
    stance: str | None = None
    official_test: bool = False
    language: str = "en"
    speaker: str | None = None  # who said it, where the source names the speaker (debate transcripts)
    tag: str | None = None  # the source's own class where it has more classes than tasks (Davidson: hate/offensive/neither)

    @property
    def split(self) -> str:
        """'test' for an official test row, else `split_of(source, group)`."""
        return "test" if self.official_test else split_of(self.source, self.group)


@dataclass(frozen=True, slots=True)
class Source:
    """A registered data set: its folder, licence terms and the reader that yields its examples."""

    name: str
    folder: str
    licence: str
    research_only: bool
    tasks: tuple[str, ...]
    reader: Callable[["Source", Path], Iterator[CorpusExample]] = field(repr=False)
    language: str = "en"

    def read(self, root: Path) -> list[CorpusExample]:
        folder = root / self.folder
        if not folder.is_dir():
            raise FileNotFoundError(f"data set {self.name}: no folder {folder}")
        return list(self.reader(self, folder))

    def example(self, text: str, labels: dict[str, int], group: str, **kw: Any) -> CorpusExample:
        return CorpusExample(text=text, labels=labels, group=group, source=self.name, licence=self.licence,
                             language=self.language, **kw)


_RT = re.compile(r"^\s*(?:RT\s+)?(?:@\w+:?\s*)+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+:?")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")


def clean_post(text: str) -> str:
    """Tweet/post text without retweet markers, @handles and URLs; HTML entities unescaped."""
    text = html.unescape(html.unescape(text or ""))
    text = _URL.sub(" ", text)
    text = _RT.sub(" ", text)
    text = re.sub(r"\bRT\b", " ", text)
    text = _HANDLE.sub(" ", text)
    return _SPACE.sub(" ", text).strip(" :")


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None


def _key(text: str) -> str:
    return hashlib.sha256(_SPACE.sub(" ", text.strip().lower()).encode()).hexdigest()[:16]


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.strip().lower())


def _debate(src: Source, rows: Iterable[dict[str, str]], official: Callable[[dict[str, str]], bool],
            skip_dates: frozenset[str] | set[str] = frozenset(), context_n: int = 2) -> Iterator[CorpusExample]:
    history: dict[str, list[str]] = {}
    for row in rows:
        text = (row.get("text") or "").strip()
        date = row["file_name"][:8]
        if date in skip_dates:
            continue
        prev = history.setdefault(row["file_name"], [])
        if text:
            yield src.example(text, {"claim": int(row["label"] == "1")}, date, context=tuple(prev[-context_n:]),
                              official_test=official(row), speaker=(row.get("speaker") or "").strip() or None)
            prev.append(text)


def read_clef2019(src: Source, folder: Path) -> Iterator[CorpusExample]:
    yield from _debate(src, _csv(folder / "train.csv"), lambda r: False)


def clef2019_dates(root: Path) -> set[str]:
    path = root / "clef2019-checkworthiness" / "train.csv"
    return {r["file_name"][:8] for r in _csv(path)} if path.is_file() else set()


def read_clef2020(src: Source, folder: Path) -> Iterator[CorpusExample]:
    skip = clef2019_dates(folder.parent)
    yield from _debate(src, _csv(folder / "clef2020_task5_debates.csv"), lambda r: r.get("split") == "test", skip)


def read_claimbuster(src: Source, folder: Path) -> Iterator[CorpusExample]:
    seen: set[str] = set()
    for name, path in (("clef2019-checkworthiness", "train.csv"), ("clef2020-task5-debates", "clef2020_task5_debates.csv")):
        file = folder.parent / name / path
        if file.is_file():
            seen.update(_norm(r["text"]) for r in _csv(file))
    for row in _csv(folder / "claimbuster_strict.csv"):
        text = row["text"].strip()
        if text and _norm(text) not in seen:
            yield src.example(text, {"claim": int(row["label"] == "1")}, row["sentence_id"])


def read_clef2020_covid(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "clef2020_task1_covid_tweets.csv"):
        text = clean_post(row["tweet_text"])
        if text:
            yield src.example(text, {"claim": int(row["check_worthiness"] == "1")}, row["tweet_id"],
                              official_test=row.get("split") == "test")


def read_liar(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for name, official in (("liar_train.csv", False), ("liar_valid.csv", False), ("liar_test.csv", True)):
        for row in _csv(folder / name):
            text = row["statement"].strip()
            if text:
                yield src.example(text, {"claim": 1}, row["id"], official_test=official)


def read_electai(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "electai_election_claims.csv"):
        text = clean_post(row["tweet"])
        if text:
            labels = {"election": 1} if row["Claim of Fraud"] == "1" else {}
            if labels:
                yield src.example(text, labels, _key(text), stance="assert")


def read_constraint(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "train.csv"):
        text = clean_post(row["tweet"])
        if text:
            yield src.example(text, {"health": int(row["label"] == "fake")}, row["id"])


def read_coaid(src: Source, folder: Path) -> Iterator[CorpusExample]:
    seen: set[str] = set()
    for name in ("coaid_claims.csv", "coaid_news.csv"):
        for row in _csv(folder / name):
            text = clean_post(row.get("title") or "").strip('"')
            if len(text.split()) < 4 or _key(text) in seen:
                continue
            seen.add(_key(text))
            yield src.example(text, {"health": int(row["label"] == "fake")}, _key(text))


def read_covidlies(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _jsonl(folder / "covidlies_misconceptions.jsonl"):
        variations = row.get("pos_variations") or []
        if isinstance(variations, str):
            variations = ast.literal_eval(variations)
        for text in variations:
            if text.strip():
                yield src.example(text.strip(), {"health": 1, "claim": 1}, str(row["id"]), stance="assert")


def read_fullfact(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for i, row in enumerate(_csv(folder / "in_context_labelled.csv")):
        labels: dict[str, int] = {}
        if row["harm"] in ("some harm", "indirect harm", "high harm"):
            labels["health"] = 1
        elif row["harm"] == "harmless":
            labels["health"] = 0
        if row["summary"] in ("worth checking", "not worth checking"):
            labels["claim"] = int(row["summary"] == "worth checking")
        if not labels:
            continue
        for text in dict.fromkeys((row["output_text"].strip(), row["input_text"].strip())):
            if text:
                yield src.example(text, labels, f"row{i}")


def read_threatgram(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "threatgram101_labeled.csv"):
        text = clean_post(row["reply"])
        if text and row["Label"] in ("0", "1", "2"):
            yield src.example(text, {"threat": int(row["Label"] == "2")}, _key(text))


_DAVIDSON_CLASS = {"0": "hate", "1": "offensive", "2": "neither"}


def read_davidson(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "labeled_data.csv"):
        text = clean_post(row["tweet"])
        if text:
            yield src.example(text, {"hate": int(row["class"] == "0")}, row[""],
                              tag=_DAVIDSON_CLASS.get(row["class"]))


_CONAN_HS = re.compile(r"HS(\d+)")


def _english_conan(cn_id: str) -> bool:
    return cn_id.startswith("EN") or cn_id.endswith("T1")


def _hate_and_counter(src: Source, hs: str, cn: str, group: str, hs_seen: set[str]) -> Iterator[CorpusExample]:
    """A hate statement (once across the CONAN files) and the counter-narrative written to it, read with it."""
    if hs and _key(hs) not in hs_seen:
        hs_seen.add(_key(hs))
        yield src.example(hs, {"hate": 1}, group, stance="assert")
    if cn:
        yield src.example(cn, {"hate": 0}, group, context=(hs,))


def read_conan(src: Source, folder: Path) -> Iterator[CorpusExample]:
    hs_seen: set[str] = set()
    for row in _csv(folder / "CONAN.csv"):
        cn_id = row["cn_id"]
        if not _english_conan(cn_id):
            continue
        m = _CONAN_HS.search(cn_id)
        group = f"conan:{cn_id[:2]}{m.group(1) if m else cn_id}"
        hs, cn = row["hateSpeech"].strip(), row["counterSpeech"].strip()
        yield from _hate_and_counter(src, hs, cn, group, hs_seen)
    for name, hs_col, cn_col in (("Multitarget-CONAN.csv", "HATE_SPEECH", "COUNTER_NARRATIVE"),
                                 ("multitarget_KN_grounded_CN.csv", "hate_speech", "counter_narrative")):
        for row in _csv(folder / name):
            hs, cn = row[hs_col].strip(), row[cn_col].strip()
            yield from _hate_and_counter(src, hs, cn, f"mt:{_key(hs)}", hs_seen)
    history: dict[str, list[str]] = {}
    for row in _csv(folder / "DIALOCONAN.csv"):
        text = row["text"].strip()
        prev = history.setdefault(row["dialogue_id"], [])
        if text:
            hate = int(row["type"] == "HS")
            yield src.example(text, {"hate": hate}, f"dialo:{row['dialogue_id']}", context=tuple(prev[-2:]),
                              stance="assert" if hate else None)
            prev.append(text)


def read_yu2022(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for name, official in (("gold_train.jsonl", False), ("gold_val.jsonl", False), ("silver_train.jsonl", False),
                           ("silver_val.jsonl", False), ("gold_test.jsonl", True)):
        path = folder / name
        if not path.is_file():
            continue
        for row in _jsonl(path):
            text, parent = str(row.get("target") or "").strip(), str(row.get("context") or "").strip()
            if text and str(row["label"]) in ("1", "2"):
                yield src.example(text, {"hate": 0}, _key(parent or text), context=(parent,) if parent else (),
                                  official_test=official)


def read_toxigen(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "toxigen_seed_statements.csv"):
        text = row["text"].strip()
        if text:
            hate = int(row["label"] == "hate")
            yield src.example(text, {"hate": hate}, _key(text), stance="assert" if hate else None)


def read_germeval(src: Source, folder: Path) -> Iterator[CorpusExample]:
    for row in _csv(folder / "GermEval21_TrainData.csv"):
        text = clean_post(row["comment_text"])
        if text:
            yield src.example(text, {"claim": int(row["Sub3_FactClaiming"] == "1")}, row["comment_id"])


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("clef2019", "clef2019-checkworthiness", "research use (copied from a GPL-3.0 repository)", True,
           ("claim",), read_clef2019),
    Source("clef2020-debates", "clef2020-task5-debates", "research use", True, ("claim",), read_clef2020),
    Source("claimbuster", "claimbuster-strict", "GPL-3.0 repository", False, ("claim",), read_claimbuster),
    Source("clef2020-covid-tweets", "clef2020-task1-covid-tweets", "research use", True, ("claim",),
           read_clef2020_covid),
    Source("liar", "liar-politifact", "research only", True, ("claim",), read_liar),
    Source("electai", "electai-election-claims", "none stated", True, ("election",), read_electai),
    Source("constraint-covid", "constraint-covid", "MIT", False, ("health",), read_constraint),
    Source("coaid", "coaid-covid-health", "none stated", True, ("health",), read_coaid),
    Source("covidlies", "covidlies-misconceptions", "non-commercial research", True, ("health", "claim"),
           read_covidlies),
    Source("fullfact-health", "fullfact-health", "MIT", False, ("health", "claim"), read_fullfact),
    Source("threatgram", "threatgram101-en", "CC-BY-4.0 (as stated by the re-host)", False, ("threat",),
           read_threatgram),
    Source("davidson", "davidson-hate-offensive", "MIT", False, ("hate",), read_davidson),
    Source("conan", "conan-counterspeech", "research only, no redistribution", True, ("hate",), read_conan),
    Source("yu2022-reddit", "yu2022-reddit-hate-counterhate", "none stated (academic release; Reddit content)", True,
           ("hate",), read_yu2022),
    Source("toxigen-seed", "toxigen-seed-statements", "MIT", False, ("hate",), read_toxigen),
    Source("germeval2021", "germeval2021-factclaiming-de", "none stated (shared-task data)", True, ("claim",),
           read_germeval, language="de"),
)}


def load(names: Iterable[str] | None = None, root: Path | None = None) -> list[CorpusExample]:
    """Examples of the named sources (default: every registered one), in registry order."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise FileNotFoundError(f"public data sets: no directory {root} (set CCT_DATASETS or pass root)")
    chosen = list(SOURCES) if names is None else list(names)
    unknown = [n for n in chosen if n not in SOURCES]
    if unknown:
        raise KeyError(f"unknown data set(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    out: list[CorpusExample] = []
    for name in chosen:
        out.extend(SOURCES[name].read(root))
    return out


def spec_rows(name: str, root: Path | None = None) -> list[dict[str, Any]]:
    """One registered source as training rows for `cct-monitor train --data corpus:NAME`, less every row of
    its public test split (official or `split_of` "test"), so a head never trains on what `eval` tests.
    Keys: text, group, context (list), stance, tag (the source's own class, "" where none), and one per task
    the source annotates (None where the row does not carry that task's label)."""
    if name not in SOURCES:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[name]
    return [{"text": e.text, "group": e.group, "context": list(e.context), "stance": e.stance or "", "tag": e.tag or "",
             **{task: (str(e.labels[task]) if task in e.labels else None) for task in source.tasks}}
            for e in source.read(Path(root) if root is not None else default_root()) if e.split != "test"]


def licence_line(name: str) -> str:
    """The licence of a registered source, flagged when it is for research only."""
    source = SOURCES[name]
    return f"{source.licence}{' — RESEARCH ONLY' if source.research_only else ''} ({source.folder})"


def train_examples(examples: Iterable[CorpusExample], split: str) -> list[CorpusExample]:
    """The examples of `split` ("train" or "calib"); official test rows are never returned."""
    if split not in ("train", "calib"):
        raise ValueError(f"training uses only 'train' and 'calib', not {split!r}")
    return [e for e in examples if not e.official_test and e.split == split]
