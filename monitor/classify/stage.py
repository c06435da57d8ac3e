"""The classify stage of the monitor: `classifier_from_settings(ClassifierSettings) -> Classifier`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from prometheus_client import CollectorRegistry, Info
from monitor.classify.blas import serving_blas_limits
from monitor.classify.encoder import EncoderConfig, file_sha256
from monitor.classify.encoder_delta import materialise
from monitor.classify.heads import Head, load_heads
from monitor.classify.labels import DEFAULT_LABELS, STANCE_LABELS
from monitor.classify.last_layer import LastLayerEncoder
from monitor.classify.multitask import FORMAT, load_multitask, read_manifest
from monitor.classify.scorer import Scorer
from monitor.settings import ClassifierSettings
from monitor.stages import Classifier, ModelInfo, WorkItem

if TYPE_CHECKING:
    from monitor.classify.encoder import Encoder
    from monitor.classify.ort_encoder import OnnxEncoder

log = logging.getLogger(__name__)
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
HEADS_FORMAT = "cct-heads/1"
NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


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


def build_encoder(settings: ClassifierSettings, layers: tuple[int, ...], model: str | None = None) -> Encoder | OnnxEncoder:
    """The encoder the settings ask for (or `model`), pooling `layers` (those the heads were trained on)."""
    config = EncoderConfig(
        model=model or settings.model, device=settings.device, threads=settings.threads, max_tokens=settings.max_tokens,
        quantize_int8=settings.quantize_int8, offline=settings.offline, layers=layers,
    )
    if choose_engine(settings) == "onnx":
        from monitor.classify.ort_encoder import OnnxEncoder, StaleExport

        onnx_dir = Path(settings.onnx_dir) if settings.onnx_dir else default_onnx_dir()
        try:
            return OnnxEncoder(config, onnx_dir)
        except StaleExport as exc:
            if settings.engine != "auto":
                raise
            log.warning("the ONNX export in %s is not of this encoder (%s): using torch fp32", onnx_dir, exc)
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
        self._text_encoder: LastLayerEncoder | None = None

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

    def text_encoder(self) -> LastLayerEncoder | None:
        """The narrative index's encoder over this classifier's forward and embedding cache (None when the
        encoder does not pool the last layer, so the matcher loads its own)."""
        enc = self.scorer.encoder
        if enc.num_layers not in enc.layers:
            return None
        if self._text_encoder is None:
            self._text_encoder = LastLayerEncoder(enc, self.scorer.cache)
        return self._text_encoder

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
            "heads": ",".join(f"{h.label}:{h.kind}:{h.features}" for h in self.scorer.heads) or "multitask",
        }


def export_model_info(classifier: Classifier, registry: CollectorRegistry) -> Info:
    """Register `cct_model_info` on `registry` with the classifier's identity (name, sha256, labels...)."""
    describe = getattr(classifier, "metrics_info", None)  # the English classifier, or the language router
    data = describe() if callable(describe) else {
        "name": classifier.info.name, "sha256": classifier.info.sha256, "labels": ",".join(classifier.info.labels)}
    info = Info("cct_model", "The classifier in use: encoder, heads and their sha256", registry=registry)
    info.info(data)
    return info


def default_models_dir() -> Path:
    """The bundled `models/` of this checkout, else `./models`."""
    for candidate in (REPO_MODELS, Path.cwd() / "models"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no models directory: looked in {REPO_MODELS} and {Path.cwd() / 'models'}; "
                            "set classifier.models_dir (CCT_CLASSIFIER__MODELS_DIR)")


def shipped_labels(heads_dir: Path) -> list[str]:
    """The default labels, then each stance label that has a head in `heads_dir` (a stance head is optional)."""
    return list(DEFAULT_LABELS) + [s for s in STANCE_LABELS if (heads_dir / f"{s}.json").is_file()]


def _legacy(settings: ClassifierSettings, heads_dir: Path, labels: Sequence[str] | None) -> TransformerClassifier:
    heads = load_heads(heads_dir, list(labels) if labels is not None else shipped_labels(heads_dir))
    encoder = build_encoder(settings, heads_layers(heads, heads_dir))
    for head in heads:
        trained_for = head.meta.get("encoder", {}).get("sha256")
        if trained_for and trained_for != encoder.sha256:
            raise ValueError(
                f"head {head.label!r} in {heads_dir} was trained for encoder sha256 {trained_for[:12]}…, "
                f"but {settings.model!r} has {encoder.sha256[:12]}…; train heads for this encoder"
            )
    scorer = Scorer(encoder, heads, max_batch_size=settings.max_batch_size,
                    cache_mb=settings.embedding_cache_mb)
    sha = model_sha256(encoder, heads_dir, heads)
    info = ModelInfo(
        name=f"{encoder.name}+heads", sha256=sha, labels=tuple(h.label for h in heads),
        thresholds={h.label: h.threshold for h in heads},
    )
    return TransformerClassifier(scorer, info, heads_dir)


def _multitask(settings: ClassifierSettings, models_dir: Path, manifest: dict, labels: Sequence[str] | None
               ) -> TransformerClassifier:
    enc_spec, head_spec = manifest["encoder"], manifest["head"]
    head_path = models_dir / head_spec["path"]
    want = manifest.get("files", {}).get(head_spec["path"])
    if want and file_sha256(head_path) != want:
        raise ValueError(f"{head_path}: sha256 does not match {models_dir / 'manifest.json'}; the model files are out of sync")
    head = load_multitask(head_path, head_spec)
    if labels is not None and set(labels) - set(head.labels):
        raise ValueError(f"{models_dir}: the multi-task head has no {sorted(set(labels) - set(head.labels))}")
    model = settings.model if settings.model != "default" else str(materialise(models_dir / enc_spec["path"]))
    encoder = build_encoder(settings, tuple(enc_spec.get("layers", (-1,))), model)
    if enc_spec.get("sha256") and enc_spec["sha256"] != encoder.sha256:
        raise ValueError(f"{models_dir}: the head was trained for encoder sha256 {enc_spec['sha256'][:12]}…, but "
                         f"{model!r} has {encoder.sha256[:12]}…")
    scorer = Scorer(encoder, head, max_batch_size=settings.max_batch_size,
                    cache_mb=settings.embedding_cache_mb)
    digest = hashlib.sha256(f"{encoder.sha256}:{encoder.precision}".encode())
    digest.update((models_dir / "manifest.json").read_bytes())
    digest.update(file_sha256(head_path).encode())
    info = ModelInfo(name=manifest.get("name", f"{encoder.name}+multitask"), sha256=digest.hexdigest(), labels=head.names,
                     thresholds=dict(head.thresholds))
    return TransformerClassifier(scorer, info, models_dir)


def classifier_from_settings(settings: ClassifierSettings, labels: Sequence[str] | None = None) -> TransformerClassifier:
    """Load the classifier the settings name: `heads_dir` (per-label heads, format `cct-heads/1`) when set,
    else the models directory (default: the bundled `models/`), whose `manifest.json` says its format;
    a models directory without a manifest but with `heads/` is read as per-label heads. From here on the
    process's BLAS runs on one thread (`monitor.classify.blas`), applied once the heads are loaded: a lexical
    head's scipy carries a BLAS library of its own."""
    classifier = _load(settings, labels)
    serving_blas_limits()
    return classifier


def _load(settings: ClassifierSettings, labels: Sequence[str] | None) -> TransformerClassifier:
    if settings.heads_dir:
        return _legacy(settings, Path(settings.heads_dir), labels)
    models_dir = Path(settings.models_dir) if settings.models_dir else default_models_dir()
    if not (models_dir / "manifest.json").is_file() and (models_dir / "heads").is_dir():
        return _legacy(settings, models_dir / "heads", labels)
    manifest = read_manifest(models_dir)
    if manifest["format"] == FORMAT:
        return _multitask(settings, models_dir, manifest, labels)
    if manifest["format"] == HEADS_FORMAT:
        return _legacy(settings, models_dir / manifest.get("heads", "heads"), labels)
    raise ValueError(f"{models_dir / 'manifest.json'}: unknown format {manifest['format']!r} (known: {FORMAT}, {HEADS_FORMAT})")
