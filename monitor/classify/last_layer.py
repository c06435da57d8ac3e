"""The encoder the narrative index reads: the last layer's pooled embedding, cut from the classifier's forward.

The classifier's embedding concatenates the pooled output of several layers (see `PooledEncoder`); known
claims are matched on the last layer's block alone, the all-MiniLM-L6-v2 sentence embedding. Texts go
through an `EmbeddingLru`: given the classifier's (its scorer's cache), every chunk of the batch being
decided and the chunks before it are already there, so the monitor runs one encoder forward per chunk for
the classifier and the narrative matcher together; without a classifier the view keeps an LRU of its own,
so a chunk read again as the next chunks' context is not encoded twice either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.classify.encoder import PooledEncoder
from monitor.classify.scorer import EmbeddingLru

OWN_CACHE_SIZE = 2048


class LastLayerEncoder:
    """A `TextEncoder` (dim, variant, encode) over a `PooledEncoder` and the embedding cache in front of it.

    `encoded` counts the texts this view found in no cache and had encoded."""

    def __init__(self, encoder: PooledEncoder, cache: EmbeddingLru | None = None) -> None:
        if encoder.num_layers not in encoder.layers:
            raise ValueError(f"encoder {getattr(encoder, 'name', '?')} pools layers {list(encoder.layers)}, not the "
                             f"last one ({encoder.num_layers})")
        if cache is not None and cache.encoder is not encoder:
            raise ValueError("the cache holds another encoder's embeddings")
        self.encoder = encoder
        self.cache = cache if cache is not None else EmbeddingLru(encoder, OWN_CACHE_SIZE)
        self.dim = encoder.dim // len(encoder.layers)
        # an encoder that pools the last layer alone gives these vectors itself: same cache key
        self.variant = encoder.variant if len(encoder.layers) == 1 else f"{encoder.variant}>L{encoder.num_layers}"
        self.encoded = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Last-layer embeddings of `texts` (stripped, as the scorer keys them), one row per text."""
        stripped = [t.strip() for t in texts]
        self.encoded += sum(1 for t in dict.fromkeys(stripped) if self.cache.get(t) is None)
        return self.encoder.last_layer(self.cache.embed(stripped))
