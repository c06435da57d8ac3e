"""Training/serving parity of the fine-tuning pipeline: the top layers run over cached lower-layer states
give the embedding the serving encoder computes in one forward, and the held-out metrics are per source."""

from __future__ import annotations

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from monitor.classify import finetune
from monitor.classify.encoder import Encoder, EncoderConfig, default_model_dir
from monitor.classify.trainset import TrainRow

TEXTS = ["the polls close at noon on sunday", "good evening and welcome to the show, tonight we talk about housing",
         "no"]


def test_top_layers_over_cached_states_match_the_serving_encoder():
    torch.set_num_threads(1)
    path = default_model_dir()
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    texts = finetune.Texts(TEXTS, AutoTokenizer.from_pretrained(path, local_files_only=True))
    finetune.frozen_pass(model, texts, freeze=4)
    top = finetune.Top(model.encoder.layer[4:], 384, 8, 5)
    trained_view = finetune.embed_all(top, texts)
    served = Encoder(EncoderConfig(threads=1)).encode(TEXTS)
    assert np.allclose((trained_view * served).sum(axis=1), 1.0, atol=1e-5)
    # every layer's pooled embedding is kept for the per-label heads; the last one is the sentence embedding
    assert np.allclose(texts.frozen[:, -1, :], served, atol=1e-5)


def test_measure_reports_each_source_at_the_models_threshold():
    rows = [TrainRow(f"t{i}", (-1, y, -1, -1, -1), -1, (), f"g{i}", src, "test")
            for i, (y, src) in enumerate([(1, "a"), (0, "a"), (1, "b"), (0, "b"), (0, "b")])]
    p = np.array([0.9, 0.2, 0.4, 0.6, 0.1])
    zeros = np.zeros(5)
    scores = {"m": {"claim": zeros, "election": p, "health": zeros, "threat": zeros, "hate": zeros}}
    out = finetune.measure(rows, scores, {"m": dict.fromkeys(finetune.TASKS, 0.5)})
    election = out["m"]["election"]
    assert election["all"]["n"] == 5 and "claim" not in out["m"]
    assert election["by_source"]["a"]["recall"] == 1.0 and election["by_source"]["b"]["recall"] == 0.0
    assert election["by_source"]["b"]["fpr"] == 0.5 and election["by_source"]["a"]["roc_auc"] == 1.0
