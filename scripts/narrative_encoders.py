#!/usr/bin/env python3
"""Known-claim retrieval with the narrative matcher's encoders, at the fusion the monitor ships (evaluation only).

MAP@5 on the CheckThat! 2022 task 2B train and dev queries (BM25 + dense at `Fusion()` defaults), without
context and with the two preceding debate lines as context, for:

- torch fp32, last layer: the matcher's own MiniLM before it shared the classifier's forward; context by
  encoding the joined text;
- the classifier's engine, last layer's block (`LastLayerEncoder`, what the monitor runs); context both by
  encoding the joined text and composed from the lines' and the utterance's embeddings
  (`encode_queries`, what the monitor runs: no extra forward).

    python scripts/narrative_encoders.py --data ../shared/datasets/checkthat2022-task2b-debates
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.classify.last_layer import LastLayerEncoder
from monitor.narratives.evaluate import KS, load_checkthat, ranking_scores, vclaim_document
from monitor.narratives.index import Fusion, NarrativeIndex, TextEncoder, encode_queries, top_ranks
from monitor.narratives.matcher import embedding_cache_path, shared_default_encoder

LINES = 2


def debate_lines(debates: Path) -> dict[str, dict[int, str]]:
    by_file: dict[str, dict[int, str]] = defaultdict(dict)
    with debates.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_file[row["file_name"].rsplit(".", 1)[0]][int(row["line_number"])] = row["text"]
    return by_file


def preceding(by_file: dict[str, dict[int, str]], qid: str) -> list[str]:
    name, _, number = qid.rpartition("_")
    lines = by_file.get(name, {})
    return [lines[i] for i in range(int(number) - LINES, int(number)) if i in lines] if number.isdigit() else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/checkthat2022-task2b-debates"))
    args = ap.parse_args()
    debates = args.data.parent / "clef2020-task5-debates" / "clef2020_task5_debates.csv"
    data = load_checkthat(args.data, debates, LINES)
    by_file = debate_lines(debates)
    fusion = Fusion()
    encoders: list[tuple[str, TextEncoder]] = [("torch fp32, last layer", LastLayerEncoder(Encoder(EncoderConfig()))),
                                               ("CPU engine, last-layer block", shared_default_encoder())]
    print("| encoder | context | MAP@5 train | MAP@5 dev |\n|---|---|---|---|")
    for name, enc in encoders:
        index = NarrativeIndex([vclaim_document(c) for c in data.claims], enc, embedding_cache_path(), fusion)
        ids = [d.id for d in index.docs]
        rows: dict[str, dict[str, float]] = defaultdict(dict)
        for split, queries in data.splits.items():
            texts = [q.text for q in queries]
            lexical = index.lexical_scores(texts)
            composed = encode_queries(enc, texts, [preceding(by_file, q.id) for q in queries])
            joined = index.best_per_document(enc.encode([f"{q.context} {q.text}".strip() for q in queries]))
            plain = index.best_per_document(composed.plain)
            w, c = fusion.dense_weight, fusion.context_weight
            dense = {"none": plain, "joined text encoded": (1 - c) * plain + c * joined,
                     "composed (monitor)": (1 - c) * plain + c * index.best_per_document(composed.with_context)}
            relevant = [data.qrels[q.id] for q in queries]
            for kind, matrix in dense.items():
                rows[kind][split] = ranking_scores(top_ranks(w * matrix + (1 - w) * lexical, max(KS)), ids, relevant).map5
        for kind, by_split in rows.items():
            print(f"| {name} | {kind} | {by_split.get('train', np.nan):.3f} | {by_split.get('dev', np.nan):.3f} |")


if __name__ == "__main__":
    main()
