"""How far each int8 choice moves the English encoder from fp32: per-node sensitivity and whole variants.

    python scripts/quant_sensitivity.py [--per-node] [--texts 600] [--threads 2] [--work /tmp/cct-quant]
                                        [--datasets DIR] [--calibration split|bundled] [--variants a,b]

Exports the encoder once with its fp32 graph (`cct-monitor model export --keep-fp32` into `--work`), then
quantises that graph with `onnx_export.quantize_per_token` in several ways and runs each on ONNX Runtime
against the fp32 graph, on sentences from TRAIN splits only: CLEF-2019 CheckThat! task 1 train (debate
lines), CONSTRAINT 2021 train (COVID posts) and the bundled spoken training sets (`monitor/data/spoken`);
`--datasets` names the shared data directory (default ../shared/datasets; a missing one, e.g. `none`: the
bundled sets only). With `--calibration split` (default) half the sentences (by hash) calibrate the smoothing
variants and the other half are measured; with `--calibration bundled` the bundled spoken texts calibrate (as
`cct-monitor model export` does) and the public train sentences are measured. The `export` variant is the
graph the export itself writes.

Per variant: pooled cosine vs fp32 (mean, min), the max |Δ score| of every head of models/heads on the
measured texts (no context: a context head sees zero context), and throughput (texts/s, batch 32,
length-sorted, `--threads`). `--per-node` also quantises one MatMul at a time (the rest fp32) and prints
the 1 − cosine each alone causes, most sensitive first.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def spoken_sentences() -> list[str]:
    """The English bundled spoken training texts (`monitor/data/spoken`), what the export calibrates on."""
    from monitor.classify.onnx_export import CALIBRATION_TEXTS, calibration_texts

    return calibration_texts(CALIBRATION_TEXTS)


def train_sentences(datasets: Path | None, per_source: int, spoken: bool = True) -> list[str]:
    """Distinct sentences of 6–60 words from train splits only, `per_source` from each source."""
    sources: list[list[str]] = []
    if datasets is not None and datasets.is_dir():
        for path, column in ((datasets / "clef2019-checkworthiness/train.csv", "text"),
                             (datasets / "constraint-covid/train.csv", "tweet")):
            if path.is_file():
                with path.open(encoding="utf-8", newline="") as f:
                    sources.append([row[column] for row in csv.DictReader(f)])
    if spoken:
        sources.append(spoken_sentences())
    out: list[str] = []
    for texts in sources:
        picked = [t for t in dict.fromkeys(texts) if 6 <= len(t.split()) <= 60]
        picked.sort(key=lambda t: hashlib.sha256(t.encode()).hexdigest())
        out += picked[:per_source]
    return out


def split_halves(texts: list[str]) -> tuple[list[str], list[str]]:
    """(calibration, measured) by the parity of each text's md5 (the sample was drawn by sha256)."""
    calib = [t for t in texts if hashlib.md5(t.encode()).digest()[0] % 2 == 0]
    chosen = set(calib)
    return calib, [t for t in texts if t not in chosen]


class Runner:
    """Tokenise once, run any graph over the same length-sorted batches."""

    def __init__(self, export_dir: Path, texts: list[str], threads: int, batch: int = 32) -> None:
        from monitor.classify.fast_tokenizer import FastTokenizer

        manifest = json.loads((export_dir / "manifest.json").read_text())
        tok = FastTokenizer(export_dir / "tokenizer.json", int(manifest["pad_id"]), list(manifest["inputs"]))
        self.order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        self.inputs = list(manifest["inputs"])
        self.threads = threads
        # the word embedding is a graph input (onnx_export's lookup tables): fed whole, every variant reads it
        tables = {t["input"]: np.fromfile(export_dir / t["file"], dtype=t["dtype"]).reshape(t["shape"])
                  for t in manifest["files"]["fp32"].get("tables", [])}
        self.batches = []
        for s in range(0, len(texts), batch):
            chunk = [texts[i] for i in self.order[s : s + batch]]
            enc = tok(chunk, truncation=True, max_length=128, padding=True, return_tensors="np")
            self.batches.append({**{n: enc[n] for n in self.inputs}, **tables})

    def session(self, graph: Path):  # noqa: ANN201
        import onnxruntime as ort

        o = ort.SessionOptions()
        o.intra_op_num_threads = self.threads
        o.inter_op_num_threads = 1
        o.add_session_config_entry("session.intra_op.allow_spinning", "0")
        o.log_severity_level = 3
        return ort.InferenceSession(str(graph), o, providers=["CPUExecutionProvider"])

    def embed(self, graph: Path, timed: bool = False) -> tuple[np.ndarray, float]:
        """(embeddings in the texts' order, texts/s of the best of two passes when `timed`)."""
        sess = self.session(graph)
        best = float("inf")
        for _ in range(2 if timed else 1):
            t0 = time.perf_counter()
            rows = [sess.run(["embedding"], b)[0] for b in self.batches]
            best = min(best, time.perf_counter() - t0)
        out = np.empty_like(np.concatenate(rows))
        out[self.order] = np.concatenate(rows)
        return out, len(out) / best

    def activations(self, graph: Path, names: list[str]) -> dict[str, np.ndarray]:
        from monitor.classify.onnx_export import activation_peaks

        return activation_peaks(graph, self.batches, names)


def head_scores(emb: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
    from monitor.classify.heads import head_inputs, load_heads

    heads = load_heads(ROOT / "models/heads")
    zeros = np.zeros_like(emb)
    return {h.label: h.proba(head_inputs(h, emb, zeros, texts)) for h in heads}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/cct-quant"))
    ap.add_argument("--datasets", type=Path, default=ROOT.parent / "shared/datasets")
    ap.add_argument("--texts", type=int, default=600, help="sentences per source")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-node", action="store_true")
    ap.add_argument("--calibration", choices=("split", "bundled"), default="split",
                    help="split: half the sentences calibrate, half are measured; bundled: calibrate on the bundled "
                         "spoken texts as the export does, measure on the public train sentences")
    ap.add_argument("--variants", default="", help="comma-separated variant names to run (default all)")
    args = ap.parse_args()

    from monitor.classify import onnx_export as ox
    from monitor.classify.heads import load_heads
    from monitor.classify.stage import heads_layers

    layers = heads_layers(load_heads(ROOT / "models/heads"), ROOT / "models/heads")
    ox.export_encoder("default", args.work, layers, keep_fp32=True)
    fp32 = args.work / ox.FILES["fp32"]
    if args.calibration == "split":
        calib, texts = split_halves(train_sentences(args.datasets, args.texts))
    else:
        calib, texts = spoken_sentences(), train_sentences(args.datasets, args.texts, spoken=False)
    print(f"{len(calib)} calibration and {len(texts)} measured train sentences, {args.threads} threads, batch 32")
    runner = Runner(args.work, texts, args.threads)
    ref, ref_rate = runner.embed(fp32, timed=True)
    ref_scores = head_scores(ref, texts)

    import onnx

    graph = onnx.load(str(fp32)).graph
    consts = {i.name for i in graph.initializer}
    matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in consts]
    ffn_down = ox.ffn_down_projections(fp32, 1536, 384)
    value = [m for m in matmuls if "/value/" in m]

    def measure(label: str, exclude: set[str], smooth: dict[str, np.ndarray] | None = None, alpha: float = 0.5,
                shift: dict[str, float] | None = None) -> None:
        dst = args.work / "variant.onnx"
        n = ox.quantize_per_token(fp32, dst, exclude, smooth=smooth, alpha=alpha, shift=shift)
        emb, rate = runner.embed(dst, timed=True)
        report(label, n, emb, rate)

    def report(label: str, n: int, emb: np.ndarray, rate: float) -> None:
        cos = (emb * ref).sum(1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(ref, axis=1))
        scores = head_scores(emb, texts)
        deltas = " ".join(f"{k} {np.abs(scores[k] - ref_scores[k]).max():.3f}" for k in ref_scores)
        print(f"{label:<30} int8 {n:>2}/{len(matmuls)}  cos mean {cos.mean():.5f} min {cos.min():.5f}  "
              f"max|Δ| {deltas}  {rate:6.1f}/s ({rate / ref_rate:.2f}× fp32)", flush=True)

    print(f"{'fp32 graph':<30} {ref_rate:6.1f}/s")
    if args.per_node:
        rows = []
        for name in matmuls:
            dst = args.work / "variant.onnx"
            ox.quantize_per_token(fp32, dst, set(matmuls) - {name})
            emb, _ = runner.embed(dst)
            cos = (emb * ref).sum(1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(ref, axis=1))
            rows.append((float(1 - cos.mean()), float(1 - cos.min()), name))
        for mean, worst, name in sorted(rows, reverse=True):
            print(f"  1-cos mean {mean:.2e} max {worst:.2e}  {name}", flush=True)

    inputs = {n.name: n.input[0] for n in graph.node if n.name in matmuls}
    peaks = Runner(args.work, calib, args.threads).activations(fp32, sorted(set(inputs.values())))
    act = {m: peaks[inputs[m]] for m in matmuls}
    variants = {
        "all-int8": (set(), None, 0.5),
        "current": (set(ffn_down[:1]), None, 0.5),
        "down-1+6": ({ffn_down[0], ffn_down[-1]}, None, 0.5),
        "down-all": (set(ffn_down), None, 0.5),
        "smooth-0.5": (set(), act, 0.5),
        "smooth-0.5+down-1": (set(ffn_down[:1]), act, 0.5),
        "smooth-0.7+down-1": (set(ffn_down[:1]), act, 0.7),
        "smooth-0.7": (set(), act, 0.7),
        "smooth-0.8": (set(), act, 0.8),
        "smooth-0.9": (set(), act, 0.9),
        "smooth-0.8+down-1": (set(ffn_down[:1]), act, 0.8),
        "smooth-0.8+V-fp32": (set(value), act, 0.8),
        **{f"smooth-{a}-not-down+down-1": (set(ffn_down[:1]), {m: act[m] for m in matmuls if m not in ffn_down}, a)
           for a in (0.5, 0.6, 0.7, 0.8, 0.9)},
        "smooth-0.7-not-down+down-1+shift-down": (set(ffn_down[:1]), {m: act[m] for m in matmuls if m not in ffn_down},
                                                  0.7, {m: 0.17 for m in ffn_down}),
        "smooth-0.7-not-down+shift-down": (set(), {m: act[m] for m in matmuls if m not in ffn_down}, 0.7,
                                           {m: 0.17 for m in ffn_down}),
    }
    for name in [v.strip() for v in args.variants.split(",") if v.strip()] or [*variants, "export"]:
        if name == "export":  # the graph `cct-monitor model export` writes (its own calibration)
            emb, rate = runner.embed(args.work / ox.FILES["int8"], timed=True)
            report(name, json.loads((args.work / "manifest.json").read_text())["files"]["int8"]["int8_matmuls"], emb, rate)
        else:
            measure(name, *variants[name])


if __name__ == "__main__":
    main()
