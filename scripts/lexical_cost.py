"""CPU per chunk of the shipped health head's n-gram block (`LexicalFeatures.sparse`) over 3,000 bench workload
chunks in batches of 32: the first pass and the best of three. Saves the matrix to FILE.npz, so two trees'
features can be compared for identity.

    python scripts/lexical_cost.py FILE.npz
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import scipy.sparse as sp

from monitor.bench.workload import Workload
from monitor.classify.lexical import LexicalFeatures

REPO = Path(__file__).resolve().parents[1]


def main(out: str) -> None:
    features = LexicalFeatures.from_json(json.loads((REPO / "models/heads/health.json").read_text())["lexical"])
    texts = [chunk["text"] for chunk in Workload().take(3000)]
    passes = []
    for _ in range(3):
        start = time.process_time()
        rows = [features.sparse(texts[i:i + 32]) for i in range(0, len(texts), 32)]
        passes.append(time.process_time() - start)
    sp.save_npz(out, sp.vstack(rows).tocsr())
    per_chunk = [1000 * p / len(texts) for p in passes]
    print(f"{out}: {per_chunk[0]:.3f} ms CPU per chunk first pass, {min(per_chunk):.3f} best of 3 "
          f"(char_ngrams {features.char_ngrams})")


if __name__ == "__main__":
    main(sys.argv[1])
