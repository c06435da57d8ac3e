"""The scorer's embedding cache holds each text's vector on its own, not a view pinning its encoder batch."""

from __future__ import annotations

import numpy as np

from monitor.classify.stage import classifier_from_settings
from monitor.settings import ClassifierSettings


def test_cached_vectors_own_their_memory_and_equal_the_batch_rows() -> None:
    cache = classifier_from_settings(ClassifierSettings(threads=1)).scorer.cache
    texts = ["the count was stopped at midnight", "polls close at ten tonight", "thanks for calling in"]
    batch = cache.embed(texts)
    for row, text in zip(batch, texts):
        cached = cache.get(text)
        assert cached is not None and cached.base is None  # evicting its neighbours frees their batch
        assert np.array_equal(cached, row)


def test_the_cache_holds_at_most_its_configured_memory() -> None:
    """`classifier.embedding_cache_mb` bounds the vectors kept; the least recently used text is dropped first."""
    scorer = classifier_from_settings(ClassifierSettings(threads=1, embedding_cache_mb=0.05)).scorer
    cache = scorer.cache
    per_text = 4 * scorer.encoder.dim
    assert cache.size == int(0.05 * 2**20) // per_text
    texts = [f"caller number {i} says the polls close at ten" for i in range(cache.size + 3)]
    cache.embed(texts)
    assert len(cache) * per_text <= 0.05 * 2**20
    assert cache.get(texts[0]) is None and cache.get(texts[-1]) is not None
