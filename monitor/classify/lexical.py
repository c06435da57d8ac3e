"""Word (and optionally character) n-gram features of a text, hashed: the framing words a sentence embedding
smooths away, and the spellings, hashtags and source names that mark a kind of post.

A stance head reads them beside the chunk embedding: "someone in the chat says", "it's a myth that",
"no, that's false", "I'm telling you". They come from the text alone, so the torch and ONNX Runtime
engines give the same vector by construction and no second encoder pass is needed. Hashing (MurmurHash3,
seed 0, no stored vocabulary: the head records only these parameters) is scikit-learn's `HashingVectorizer`
reproduced column for column (`tests/unit/test_lexical_features.py` checks it against the library) with the
`mmh3` package and a scipy CSR matrix (with `char_ngrams`, the union of its word columns and those of its
`analyzer="char_wb"` vectorizer), so a serving replica does not import scikit-learn (~50 MiB resident).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
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


_SPACES = re.compile(r"\s\s+")


def _char_words(text: str) -> list[str]:
    return _SPACES.sub(" ", text.lower()).split()


def _word_char_grams(word: str, lo: int, hi: int) -> set[str]:
    """One word's character lo..hi-grams, the word padded with one space (a word shorter than n gives itself,
    padded, once): the library's `char_wb` analyzer, word by word."""
    w = f" {word} "
    out: set[str] = set()
    for n in range(lo, hi + 1):
        out.update(w[i:i + n] for i in range(max(1, len(w) - n + 1)))
        if len(w) <= n:
            break
    return out


def _column(gram: str, n: int) -> int:
    # scikit-learn's column: |signed MurmurHash3_32(utf-8, seed 0)| mod n (its special case for -2**31 gives
    # 2**31 mod n, which is what Python's abs does without overflowing)
    return abs(mmh3.hash(gram, 0, True)) % n


@lru_cache(maxsize=8192)
def _word_char_columns(word: str, lo: int, hi: int, n: int) -> np.ndarray:
    """The columns of one word's character grams (a word recurs across chunks: hashed once; ~0.3 KiB each)."""
    return np.fromiter((_column(g, n) for g in _word_char_grams(word, lo, hi)), dtype=np.int32)


@dataclass(frozen=True, slots=True)
class LexicalFeatures:
    """Binary word 1..`ngram_max`-grams of the lower-cased text (and, with `char_ngrams` (lo, hi), its
    in-word character lo..hi-grams) hashed into `n_features` columns, the row L2-normalised and scaled by
    `weight` (the block's norm relative to the unit-length embedding)."""

    ngram_max: int = 3
    n_features: int = 2**14
    weight: float = 1.0
    char_ngrams: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.ngram_max < 1 or self.n_features < 1 or self.weight <= 0:
            raise ValueError(f"lexical features need ngram_max >= 1, n_features >= 1 and weight > 0, got {self}")
        if self.char_ngrams is not None and not 1 <= self.char_ngrams[0] <= self.char_ngrams[1]:
            raise ValueError(f"lexical features need char_ngrams (lo, hi) with 1 <= lo <= hi, got {self.char_ngrams}")

    def sparse(self, texts: Sequence[str]) -> Any:
        """One float32 row per text as a scipy CSR matrix (an empty row for a text without a word): 1 in each
        n-gram's column, the row L2-normalised, times `weight`."""
        indptr, indices, data = [0], [], []
        n = self.n_features
        for text in texts:
            cols = np.fromiter((_column(g, n) for g in _grams(text, self.ngram_max)), dtype=np.int32)
            if self.char_ngrams is not None:
                lo, hi = self.char_ngrams
                cols = np.concatenate([cols, *(_word_char_columns(w, lo, hi, n) for w in _char_words(text))])
            cols = np.unique(cols).tolist()  # the union of the grams' columns, sorted
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
        """The parameters; `char_ngrams` only where set, so word-only heads' files stay as they were."""
        spec = asdict(self)
        if self.char_ngrams is None:
            del spec["char_ngrams"]
        else:
            spec["char_ngrams"] = list(self.char_ngrams)
        return spec

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> LexicalFeatures:
        unknown = set(spec) - {"ngram_max", "n_features", "weight", "char_ngrams"}
        if unknown:
            raise ValueError(f"lexical features: unknown keys {sorted(unknown)}")
        chars = spec.get("char_ngrams")
        return cls(int(spec["ngram_max"]), int(spec["n_features"]), float(spec["weight"]),
                   (int(chars[0]), int(chars[1])) if chars is not None else None)
