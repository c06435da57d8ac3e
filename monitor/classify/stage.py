"""The classify stage of the monitor: `classifier_from_settings(ClassifierSettings) -> Classifier`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from prometheus_client import CollectorRegistry, Info
from monitor.classify.encoder import EncoderConfig
from monitor.classify.heads import Head, file_sha256, load_heads
from monitor.classify.labels import DEFAULT_LABELS
from monitor.classify.scorer import Scorer
from monitor.settings import ClassifierSettings
from monitor.stages import Classifier, ModelInfo, WorkItem

if TYPE_CHECKING:
    from monitor.classify.encoder import Encoder
    from monitor.classify.ort_encoder import OnnxEncoder

log = logging.getLogger(__name__)
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


def default_heads_dir() -> Path:
    """The bundled `models/heads` of this checkout, else `./models/heads`."""
    for candidate in (REPO_MODELS / "heads", Path.cwd() / "models" / "heads"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no trained heads: looked in {REPO_MODELS / 'heads'} and {Path.cwd() / 'models' / 'heads'}; "
        "set classifier.heads_dir (CCT_CLASSIFIER__HEADS_DIR)"
    )


def default_onnx_dir() -> Path:
    """The bundled `models/onnx` of this checkout (built by `cct-monitor model export`), else `./models/onnx`."""
    for candidate in (REPO_MODELS / "onnx", Path.cwd() / "models" / "onnx"):
        if (candidate / "manifest.json").is_file():
            return candidate
    return REPO_MODELS / "onnx"


def choose_engine(settings: ClassifierSettings) -> str:
    """'onnx' or 'torch' as `classifier.engine` says; 'auto' is onnx on CPU when an export exists."""
    if settings.engine != "auto":
        if settings.engine == "onnx" and settings.device not in ("cpu", "auto"):
            raise ValueError(f"classifier.engine=onnx runs on CPU; device {settings.device!r} needs engine torch or auto")
        return settings.engine
    gpu = settings.device.startswith("cuda") or (settings.device == "auto" and NVIDIA_DRIVER.exists())
    if gpu:
        return "torch"
    onnx_dir = Path(settings.onnx_dir) if settings.onnx_dir else default_onnx_dir()
    if (onnx_dir / "manifest.json").is_file():
        return "onnx"
    log.warning("no ONNX encoder in %s: using torch fp32 on CPU (build the faster engine with `cct-monitor model export`)",
                onnx_dir)
    return "torch"


def build_encoder(settings: ClassifierSettings, layers: tuple[int, ...]) -> Encoder | OnnxEncoder:
    """The encoder the settings ask for, pooling `layers` (those the heads were trained on)."""
    config = EncoderConfig(
        model=settings.model, device=settings.device, threads=settings.threads, max_tokens=settings.max_tokens,
        quantize_int8=settings.quantize_int8, offline=settings.offline, layers=layers,
    )
    if choose_engine(settings) == "onnx":
        from monitor.classify.ort_encoder import OnnxEncoder

        return OnnxEncoder(config, Path(settings.onnx_dir) if settings.onnx_dir else default_onnx_dir())
    from monitor.classify.encoder import Encoder

    return Encoder(config)


def heads_layers(heads: Sequence[Head], heads_dir: Path) -> tuple[int, ...]:
    """The encoder layers the heads were trained on (recorded in each head's JSON); all must agree."""
    found = {tuple(h.meta.get("encoder", {}).get("layers") or (-1,)) for h in heads}
    if len(found) != 1:
        raise ValueError(f"heads in {heads_dir} were trained on different encoder layers: {sorted(found)}")
    return found.pop()


def model_sha256(encoder: Encoder | OnnxEncoder, heads_dir: Path, heads: Sequence[Head]) -> str:
    """sha256 over the encoder weights' sha256, its engine/precision and every head's JSON and weights files."""
    digest = hashlib.sha256()
    digest.update(f"{encoder.sha256}:{encoder.precision}".encode())
    for head in sorted(heads, key=lambda h: h.label):
        for name in (f"{head.label}.json", f"{head.label}.safetensors"):
            digest.update(f"{name}:{file_sha256(heads_dir / name)}".encode())
    return digest.hexdigest()


class TransformerClassifier:
    """Implements `monitor.stages.Classifier` over an encoder and per-label heads."""

    def __init__(self, scorer: Scorer, info: ModelInfo, heads_dir: Path) -> None:
        self.scorer = scorer
        self._info = info
        self.heads_dir = heads_dir

    @property
    def info(self) -> ModelInfo:
        return self._info

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        """One {label: probability} per item; the context is the item's previous chunks of its broadcast."""
        texts = [item.chunk.text for item in items]
        contexts = [[c.text for c in item.context] for item in items]
        return self.scorer.score(texts, contexts)

    def score_texts(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, float]]:
        """Score plain texts (the `classify` command and the benchmark use this)."""
        return self.scorer.score(texts, contexts)

    def metrics_info(self) -> dict[str, str]:
        """Model identity as string labels for a Prometheus Info metric (e.g. `cct_model`)."""
        enc = self.scorer.encoder
        return {
            "name": self._info.name,
            "sha256": self._info.sha256,
            "encoder": enc.name,
            "encoder_sha256": enc.sha256,
            "labels": ",".join(self._info.labels),
            "precision": enc.precision,
            "device": str(enc.device),
            "max_tokens": str(enc.config.max_tokens),
            "heads": ",".join(f"{h.label}:{h.kind}:{h.features}" for h in self.scorer.heads),
        }


def export_model_info(classifier: Classifier, registry: CollectorRegistry) -> Info:
    """Register `cct_model_info` on `registry` with the classifier's identity (name, sha256, labels...)."""
    data = classifier.metrics_info() if isinstance(classifier, TransformerClassifier) else {
        "name": classifier.info.name, "sha256": classifier.info.sha256, "labels": ",".join(classifier.info.labels)}
    info = Info("cct_model", "The classifier in use: encoder, heads and their sha256", registry=registry)
    info.info(data)
    return info


def classifier_from_settings(settings: ClassifierSettings, labels: Sequence[str] | None = None) -> TransformerClassifier:
    """Load the encoder and the heads for `labels` (default: every label of DESIGN.md) as the settings say."""
    heads_dir = Path(settings.heads_dir) if settings.heads_dir else default_heads_dir()
    heads = load_heads(heads_dir, list(labels) if labels is not None else list(DEFAULT_LABELS))
    encoder = build_encoder(settings, heads_layers(heads, heads_dir))
    for head in heads:
        trained_for = head.meta.get("encoder", {}).get("sha256")
        if trained_for and trained_for != encoder.sha256:
            raise ValueError(
                f"head {head.label!r} in {heads_dir} was trained for encoder sha256 {trained_for[:12]}…, "
                f"but {settings.model!r} has {encoder.sha256[:12]}…; train heads for this encoder"
            )
    scorer = Scorer(encoder, heads, max_batch_size=settings.max_batch_size)
    sha = model_sha256(encoder, heads_dir, heads)
    info = ModelInfo(
        name=f"{encoder.name}+heads", sha256=sha, labels=tuple(h.label for h in heads),
        thresholds={h.label: h.threshold for h in heads},
    )
    return TransformerClassifier(scorer, info, heads_dir)
