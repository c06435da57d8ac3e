"""Which features for the stance head? Each option fitted on the train split of the head's training mix and
scored on its calibration split (the choice) and test split (for the record); the functional suite is not read.

Options: the chunk embedding (the monitor's pooled layers 1-6), hashed word n-grams alone, both (three hash
widths), an MLP over both, and a pooled vector over the first K word pieces (layers 2, 4, 6; torch only:
the ONNX graph does not output it) beside the embedding. LRs are class-balanced, C picked on the
calibration split's PR-AUC.
Usage: python scripts/stance_features.py [MODELS_DIR] (default models; reads heads/stance_assert.json's command)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neural_network import MLPClassifier

from monitor.classify.data import load_all
from monitor.classify.embcache import default_cache_path
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.classify.lexical import LexicalFeatures
from monitor.classify.train import Embedder, split_groups

sys.path.insert(0, str(Path(__file__).resolve().parent))
from map_rule_cuts import _specs  # noqa: E402

FIRST_K = 8


def first_tokens(encoder: Encoder, texts: list[str], k: int = FIRST_K) -> np.ndarray:
    """Mean of word pieces 1..k (no [CLS]) of layers 2, 4, 6, each L2-normalised, concatenated."""
    import torch

    out = np.zeros((len(texts), encoder.model.config.hidden_size * 3), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            batch = encoder.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=128, return_tensors="pt")
            states = encoder.model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].clone()
            mask[:, 0] = 0
            mask[:, k + 1:] = 0
            m = mask.unsqueeze(-1).float()
            vecs = [torch.nn.functional.normalize((states[layer] * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1) for layer in (2, 4, 6)]
            out[idx] = (torch.cat(vecs, 1) / 3 ** 0.5).numpy()
    return out


def main(models: Path) -> None:
    meta = json.loads((models / "heads" / "stance_assert.json").read_text())
    examples = load_all(_specs(meta["command"]), meta["seed"])
    split = np.array(split_groups(examples, meta["seed"]))
    y = np.array([e.label for e in examples])
    texts = [e.text for e in examples]
    tr, ca, te = (split == s for s in ("train", "calib", "test"))
    encoder = Encoder(EncoderConfig(layers=(0,)))
    emb, _ = Embedder(encoder, default_cache_path()).features(examples, 0)

    def report(name: str, fits: list[tuple[str, object]], x: np.ndarray) -> None:
        scored = []
        for params, model in fits:
            model.fit(x[tr], y[tr])
            score = (model.decision_function if hasattr(model, "decision_function") else lambda v: model.predict_proba(v)[:, 1])
            scored.append((average_precision_score(y[ca], score(x[ca])), params, score(x[te])))
        calib, params, p = max(scored, key=lambda s: s[0])
        print(f"| {name} | {params} | {calib:.3f} | {average_precision_score(y[te], p):.3f} | {roc_auc_score(y[te], p):.3f} |", flush=True)

    def lrs() -> list[tuple[str, object]]:
        return [(f"C={c}", LogisticRegression(C=c, class_weight="balanced", max_iter=5000)) for c in (0.25, 1.0, 4.0)]

    print(f"{len(examples)} rows: train {tr.sum()}, calib {ca.sum()}, test {te.sum()}\n")
    print("| features | chosen on calib | calib PR-AUC | test PR-AUC | test ROC-AUC |\n|---|---|---|---|---|")
    report("embedding", lrs(), emb)
    lex = LexicalFeatures().transform(texts)
    report("n-grams alone", lrs(), lex)
    for width in (2**12, 2**13, 2**14):
        report(f"embedding + n-grams ({width} columns)", lrs(), np.hstack([emb, LexicalFeatures(n_features=width).transform(texts)]))
    report("MLP(128) over embedding + n-grams", [(f"alpha={a}", MLPClassifier(
        hidden_layer_sizes=(128,), alpha=a, max_iter=200, early_stopping=True, validation_fraction=0.1,
        n_iter_no_change=10, random_state=meta["seed"])) for a in (1e-3, 1e-2)], np.hstack([emb, lex]))
    report(f"embedding + first {FIRST_K} word pieces", lrs(), np.hstack([emb, first_tokens(encoder, texts)]))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("models"))
