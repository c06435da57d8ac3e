"""Carry the rules' score cuts from an old head to a retrained one, on the calibration split only.

For each label and each cut C a rule applies to the old head's score, the new cut is the lowest value on a
0.01 grid at which the new head flags no larger a share of the project-written calibration negatives
(synthetic and spoken hard negatives and benign talk, the register the rules guard) than the old head
flags at C. The functional suite is not read. Both heads are scored on the calibration split of the new
head's own training mix (its recorded command), so the figures are reproducible; a head that reads context
gets each row's previous lines, as it does in serving.
With `--stance CUT`, the new head's flags count only where NEW_MODELS_DIR's stance head
(heads/stance_assert.json) scores at least CUT, as a rule that drops `stance_assert < CUT` sees them; the old
head's share is measured without that guard, so the cut falls only as far as the guard makes room.
With `--negatives SOURCE[,SOURCE]`, the rows compared are those of the named training sources instead (e.g. a
public corpus's neutral statements); "none" means no cut on the grid flags so small a share.
Usage: python scripts/map_rule_cuts.py [--stance CUT] [--negatives SOURCES] OLD_MODELS_DIR NEW_MODELS_DIR LABEL=C1,C2,...
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np

from monitor.classify import corpora
from monitor.classify.data import SourceSpec, load_all, parse_spec
from monitor.classify.encoder import Encoder, EncoderConfig, parse_layers
from monitor.classify.heads import Head, head_inputs, load_head
from monitor.classify.train import Embedder, split_groups


def _specs(command: str) -> list[SourceSpec]:
    argv = shlex.split(command)
    data = corpora.default_root()
    return [parse_spec(argv[i + 1].replace("../shared/datasets", str(data)), {}) for i, a in enumerate(argv) if a == "--data"]


def _proba(head: Head, embedder: Embedder, examples: list) -> np.ndarray:
    """The head's calibrated scores of `examples`, with their previous lines as context when it reads context."""
    x, x_ctx = embedder.features(examples, head.context_n if head.uses_context else 0)
    ctx = x_ctx[:, x.shape[1]:] if x_ctx is not None else None
    return head.proba(head_inputs(head, x, ctx, [e.text for e in examples]))


def main(old_dir: Path, new_dir: Path, wanted: dict[str, list[float]], stance_cut: float | None = None,
         negatives: tuple[str, ...] | None = None) -> None:
    encoder = Encoder(EncoderConfig(layers=parse_layers("all")))
    cache = Path(os.environ.get("CCT_EMBED_CACHE", Path(tempfile.gettempdir()) / "cct-embed-cache.sqlite"))
    embedder = Embedder(encoder, cache)
    print("| label | old cut | old: calib negatives flagged | new cut | new: calib negatives flagged | calib positives flagged old → new |")
    print("|---|---|---|---|---|---|")
    for label, cuts in wanted.items():
        old, new = load_head(old_dir / "heads" / f"{label}.json"), load_head(new_dir / "heads" / f"{label}.json")
        meta = json.loads((new_dir / "heads" / f"{label}.json").read_text())
        examples = load_all(_specs(meta["command"]), meta["seed"])
        calib = [e for e, s in zip(examples, split_groups(examples, meta["seed"])) if s == "calib"]
        project = np.array([e.source in negatives if negatives else e.source.startswith(("spoken", "synthetic"))
                            for e in calib])
        y = np.array([e.label for e in calib])
        p_old, p_new = (_proba(h, embedder, calib) for h in (old, new))
        if stance_cut is not None:
            stance = load_head(new_dir / "heads" / "stance_assert.json")
            p_new = np.where(_proba(stance, embedder, calib) >= stance_cut, p_new, 0.0)
        neg, pos = project & (y == 0), project & (y == 1)
        grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
        for cut in cuts:
            share = float((p_old[neg] >= cut).mean())
            new_cut = next((float(g) for g in grid if (p_new[neg] >= g).mean() <= share), None)
            if new_cut is None:
                print(f"| {label} | {cut} | {share:.3f} | none | — | {(p_old[pos] >= cut).mean():.3f} → — |")
                continue
            print(f"| {label} | {cut} | {share:.3f} | {new_cut} | {(p_new[neg] >= new_cut).mean():.3f} | "
                  f"{(p_old[pos] >= cut).mean():.3f} → {(p_new[pos] >= new_cut).mean():.3f} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    opts: dict[str, str] = {}
    while args and args[0] in ("--stance", "--negatives"):
        opts[args[0]] = args[1]
        args = args[2:]
    stance = float(opts["--stance"]) if "--stance" in opts else None
    chosen = tuple(opts["--negatives"].split(",")) if "--negatives" in opts else None
    main(Path(args[0]), Path(args[1]), {a.split("=")[0]: [float(v) for v in a.split("=")[1].split(",")] for a in args[2:]},
         stance, chosen)
