"""The stance head's cuts, read off its own calibration split (the functional suite is not read).

For each cut on a 0.05 grid: the share of the calibration split's assertions and of its other stances
(quote, report, deny, condemn) scoring below it, i.e. what a rule exception `stance_assert lt CUT` drops.
Then the three cuts the rules use, by their definitions: the head's decision threshold (the
`health-misinformation-score` exception), the lowest cut that lets at most 10 % of the other stances
through (its `info` demotion), and the highest cut that drops at most 2 % of the assertions (the
`threat-classifier` exception). Both heads are scored on the calibration split of the NEW head's
training mix (its recorded command), so the old head's figures are comparable and reproducible.
Usage: python scripts/stance_cuts.py [OLD_MODELS_DIR] NEW_MODELS_DIR
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from monitor.classify.data import load_all
from monitor.classify.encoder import Encoder, EncoderConfig, parse_layers
from monitor.classify.heads import Head, head_inputs, load_head
from monitor.classify.train import Embedder, split_groups

sys.path.insert(0, str(Path(__file__).resolve().parent))
from map_rule_cuts import _specs  # noqa: E402

GRID = np.round(np.arange(0.05, 1.0, 0.05), 2)
OTHERS_THROUGH = 0.10
ASSERTIONS_DROPPED = 0.02


def rule_cuts(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """The three cuts by their definitions (see the module docstring)."""
    others_through = [float(c) for c in GRID if (p[y == 0] >= c).mean() <= OTHERS_THROUGH]
    dropping_few = [float(c) for c in GRID if (p[y == 1] < c).mean() <= ASSERTIONS_DROPPED]
    return {"exception (decision threshold)": threshold,
            f"info below (lowest cut letting ≤ {OTHERS_THROUGH:.0%} of other stances through)": min(others_through, default=1.0),
            f"threat exception (highest cut dropping ≤ {ASSERTIONS_DROPPED:.0%} of assertions)": max(dropping_few, default=0.0)}


def main(dirs: list[Path]) -> None:
    new_spec = dirs[-1] / "heads" / "stance_assert.json"
    meta = json.loads(new_spec.read_text())
    examples = load_all(_specs(meta["command"]), meta["seed"])
    calib = [e for e, s in zip(examples, split_groups(examples, meta["seed"])) if s == "calib"]
    y = np.array([e.label for e in calib])
    cache = Path(os.environ.get("CCT_EMBED_CACHE", Path(tempfile.gettempdir()) / "cct-embed-cache.sqlite"))
    x, _ = Embedder(Encoder(EncoderConfig(layers=parse_layers("all"))), cache).features(calib, 0)
    heads: list[tuple[str, Head]] = [(str(d), load_head(d / "heads" / "stance_assert.json")) for d in dirs]
    scores = {name: h.proba(head_inputs(h, x, None, [e.text for e in calib])) for name, h in heads}
    print(f"Calibration split of {new_spec}'s training mix: {len(calib)} rows, {int(y.sum())} assertions.\n")
    print("| cut | " + " | ".join(f"{n}: assertions below | {n}: other stances below" for n in scores) + " |")
    print("|---|" + "---|---|" * len(scores))
    for c in GRID:
        print(f"| {c} | " + " | ".join(f"{(p[y == 1] < c).mean():.3f} | {(p[y == 0] < c).mean():.3f}" for p in scores.values()) + " |")
    print()
    for name, head in heads:
        print(f"{name}: " + "; ".join(f"{k}: {v}" for k, v in rule_cuts(y, scores[name], head.threshold).items()))


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]])
