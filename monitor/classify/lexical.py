"""Word n-gram features of a text, hashed: the framing words a sentence embedding smooths away.

A stance head reads them beside the chunk embedding: "someone in the chat says", "it's a myth that",
"no, that's false", "I'm telling you". They come from the text alone, so the torch and ONNX Runtime
engines give the same vector by construction and no second encoder pass is needed. Hashing (MurmurHash3,
seed 0, no stored vocabulary: the head records only these parameters) is scikit-learn's `HashingVectorizer`
reproduced column for column (`tests/unit/test_lexical_features.py` checks it against the library) with the
`mmh3` package and a scipy CSR matrix, so a serving replica does not import scikit-learn (~50 MiB resident).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import mmh3
import numpy as np
from scipy.sparse import csr_matrix  # with the module, so its BLAS library is loaded before serving limits them

TOKEN_PATTERN = r"[a-z0-9']+"


_TOKEN = re.compile(TOKEN_PATTERN)


def _grams(text: str, ngram_max: int) -> set[str]:
    """The lower-cased text's word 1..`ngram_max`-grams (words joined by one space), as the library's analyzer."""
    words = _TOKEN.findall(text.lower())
    return {" ".join(words[i:i + n]) for n in range(1, ngram_max + 1) for i in range(len(words) - n + 1)}


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

    def sparse(self, texts: Sequence[str]) -> Any:
        """One float32 row per text as a scipy CSR matrix (an empty row for a text without a word): 1 in each
        n-gram's column, the row L2-normalised, times `weight`."""
        indptr, indices, data = [0], [], []
        n = self.n_features
        for text in texts:
            # scikit-learn's column: |signed MurmurHash3_32(utf-8, seed 0)| mod n (its special case for -2**31
            # gives 2**31 mod n, which is what Python's abs does without overflowing)
            cols = sorted({abs(mmh3.hash(g, 0, True)) % n for g in _grams(text, self.ngram_max)})
            if cols:
                indices.extend(cols)
                data.extend([np.float32(self.weight) / np.sqrt(np.float32(len(cols)))] * len(cols))
            indptr.append(len(indices))
        return csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                           np.asarray(indptr, dtype=np.int32)), shape=(len(texts), self.n_features))

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
