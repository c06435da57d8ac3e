"""The shipped classifier: the real default encoder loads offline, scores are deterministic, empty text
scores zero without the model, long text is split, and the heads rank the project's cases sensibly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from monitor.classify.encoder import Encoder, EncoderConfig, ModelNotFound
from monitor.classify.labels import DEFAULT_LABELS
from monitor.classify.scorer import split_long
from monitor.classify.stage import TransformerClassifier, classifier_from_settings
from monitor.contracts import TranscriptChunk
from monitor.settings import ClassifierSettings
from monitor.stages import Classifier, SourceRecord, WorkItem

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "fixtures" / "classifier_cases.jsonl"


@pytest.fixture(scope="module")
def classifier(request: pytest.FixtureRequest) -> Iterator[TransformerClassifier]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    try:
        yield classifier_from_settings(ClassifierSettings(heads_dir=ROOT / "models" / "heads", threads=2))
    finally:
        mp.undo()


def _item(text: str, seq: int = 0, context: list[str] | None = None) -> WorkItem:
    chunk = TranscriptChunk(broadcast_id="b1", seq=seq, text=text)
    ctx = [TranscriptChunk(broadcast_id="b1", seq=i, text=t) for i, t in enumerate(context or [])]
    return WorkItem(chunk, SourceRecord("t", 0, seq, b"b1", b"{}"), ctx)


def test_default_model_loads_offline_and_identifies_itself(classifier: TransformerClassifier) -> None:
    assert isinstance(classifier, Classifier)
    info = classifier.info
    assert info.labels == DEFAULT_LABELS + ("stance_assert",), "the shipped stance head is loaded after the labels"
    assert re.fullmatch(r"[0-9a-f]{64}", info.sha256)
    assert info.name.startswith("all-MiniLM-L6-v2")
    assert set(info.thresholds) == set(info.labels) and all(0 < t < 1 for t in info.thresholds.values())
    metrics = classifier.metrics_info()
    assert metrics["sha256"] == info.sha256 and all(isinstance(v, str) for v in metrics.values())


def test_scores_are_deterministic_probabilities(classifier: TransformerClassifier) -> None:
    items = [_item("the unemployment rate doubled last year", 1, ["so let's talk about jobs"]),
             _item("good evening and welcome to the show", 2)]
    first = classifier.score(items)
    again = classifier_from_settings(ClassifierSettings(heads_dir=ROOT / "models" / "heads", threads=2)).score(items)
    assert first == again
    for scores in first:
        assert set(scores) == set(classifier.info.labels)
        assert all(0.0 <= p <= 1.0 for p in scores.values())


def test_empty_text_scores_zero_without_calling_the_model(classifier: TransformerClassifier,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("the encoder must not run for empty text")

    monkeypatch.setattr(classifier.scorer.encoder, "encode", boom)
    assert classifier.score([_item(""), _item("   \n")]) == [dict.fromkeys(classifier.info.labels, 0.0)] * 2


def test_long_text_is_split_so_a_late_threat_still_counts(classifier: TransformerClassifier) -> None:
    filler = "we talked about the weather and the traffic on the ring road this morning. " * 20
    threat = "and i will find that judge at home tonight and put a bullet in him."
    enc = classifier.scorer.encoder
    windows = split_long(enc, filler + threat)
    assert len(windows) > 1 and all(len(enc.tokenizer(w)["input_ids"]) <= enc.config.max_tokens for w in windows)
    assert threat in windows[-1]
    long_score = classifier.score_texts([filler + threat])[0]["threat"]
    assert long_score >= classifier.score_texts([filler])[0]["threat"] + 0.3


def test_missing_model_is_a_clear_error_naming_what_was_looked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelNotFound, match="no-such-org/no-such-model.*offline"):
        Encoder(EncoderConfig(model="no-such-org/no-such-model"))
    with pytest.raises(ModelNotFound, match=str(tmp_path / "nothing")):
        Encoder(EncoderConfig(model=str(tmp_path / "nothing")))


def test_embeddings_are_unit_length(classifier: TransformerClassifier) -> None:
    vecs = classifier.scorer.encoder.encode(["a short line", "a somewhat longer line of transcript text"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


# ROC-AUC floors of violating cases against the same label's hard negatives. `health` is lower on
# purpose: a sentence that quotes a false health claim to debunk it still reads as health
# misinformation to a sentence-embedding head; that is the known weak spot (see models/cards/health.md).
AUC_FLOORS = {"claim": 0.8, "election": 0.8, "health": 0.7, "threat": 0.8, "hate": 0.8}


def test_violating_cases_outrank_hard_negatives_for_every_label(classifier: TransformerClassifier) -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores = classifier.score_texts([c["text"] for c in cases], [c.get("context", []) for c in cases])
    for label in DEFAULT_LABELS:
        idx = [i for i, c in enumerate(cases) if c["label"] == label]
        y = [int(cases[i]["expect"] == "positive") for i in idx]
        p = [scores[i][label] for i in idx]
        assert 0 < sum(y) < len(y)
        auc = roc_auc_score(y, p)
        assert auc >= AUC_FLOORS[label], f"{label}: ROC-AUC {auc:.3f} of violating cases vs hard negatives"
        others = [scores[i][label] for i, c in enumerate(cases) if c["label"] != label]
        positives = [q for q, t in zip(p, y) if t]
        assert np.mean(positives) > np.mean(others) + 0.3, f"{label}: violating cases barely outscore other labels' cases"


def test_model_info_is_exported_for_prometheus(classifier: TransformerClassifier) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from monitor.classify.stage import export_model_info

    registry = CollectorRegistry()
    export_model_info(classifier, registry)
    text = generate_latest(registry).decode()
    assert "cct_model_info{" in text and f'sha256="{classifier.info.sha256}"' in text


def test_the_stance_head_scores_a_quoted_or_denied_claim_below_the_same_claim_asserted(
        classifier: TransformerClassifier) -> None:
    asserted = ["garlic in your socks overnight pulls the flu right out of you, trust me",
                "our postal votes get binned at the depot, so turn up in person instead"]
    framed = ["a viewer sent us a post saying garlic in your socks pulls the flu out of you; there is nothing to it",
              "we were asked about the rumour that postal votes get binned at the depot, and the electoral office says no"]
    stance = [s["stance_assert"] for s in classifier.score([_item(t, i) for i, t in enumerate(asserted + framed)])]
    assert min(stance[:2]) > 0.5 > max(stance[2:]), stance

