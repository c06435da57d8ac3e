"""Cross-lingual narrative matching: a chunk in another language is matched against the (English) narrative
wordings with the multilingual encoder that scored it, on the English index's score scale.

- Which encoder: `RoutedTextEncoder` pairs the English encoder with the multilingual one and the languages the
  latter reads (the routing classifier lends it, `RoutedClassifier.text_encoder`); the matcher embeds each
  chunk with the encoder of its language, so a German chunk is compared with the narratives in e5's shared
  multilingual space, not read as English by MiniLM.
- Centring: multilingual-e5 puts every text in a narrow cone (cosine ~0.83 between unrelated wordings, ~0.90
  within a narrative, measured on the shipped sets), so the index subtracts the mean of its wordings'
  embeddings from wordings and queries alike before the cosine (the usual anisotropy correction).
- Score scale: BM25 cannot match across languages and the centred cosine has its own range, so the dense
  score alone is mapped affinely onto the English index's fused score. The line goes through two anchors
  computed from the set's own wordings (English, both encoders) when the index is built: the mean over
  pairs of wordings of one narrative, and the mean over pairs of different narratives, each taken to the
  English index's mean for the same pairs. A rule's `min_score` then means about the same in any language.
  A cross-lingual paraphrase is usually further from the wordings than an English one, so fewer chunks
  reach it: the map was chosen over matching the two scores' mean and spread, which let correct
  procedure and denials reach the shipped `min_score` (docs/languages.md has the measurement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.narratives.index import Document, Fusion, NarrativeIndex, TextEncoder, _Bm25, _unit


@dataclass(frozen=True)
class RoutedTextEncoder:
    """The English encoder (which it stands in for as a `TextEncoder`) and the multilingual one with its languages."""

    english: TextEncoder
    multilingual: TextEncoder
    languages: frozenset[str]

    @property
    def dim(self) -> int:
        return self.english.dim

    @property
    def variant(self) -> str:
        return self.english.variant

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.english.encode(texts, batch_size)


def score_map(reference: NarrativeIndex, centred: np.ndarray) -> tuple[float, float]:
    """(scale, offset) taking the centred multilingual cosine to the reference index's fused score: over every
    pair of distinct wordings of the set, the mean over pairs of one narrative's wordings lands on the reference's
    mean for those pairs, and the mean over pairs of different narratives on the reference's mean for them."""
    upper = np.triu_indices(len(reference.owner), 1)
    same = reference.owner[upper[0]] == reference.owner[upper[1]]
    if same.all() or not same.any():
        return 1.0, 0.0
    wordings = [t for d in reference.docs for t in d.texts]
    lexical = _Bm25(wordings).scores(wordings)
    lexical = lexical / (lexical + reference.fusion.bm25_k)
    w = reference.fusion.dense_weight
    fused = (w * (reference.vectors @ reference.vectors.T) + (1 - w) * (lexical + lexical.T) / 2)[upper]
    cosine = (centred @ centred.T)[upper]
    scale = float((fused[same].mean() - fused[~same].mean()) / max(cosine[same].mean() - cosine[~same].mean(), 1e-9))
    return scale, float(fused[same].mean() - scale * cosine[same].mean())


class CrossLingualIndex(NarrativeIndex):
    """A narrative index over the multilingual encoder: centred cosine, mapped onto `reference`'s scale, no BM25."""

    def __init__(self, docs: Sequence[Document], encoder: TextEncoder, reference: NarrativeIndex,
                 cache_path: Path | None = None) -> None:
        super().__init__(docs, encoder, cache_path, Fusion(dense_weight=1.0, bm25_k=reference.fusion.bm25_k,
                                                          context_weight=reference.fusion.context_weight))
        self.mean = self.vectors.mean(axis=0)
        self.vectors = _unit(self.vectors - self.mean).astype(np.float32)
        self.scale, self.offset = score_map(reference, self.vectors)

    def best_per_document(self, query_vectors: np.ndarray) -> np.ndarray:
        cosine = super().best_per_document(_unit(query_vectors - self.mean).astype(np.float32))
        return np.clip(self.scale * cosine + self.offset, -1.0, 1.0)

    def lexical_scores(self, queries: Sequence[str]) -> np.ndarray:
        return np.zeros((len(queries), len(self.docs)), dtype=np.float32)

