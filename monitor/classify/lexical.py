"""Word n-gram features of a text, hashed: the framing words a sentence embedding smooths away.

A stance head reads them beside the chunk embedding: "someone in the chat says", "it's a myth that",
"no, that's false", "I'm telling you". They come from the text alone, so the torch and ONNX Runtime
engines give the same vector by construction and no second encoder pass is needed. Hashing (scikit-learn's
`HashingVectorizer`, MurmurHash3 with a fixed seed) needs no stored vocabulary: the head records only these
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

TOKEN_PATTERN = r"[a-z0-9']+"


@lru_cache(maxsize=8)
def _vectorizer(ngram_max: int, n_features: int) -> Any:
    """The stateless hashing vectorizer for these parameters, built once (building it per call costs as much
    as using it)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max),
                             n_features=n_features, alternate_sign=False, binary=True, norm="l2", dtype=np.float32)


@dataclass(frozen=True, slots=True)
class LexicalFeatures:
    """Binary word 1..`ngram_max`-grams of the lower-cased text hashed into `n_features` columns, the row
    L2-normalised and scaled by `weight` (the block's norm relative to the unit-length embedding)."""

    ngram_max: int = 3
    n_features: int = 2**14
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.ngram_max < 1 or self.n_features < 1 or self.weight <= 0:
            raise ValueError(f"lexical features need ngram_max >= 1, n_features >= 1 and weight > 0, got {self}")

    def vectorizer(self) -> Any:
        """The hashing vectorizer (scikit-learn, imported on first use)."""
        return _vectorizer(self.ngram_max, self.n_features)

    def sparse(self, texts: Sequence[str]) -> Any:
        """One float32 row per text as a scipy CSR matrix (an empty row for a text without a word)."""
        return (self.vectorizer().transform(list(texts)) * np.float32(self.weight)).astype(np.float32)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """`sparse` as a dense float32 array (for fitting)."""
        return self.sparse(texts).toarray()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> LexicalFeatures:
        unknown = set(spec) - {"ngram_max", "n_features", "weight"}
        if unknown:
            raise ValueError(f"lexical features: unknown keys {sorted(unknown)}")
        return cls(int(spec["ngram_max"]), int(spec["n_features"]), float(spec["weight"]))
