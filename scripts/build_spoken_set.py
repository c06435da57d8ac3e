"""Rebuild monitor/data/spoken/<label>.jsonl from the hand-written bases, keeping the functional suite held out.

Drops every variant that shares a 6-word sequence with a suite utterance (case text or context turn) or
whose standard MiniLM sentence embedding has cosine >= 0.9 to one, and prints what it dropped.
Also writes monitor/data/spoken/stance_pairs.jsonl: the project-written stance pairs of
monitor/data/synthetic/stance.jsonl (one claim asserted, quoted, reported, denied, condemned) less every
group with a line that fails the same two checks, for the stance head.
Usage: python scripts/build_spoken_set.py
"""

from __future__ import annotations

import json
from collections import Counter

from monitor.classify import spoken
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.eval.suite import load_suite


STANCE_PAIRS = spoken.SPOKEN_DIR.parent / "synthetic" / "stance.jsonl"


def held_out(texts: list[str], suite: list[str], encoder: Encoder, ref) -> tuple[list[bool], list[bool]]:
    """Per text: shares a 6-gram with the suite; else has cosine >= 0.9 to a suite utterance."""
    overlap = spoken.shared_ngram(texts, suite)
    cos = spoken.max_cosine(encoder.encode(texts), ref)
    return overlap, [c >= spoken.MAX_COSINE and not o for c, o in zip(cos, overlap)]


def build_stance_pairs(suite: list[str], encoder: Encoder, ref) -> None:
    rows = [json.loads(line) for line in STANCE_PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    overlap, near = held_out([r["text"] for r in rows], suite, encoder, ref)
    dropped = {r["group"] for r, o, c in zip(rows, overlap, near) if o or c}
    kept = [{"text": r["text"], "stance": r["stance"], "group": r["group"]} for r in rows if r["group"] not in dropped]
    with open(spoken.SPOKEN_DIR / "stance_pairs.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
    print(f"stance pairs: {len(rows)} lines, {sum(overlap)} share a 6-gram, {sum(near)} cosine >= 0.9; "
          f"dropped {len(dropped)} groups; kept {len(kept)} lines in {len({r['group'] for r in kept})} groups")


def main() -> None:
    suite = spoken.suite_texts(load_suite())
    encoder = Encoder(EncoderConfig())
    ref = encoder.encode(suite)
    build_stance_pairs(suite, encoder, ref)
    print("| label | variants | dropped: shared 6-gram | dropped: cosine >= 0.9 | kept | positives | hard negatives | benign | bases |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label in spoken.FILES:
        rows = spoken.expand(label)
        overlap, near = held_out([r.text for r in rows], suite, encoder, ref)
        kept = [r for r, o, c in zip(rows, overlap, near) if not (o or c)]
        spoken.write_rows(kept, spoken.SPOKEN_DIR / f"{label}.jsonl")
        kinds = Counter(r.kind for r in kept)
        print(f"| {label} | {len(rows)} | {sum(overlap)} | {sum(near)} | {len(kept)} | {kinds['positive']} | "
              f"{kinds['hard_negative']} | {kinds['negative']} | {len({r.group for r in kept})} |")


if __name__ == "__main__":
    main()
