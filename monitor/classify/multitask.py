"""The multi-task head over a fine-tuned encoder: label probabilities and a stance distribution in numpy.

Features of a chunk are [e, c, e*c, has_context] where e is the chunk's own embedding (mean-pooled,
L2-normalised) and c the mean embedding of up to `context_n` previous turns (zeros when none), so
the monitor needs one encoder forward per chunk and reuses cached embeddings of the previous ones.
A shared ReLU layer feeds one logit per label (Platt-calibrated per label) and five stance logits
(softmax with a fitted temperature). Stored as `head.safetensors` + the models directory's
`manifest.json` (format `cct-multitask/1`); nothing here needs torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

FORMAT = "cct-multitask/1"
STANCES: tuple[str, ...] = ("assert", "quote", "report", "deny", "condemn")
STANCE_KEYS: tuple[str, ...] = tuple(f"stance_{s}" for s in STANCES)


def pair_features(emb: np.ndarray, ctx: np.ndarray, has_ctx: np.ndarray) -> np.ndarray:
    """[e, c, e*c, has_context] per row; training (as torch tensors' numpy twins) and serving share it."""
    has = np.asarray(has_ctx, dtype=np.float32).reshape(-1, 1)
    return np.concatenate([emb, ctx, emb * ctx, has], axis=1).astype(np.float32)


@dataclass
class MultiTaskHead:
    """Shared layer → per-label logits (+Platt) and stance logits (+temperature)."""

    labels: tuple[str, ...]
    w0: np.ndarray
    b0: np.ndarray
    w_labels: np.ndarray
    b_labels: np.ndarray
    w_stance: np.ndarray
    b_stance: np.ndarray
    platt: np.ndarray  # (n_labels, 2): a, b of sigmoid(a * logit + b)
    stance_temperature: float = 1.0
    thresholds: dict[str, float] = field(default_factory=dict)
    context_n: int = 2
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """Every score this head writes: the labels, then the stance probabilities."""
        return self.labels + STANCE_KEYS

    @property
    def emb_dim(self) -> int:
        return (int(self.w0.shape[0]) - 1) // 3

    def logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(label logits, stance logits) for feature rows `x`."""
        h = np.maximum(x.astype(np.float32) @ self.w0 + self.b0, 0.0)
        return (h @ self.w_labels + self.b_labels).astype(np.float64), (h @ self.w_stance + self.b_stance).astype(np.float64)

    def predict(self, emb: np.ndarray, ctx: np.ndarray, has_ctx: np.ndarray) -> dict[str, np.ndarray]:
        """{name: probabilities per row}: calibrated label probabilities and stance shares summing to 1."""
        lab, st = self.logits(pair_features(emb, ctx, has_ctx))
        probs = 1.0 / (1.0 + np.exp(-(self.platt[:, 0] * lab + self.platt[:, 1])))
        z = st / self.stance_temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        z /= z.sum(axis=1, keepdims=True)
        out = {label: probs[:, i] for i, label in enumerate(self.labels)}
        out.update({key: z[:, i] for i, key in enumerate(STANCE_KEYS)})
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        names = ("w0", "b0", "w_labels", "b_labels", "w_stance", "b_stance")
        out = {n: np.ascontiguousarray(getattr(self, n), dtype=np.float32) for n in names}
        out["platt"] = np.ascontiguousarray(self.platt, dtype=np.float64)
        return out

    def save(self, path: Path) -> None:
        save_file(self.tensors(), str(path))

    def spec(self) -> dict[str, Any]:
        """The manifest's `head` entry (without file names and hashes)."""
        return {
            "labels": list(self.labels), "stances": list(STANCES), "context_n": self.context_n,
            "stance_temperature": round(float(self.stance_temperature), 6),
            "thresholds": {k: round(float(v), 4) for k, v in self.thresholds.items()},
        }


def load_multitask(path: Path, spec: dict[str, Any]) -> MultiTaskHead:
    """Read `head.safetensors` with its manifest entry."""
    t = load_file(str(path))
    if list(spec.get("stances", STANCES)) != list(STANCES):
        raise ValueError(f"{path}: stance classes {spec.get('stances')} differ from {list(STANCES)}")
    labels = tuple(spec["labels"])
    if t["w_labels"].shape[1] != len(labels) or t["platt"].shape != (len(labels), 2):
        raise ValueError(f"{path}: weights do not match the {len(labels)} labels in the manifest")
    return MultiTaskHead(
        labels=labels, w0=t["w0"], b0=t["b0"], w_labels=t["w_labels"], b_labels=t["b_labels"],
        w_stance=t["w_stance"], b_stance=t["b_stance"], platt=t["platt"],
        stance_temperature=float(spec.get("stance_temperature", 1.0)),
        thresholds={k: float(v) for k, v in spec.get("thresholds", {}).items()},
        context_n=int(spec.get("context_n", 2)),
    )


def read_manifest(models_dir: Path) -> dict[str, Any]:
    """`models_dir/manifest.json` as a dict; a clear error when it is missing or malformed."""
    path = models_dir / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest (a models directory says its format in manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise ValueError(f"{path}: needs a 'format' key")
    return manifest
