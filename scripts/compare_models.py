#!/usr/bin/env python3
"""Classifier-level side-by-side on a functional suite of spoken utterances (evaluation only, never tuning).

Scores every case with the shipped per-label heads (`--old`, a heads directory) and the multi-task
model (`--new`, a models directory with manifest.json) and, per category, reports ROC-AUC and PR-AUC of
the category's label (harmful vs the category's hard negatives and benign cases), recall and false-
positive rate at each model's own calibrated threshold, the FPR on hard negatives by case type, the
share of context pairs ranked the right way round, and (new model) the share of debunk quotes,
counter-speech, negations and reports whose stance is not `assert`. Writes JSON and a markdown table.

    python scripts/compare_models.py --suite tests/functional --old models/heads --new models --out report.json
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from monitor.classify.stage import classifier_from_settings
from monitor.settings import ClassifierSettings

FRAMED = ("debunk_quote", "counter_speech", "negation", "reporting")


def load_suite(directory: Path) -> list[dict]:
    cases = []
    for path in sorted(directory.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    cases.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{n}: not JSON ({exc.msg})") from None
    return cases


def evaluate(cases: list[dict], scores: list[dict[str, float]], thresholds: dict[str, float]) -> dict:
    out: dict = {}
    for cat in sorted({c["category"] for c in cases}):
        idx = [i for i, c in enumerate(cases) if c["category"] == cat]
        y = np.array([int(cases[i]["polarity"] == "harmful") for i in idx])
        p = np.array([scores[i].get(cat, 0.0) for i in idx])
        thr = thresholds.get(cat, 0.5)
        row = {"n": len(idx), "harmful": int(y.sum()), "threshold": thr,
               "roc_auc": round(float(roc_auc_score(y, p)), 4), "pr_auc": round(float(average_precision_score(y, p)), 4),
               "recall": round(float((p[y == 1] >= thr).mean()), 4), "fpr": round(float((p[y == 0] >= thr).mean()), 4)}
        neg = np.sort(p[y == 0])
        cut = neg[int(np.ceil(0.95 * len(neg))) - 1] if len(neg) else 1.0
        row["recall_at_fpr_0.05_oracle"] = round(float((p[y == 1] > cut).mean()), 4)
        by_type: dict[str, list[float]] = defaultdict(list)
        for i, yi, pi in zip(idx, y, p):
            if not yi:
                by_type[cases[i]["case_type"]].append(float(pi >= thr))
        row["fpr_by_case_type"] = {k: round(float(np.mean(v)), 3) for k, v in sorted(by_type.items())}
        pairs: dict[str, dict[int, float]] = defaultdict(dict)
        for i, yi, pi in zip(idx, y, p):
            if cases[i].get("pair"):
                pairs[cases[i]["pair"]][int(yi)] = float(pi)
        full = [v for v in pairs.values() if len(v) == 2]
        if full:
            row["pairs_ordered"] = round(float(np.mean([v[1] > v[0] for v in full])), 3)
        out[cat] = row
    framed = [i for i, c in enumerate(cases) if c["polarity"] != "harmful" and c["case_type"] in FRAMED]
    if framed and "stance_assert" in scores[0]:
        out["_stance"] = {
            "framed_cases": len(framed),
            "not_assert": round(float(np.mean([scores[i]["stance_assert"] < 0.5 for i in framed])), 3),
            "harmful_assert": round(float(np.mean([scores[i]["stance_assert"] >= 0.5
                                                   for i, c in enumerate(cases) if c["polarity"] == "harmful"])), 3),
        }
    return out


def table(results: dict[str, dict]) -> str:
    lines = ["| category | model | ROC-AUC | PR-AUC | recall @thr | FPR @thr | recall @FPR≤0.05 (oracle cut) | pairs ordered |",
             "|---|---|---|---|---|---|---|---|"]
    cats = sorted({c for r in results.values() for c in r if not c.startswith("_")})
    for cat in cats:
        for model, r in results.items():
            m = r[cat]
            lines.append(f"| {cat} | {model} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['recall']:.2f} | {m['fpr']:.2f} | "
                         f"{m['recall_at_fpr_0.05_oracle']:.2f} | {m.get('pairs_ordered', '')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", type=Path, required=True)
    ap.add_argument("--old", type=Path, default=Path("models/heads"))
    ap.add_argument("--new", type=Path, default=Path("models"))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    cases = load_suite(args.suite)
    texts = [c["text"] for c in cases]
    contexts = [[t["text"] for t in c.get("context", [])] for c in cases]
    results = {}
    for name, settings in (("shipped-heads", ClassifierSettings(heads_dir=args.old, threads=2)),
                           ("candidate", ClassifierSettings(models_dir=args.new, threads=2))):
        clf = classifier_from_settings(settings)
        results[name] = evaluate(cases, clf.score_texts(texts, contexts), clf.info.thresholds)
    print(table(results))
    for name, r in results.items():
        if "_stance" in r:
            print(f"{name} stance: {r['_stance']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
