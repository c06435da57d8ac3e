"""A fine-tuned encoder stored as a delta over the base package is rebuilt byte for byte, or refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from monitor.classify.encoder import default_model_dir, weights_sha256
from monitor.classify.encoder_delta import DELTA, WEIGHTS, materialise, write_delta

ROOT = Path(__file__).resolve().parents[2]
CANDIDATE = ROOT / "models" / "candidate"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def tuned(tmp_path: Path) -> Path:
    """An fp16 copy of the base encoder whose last layer's output projection was 'fine-tuned'."""
    out = tmp_path / "encoder"
    out.mkdir()
    base = default_model_dir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(base / name, out / name)
    tensors = {k: v.astype(np.float16) for k, v in load_file(str(base / WEIGHTS)).items() if k != "embeddings.position_ids"}
    tensors["encoder.layer.5.output.dense.bias"] = tensors["encoder.layer.5.output.dense.bias"] + np.float16(0.25)
    save_file(tensors, str(out / WEIGHTS), metadata={"format": "pt"})
    return out


def test_only_the_changed_tensors_are_stored_and_the_rebuild_is_byte_identical(tuned: Path, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_MODEL_CACHE", str(tmp_path / "cache"))
    full_sha, identity = sha(tuned / WEIGHTS), weights_sha256(tuned)
    delta = write_delta(tuned)
    assert not (tuned / WEIGHTS).exists()
    assert list(load_file(str(delta))) == ["encoder.layer.5.output.dense.bias"]
    rebuilt = materialise(tuned)
    assert rebuilt.parent == tmp_path / "cache"
    assert sha(rebuilt / WEIGHTS) == full_sha and weights_sha256(rebuilt) == identity
    assert (rebuilt / "tokenizer.json").read_bytes() == (tuned / "tokenizer.json").read_bytes()
    assert materialise(tuned) == rebuilt  # second load: the cached rebuild, checked again


def test_a_delta_that_does_not_rebuild_the_recorded_weights_is_refused(tuned: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_MODEL_CACHE", str(tmp_path / "cache"))
    delta = write_delta(tuned)
    tensors = load_file(str(delta))
    from safetensors import safe_open

    with safe_open(str(delta), framework="numpy") as fh:
        meta = fh.metadata()
    tensors["encoder.layer.5.output.dense.bias"][0] += np.float16(1.0)
    save_file(tensors, str(delta), metadata=meta)
    with pytest.raises(ValueError, match="rebuilt weights have sha256"):
        materialise(tuned)
    assert not any((tmp_path / "cache").rglob(WEIGHTS))


def test_the_shipped_candidate_is_a_delta_that_rebuilds_its_recorded_encoder(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_MODEL_CACHE", str(tmp_path / "cache"))
    manifest = json.loads((CANDIDATE / "manifest.json").read_text())
    assert (CANDIDATE / "encoder" / DELTA).is_file() and not (CANDIDATE / "encoder" / WEIGHTS).exists()
    assert sha(CANDIDATE / "encoder" / DELTA) == manifest["files"]["encoder/delta.safetensors"]
    assert weights_sha256(materialise(CANDIDATE / "encoder")) == manifest["encoder"]["sha256"]
