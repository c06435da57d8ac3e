"""Rebuild monitor/data/spoken/<label>.jsonl from the hand-written bases, keeping the functional suite held out.

Drops every variant that shares a 6-word sequence with a suite utterance (case text or context turn) or
whose standard MiniLM sentence embedding has cosine >= 0.9 to one, and prints what it dropped.
Usage: python scripts/build_spoken_set.py
"""

from __future__ import annotations

from collections import Counter

from monitor.classify import spoken
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.eval.suite import load_suite


def main() -> None:
    suite = spoken.suite_texts(load_suite())
    encoder = Encoder(EncoderConfig())
    ref = encoder.encode(suite)
    print("| label | variants | dropped: shared 6-gram | dropped: cosine >= 0.9 | kept | positives | hard negatives | benign | bases |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label in spoken.LABELS:
        rows = spoken.expand(label)
        overlap = spoken.shared_ngram([r.text for r in rows], suite)
        cos = spoken.max_cosine(encoder.encode([r.text for r in rows]), ref)
        near = [c >= spoken.MAX_COSINE and not o for c, o in zip(cos, overlap)]
        kept = [r for r, o, c in zip(rows, overlap, near) if not (o or c)]
        spoken.write_rows(kept, spoken.SPOKEN_DIR / f"{label}.jsonl")
        kinds = Counter(r.kind for r in kept)
        print(f"| {label} | {len(rows)} | {sum(overlap)} | {sum(near)} | {len(kept)} | {kinds['positive']} | "
              f"{kinds['hard_negative']} | {kinds['negative']} | {len({r.group for r in kept})} |")


if __name__ == "__main__":
    main()
