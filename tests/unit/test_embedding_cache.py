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
