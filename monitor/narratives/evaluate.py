"""Claim-retrieval quality on CheckThat!-format data: queries, qrels, verified claims (and debate context).

Reports MAP@5 (the CheckThat! 2B official measure), MRR and Recall@1/5/20 per split, for plain BM25,
plain dense cosine and the fused retriever (with and without the preceding debate lines as context),
and, given a retrieval model (`retrieval_model`, trained on the train split), its adapted first stage
and the re-ranked rankings `narratives search` returns (a split's lines in one call, in calls of a few
lines, each line alone, with the debate's date, with the date and the speaker the line's id names, and,
given the transcripts, with the line's speaker), on the splits it was not trained on; several models side
by side; all in the same run over the same index. Fusion weights are chosen on the train split only.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from monitor.narratives.index import Document, Fusion, NarrativeIndex, QueryVectors, TextEncoder, top_ranks
from monitor.narratives.loader import VerifiedClaim, read_vclaims_jsonl
from monitor.narratives.speakers import SpeakerNames, given

if TYPE_CHECKING:
    from monitor.narratives.retrieval_model import RetrievalModel

KS = (1, 5, 20)
SMALL_CALL = 5  # lines per call of the eval's small-call row


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    context: str
    date: dt.date | None = None
    speaker: str = ""


_STATED = re.compile(r"stated on ([A-Z][a-z]+ \d{1,2}, \d{4})(.*)")


def stated_on(field: str | None) -> dt.date | None:
    """The day a PolitiFact claim was stated, from its `date` field ("stated on October 22, 2019 in ...")."""
    m = _STATED.search(field or "")
    try:
        return dt.datetime.strptime(m.group(1), "%B %d, %Y").date() if m else None
    except ValueError:
        return None


def stated_where(field: str | None) -> str:
    """Where a PolitiFact claim was made, from its `date` field (" in a campaign mailer.:"); "" when it says nothing."""
    m = _STATED.search(field or "")
    return m.group(2).strip(" .:") if m else ""


def said_on(query_id: str) -> dt.date | None:
    """The day a CheckThat! debate line was said: its id starts with the debate's YYYYMMDD and an underscore."""
    if len(query_id) < 9 or query_id[8] != "_":
        return None
    try:
        return dt.datetime.strptime(query_id[:8], "%Y%m%d").date()
    except ValueError:
        return None


@dataclass(frozen=True)
class Scores:
    map5: float
    mrr: float
    recall: dict[int, float]
    n: int


def vclaim_document(claim: VerifiedClaim) -> Document:
    """A verified claim as an index document: the claim and, when there is one, the fact-check's title, with
    the claim's speaker, the day it was stated and the kind of place (re-ranker features)."""
    from monitor.narratives.pair_features import venue

    return Document(claim.id, (claim.claim, claim.title) if claim.title else (claim.claim,), claim.speaker or "",
                    stated_on(claim.date), venue(stated_where(claim.date)))


def read_queries(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["iclaim_id"], row["iclaim"]) for row in csv.DictReader(fh)]


def read_qrels(path: Path) -> dict[str, set[str]]:
    rel: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if str(row.get("relevance", "1")) != "0":
                rel[row["iclaim_id"]].add(row["vclaim_id"])
    return dict(rel)


def _transcripts(debates_csv: Path, column: str, splits: frozenset[str] | None = None) -> dict[str, dict[int, str]]:
    """debate → line number → that line's `column` (text, speaker) of a transcripts CSV; only the rows of
    `splits` (its `split` column) when given."""
    by_file: dict[str, dict[int, str]] = defaultdict(dict)
    with debates_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if splits is None or row.get("split") in splits:
                by_file[row["file_name"].rsplit(".", 1)[0]][int(row["line_number"])] = row[column]
    return by_file


def _debate_lines(query_ids: Sequence[str]) -> list[tuple[str, str, int]]:
    """(id, debate, line number) of every id of the form `<debate>_<line>`, the others left out."""
    return [(qid, name, int(number)) for qid in query_ids
            for name, _, number in [qid.rpartition("_")] if number.isdigit()]


def debate_speakers(debates_csv: Path | None, query_ids: Sequence[str], splits: frozenset[str] | None = None
                    ) -> dict[str, str]:
    """Who said each query line (`<debate>_<line>`), as its transcript writes it ("TRUMP", "Donald Trump"); from
    the transcript rows of `splits` only when given (training leaves a benchmark's test rows out)."""
    if debates_csv is None:
        return {}
    by_file = _transcripts(debates_csv, "speaker", splits)
    out = {}
    for qid, debate, n in _debate_lines(query_ids):
        if said := by_file.get(debate, {}).get(n, "").strip():
            out[qid] = said
    return out


def debate_context(debates_csv: Path | None, query_ids: Sequence[str], lines: int) -> dict[str, str]:
    """The `lines` debate lines said before each query line (live speech has no look-ahead)."""
    if debates_csv is None or lines <= 0:
        return {}
    by_file = _transcripts(debates_csv, "text")
    out = {}
    for qid, name, n in _debate_lines(query_ids):
        if debate := by_file.get(name, {}):
            out[qid] = " ".join(debate[i] for i in range(n - lines, n) if i in debate)
    return out


def ranking_scores(ranked: np.ndarray, ids: Sequence[str], relevant: Sequence[set[str]]) -> Scores:
    """MAP@5, MRR and Recall@k from per-query document rankings (indices into `ids`, best first)."""
    ap, rr, rec = [], [], {k: [] for k in KS}
    for order, rel in zip(ranked, relevant, strict=True):
        hits = [ids[i] in rel for i in order]
        found, precisions = 0, []
        for rank, hit in enumerate(hits[:5], 1):
            if hit:
                found += 1
                precisions.append(found / rank)
        ap.append(sum(precisions) / len(rel))
        first = next((r for r, h in enumerate(hits, 1) if h), None)
        rr.append(1.0 / first if first else 0.0)
        for k in KS:
            rec[k].append(sum(hits[:k]) / len(rel))
    return Scores(float(np.mean(ap)), float(np.mean(rr)), {k: float(np.mean(v)) for k, v in rec.items()}, len(ap))


@dataclass
class EvalData:
    claims: list[VerifiedClaim]
    splits: dict[str, list[Query]]
    qrels: dict[str, set[str]]


def load_checkthat(data_dir: Path, debates_csv: Path | None, context_lines: int) -> EvalData:
    """CheckThat! 2022 Task 2B train/dev: queries_train_dev.csv, qrels_{train,dev}.csv, vclaims_*.jsonl."""
    claims, problems = read_vclaims_jsonl(next(iter(sorted(data_dir.glob("vclaims*.jsonl")))))
    if problems:
        raise ValueError("\n".join(str(p) for p in problems[:20]))
    texts = dict(read_queries(data_dir / "queries_train_dev.csv"))
    qrels: dict[str, set[str]] = {}
    splits: dict[str, list[str]] = {}
    for split in ("train", "dev"):
        path = data_dir / f"qrels_{split}.csv"
        if path.exists():
            rel = read_qrels(path)
            qrels.update(rel)
            splits[split] = sorted(q for q in rel if q in texts)
    context = debate_context(debates_csv, sorted(texts), context_lines)
    speakers = debate_speakers(debates_csv, sorted(texts))
    return EvalData(claims, {s: [Query(q, texts[q], context.get(q, ""), said_on(q), speakers.get(q, "")) for q in ids]
                             for s, ids in splits.items()}, qrels)


def evaluate(data: EvalData, encoder: TextEncoder, cache_path: Path | None,
             models: Sequence[tuple[str, RetrievalModel]] = ()) -> tuple[list[tuple[str, str, Scores]], Fusion]:
    """(system, split, scores) rows for BM25, dense, fused and fused+context (the fusion tuned on train),
    then, for each (name, model), its adapted fusion and the re-ranked search on every split but train (the
    rows named "name: ..." when a name is given)."""
    index = NarrativeIndex([vclaim_document(c) for c in data.claims], encoder, cache_path)
    ids = [d.id for d in index.docs]
    mats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for split, queries in data.splits.items():
        texts = [q.text for q in queries]
        q = encoder.encode(texts)
        qc = encoder.encode([f"{x.context} {x.text}".strip() for x in queries])
        mats[split] = (index.best_per_document(q), index.best_per_document(qc), index.bm25.scores(texts))

    def fused(split: str, f: Fusion) -> np.ndarray:
        plain, with_ctx, raw = mats[split]
        dense = plain if f.context_weight == 0 else (1 - f.context_weight) * plain + f.context_weight * with_ctx
        return f.dense_weight * dense + (1 - f.dense_weight) * raw / (raw + f.bm25_k)

    def score(split: str, matrix: np.ndarray) -> Scores:
        return ranking_scores(top_ranks(matrix, max(KS)), ids, [data.qrels[q.id] for q in data.splits[split]])

    best = Fusion(context_weight=0.0)
    if "train" in mats:
        grid = [Fusion(w, k, 0.0) for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8) for k in (2.0, 4.0, 8.0, 16.0)]
        best = max(grid, key=lambda f: score("train", fused("train", f)).map5)
        with_ctx = [replace(best, context_weight=c) for c in (0.0, 0.2, 0.35, 0.5, 0.65, 0.8)]
        best = max(with_ctx, key=lambda f: score("train", fused("train", f)).map5)
    rows = []
    for split in mats:
        plain, _, raw = mats[split]
        rows.append(("BM25", split, score(split, raw)))
        rows.append(("dense cosine", split, score(split, plain)))
        rows.append(("BM25 + dense", split, score(split, fused(split, replace(best, context_weight=0.0)))))
        if best.context_weight > 0:
            rows.append(("BM25 + dense + context", split, score(split, fused(split, best))))
    for label, model in models:
        learned = NarrativeIndex(index.docs, encoder, cache_path, model=model)
        for split in (s for s in data.splits if s != "train"):
            rows.extend((f"{label}: {name}" if label else name, split, score(split, matrix))
                        for name, matrix in _model_rankings(learned, data.splits[split]))
    return rows, best


def _model_rankings(index: NarrativeIndex, queries: Sequence[Query]) -> list[tuple[str, np.ndarray]]:
    """The learned model's first stage (adapted dense + BM25, its fusion) and the re-ranked rankings: the split's
    lines searched in one call without their dates (what `narratives search` is given from outside), in
    consecutive calls of `SMALL_CALL` lines (in id order: a debate's lines in order), each line in a call of
    its own, and with the dates; as queries × documents score matrices (the re-ranked depth above
    everything else)."""
    texts = [q.text for q in queries]
    vectors = QueryVectors(index.encoder.encode(texts))
    fused, dense, lexical = index.scores(texts, None, vectors)

    def reranked(rows: Sequence[int], dates: list[dt.date | None] | None,
                 speakers: Sequence[frozenset[str]] | None = None) -> np.ndarray:
        part = list(rows)
        idx, prob = index.rerank([texts[i] for i in part], QueryVectors(vectors.plain[part]), fused[part], dense[part],
                                 lexical[part], max(KS), dates, [speakers[i] for i in part] if speakers else None)
        out = np.full((len(part), fused.shape[1]), -1.0, dtype=fused.dtype)
        np.put_along_axis(out, idx, prob + 1.0, axis=1)
        return out

    every = range(len(texts))
    small = [range(start, min(start + SMALL_CALL, len(texts))) for start in range(0, len(texts), SMALL_CALL)]
    dates = [q.date for q in queries]
    said = [given([q.speaker]) for q in queries]
    from_id = SpeakerNames(d.speaker for d in index.docs)
    rows = [("BM25 + dense (adapter)", fused),
            ("BM25 + dense (adapter) + re-rank (narratives search)", reranked(every, None)),
            (f"BM25 + dense (adapter) + re-rank, calls of {SMALL_CALL} lines", np.concatenate([reranked(c, None) for c in small])),
            ("BM25 + dense (adapter) + re-rank, one line per call",
             np.concatenate([reranked([i], None) for i in every])),
            ("BM25 + dense (adapter) + re-rank + the debate's date", reranked(every, dates)),
            ("... + the debate's date and the speaker its id names (what a CheckThat id gives `narratives search`)",
             reranked(every, dates, [from_id.from_id(q.id) for q in queries]))]
    if any(said):
        rows += [("... + the line's speaker (transcript), one call, no date", reranked(every, None, said)),
                 ("... + the line's speaker (transcript), one line per call, no date",
                  np.concatenate([reranked([i], None, said) for i in every])),
                 ("... + the debate's date and the line's speaker (transcript)", reranked(every, dates, said))]
    return rows


def render_table(rows: list[tuple[str, str, Scores]]) -> str:
    """A Markdown table, one line per system and split."""
    head = "| system | split | queries | MAP@5 | MRR | R@1 | R@5 | R@20 |\n|---|---|---|---|---|---|---|---|"
    body = [f"| {name} | {split} | {s.n} | {s.map5:.3f} | {s.mrr:.3f} | {s.recall[1]:.3f} | {s.recall[5]:.3f} | {s.recall[20]:.3f} |"
            for name, split, s in rows]
    return "\n".join([head, *body])
