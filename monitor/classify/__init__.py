"""The transformer classifier: offline encoder, per-label heads, batched scoring, training and model cards."""
