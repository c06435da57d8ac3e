"""A persistent embedding cache for training runs (SQLite, keyed by encoder variant + text sha256).

Encoding tens of thousands of texts on a small CPU takes minutes; repeated `train` runs reuse the
vectors. The cache lives outside the repository (default `$CCT_EMBED_CACHE` or the temp directory).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def default_cache_path() -> Path:
    """`$CCT_EMBED_CACHE`, else `<tmp>/cct-embed-cache.sqlite`."""
    env = os.environ.get("CCT_EMBED_CACHE")
    return Path(env) if env else Path(tempfile.gettempdir()) / "cct-embed-cache.sqlite"


def text_key(text: str) -> bytes:
    """The cache key of one text."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of texts already embedded by one encoder variant."""

    def __init__(self, path: Path, variant: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.db.execute("CREATE TABLE IF NOT EXISTS emb (variant TEXT, key BLOB, vec BLOB, PRIMARY KEY (variant, key))")
        self.variant = variant

    def embed(
        self, texts: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray], dim: int,
        chunk: int = 1024, progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embeddings of `texts` in order; only texts missing from the cache are encoded (and stored)."""
        keys = [text_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            rows = self.db.execute(
                f"SELECT key, vec FROM emb WHERE variant=? AND key IN ({','.join('?' * len(part))})", [self.variant, *part]
            )
            for key, vec in rows:
                found[key] = np.frombuffer(vec, dtype=np.float32)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        for start in range(0, len(missing), chunk):
            part = missing[start : start + chunk]
            vecs = encode(part)
            rows = [(self.variant, text_key(t), v.astype(np.float32).tobytes()) for t, v in zip(part, vecs)]
            self.db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)
            self.db.commit()
            for t, v in zip(part, vecs):
                found[text_key(t)] = v.astype(np.float32)
            if progress:
                progress(len(part))
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out

    def close(self) -> None:
        self.db.close()
