"""The multi-task head and its models-directory format: numpy scoring, stance shares, manifest checks,
and the scorer's one-forward-per-chunk context reuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.encoder import default_model_dir, weights_sha256
from monitor.classify.encoder import file_sha256
from monitor.classify.multitask import FORMAT, STANCE_KEYS, MultiTaskHead, pair_features
from monitor.classify.stage import classifier_from_settings
from monitor.settings import ClassifierSettings

LABELS = ("claim", "election", "health", "threat", "hate")
ROOT = Path(__file__).resolve().parents[2]


def _head(dim: int = 384, hidden: int = 16, seed: int = 0) -> MultiTaskHead:
    rng = np.random.default_rng(seed)
    return MultiTaskHead(
        labels=LABELS, w0=rng.normal(size=(3 * dim + 1, hidden)).astype(np.float32), b0=np.zeros(hidden, np.float32),
        w_labels=rng.normal(size=(hidden, len(LABELS))).astype(np.float32), b_labels=np.zeros(len(LABELS), np.float32),
        w_stance=rng.normal(size=(hidden, 5)).astype(np.float32), b_stance=np.zeros(5, np.float32),
        platt=np.tile([[0.5, -1.0]], (len(LABELS), 1)), stance_temperature=1.5,
        thresholds=dict.fromkeys(LABELS, 0.5), context_n=2,
    )


def _models_dir(tmp_path: Path, head: MultiTaskHead, encoder_sha: str | None = None) -> Path:
    out = tmp_path / "models"
    (out / "multitask").mkdir(parents=True)
    head.save(out / "multitask" / "head.safetensors")
    enc = default_model_dir()
    manifest = {
        "format": FORMAT, "name": "test-multitask",
        "encoder": {"path": str(enc), "sha256": encoder_sha or weights_sha256(enc), "layers": [-1]},
        "head": {"path": "multitask/head.safetensors", **head.spec()},
        "files": {"multitask/head.safetensors": file_sha256(out / "multitask" / "head.safetensors")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def test_features_are_text_context_product_and_flag():
    e = np.array([[1.0, 2.0]], np.float32)
    c = np.array([[3.0, 0.5]], np.float32)
    assert pair_features(e, c, np.array([True])).tolist() == [[1.0, 2.0, 3.0, 0.5, 3.0, 1.0, 1.0]]


def test_predict_gives_calibrated_labels_and_stance_shares_summing_to_one():
    head = _head()
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(4, 384)).astype(np.float32)
    out = head.predict(emb, np.zeros_like(emb), np.zeros(4, bool))
    assert set(out) == set(LABELS) | set(STANCE_KEYS)
    shares = np.stack([out[k] for k in STANCE_KEYS], axis=1)
    assert np.allclose(shares.sum(axis=1), 1.0)
    lab, _ = head.logits(pair_features(emb, np.zeros_like(emb), np.zeros(4, bool)))
    assert np.allclose(out["claim"], 1 / (1 + np.exp(-(0.5 * lab[:, 0] - 1.0))))


def test_save_and_load_round_trip_through_the_manifest(tmp_path: Path):
    head = _head()
    clf = classifier_from_settings(ClassifierSettings(models_dir=_models_dir(tmp_path, head), threads=1))
    assert clf.info.labels == LABELS + STANCE_KEYS and clf.info.thresholds == dict.fromkeys(LABELS, 0.5)
    texts = ["the polls close at noon", "good evening"]
    scores = clf.score_texts(texts, [["caller, go ahead"], []])
    emb = clf.scorer.encoder.encode(texts + ["caller, go ahead"])
    want = head.predict(emb[:2], np.stack([emb[2], np.zeros(384, np.float32)]), np.array([True, False]))
    for i in range(2):
        for name in LABELS + STANCE_KEYS:
            assert scores[i][name] == pytest.approx(want[name][i], abs=1e-5)
    assert sum(scores[0][k] for k in STANCE_KEYS) == pytest.approx(1.0, abs=1e-5)
    assert clf.score_texts([""]) == [dict.fromkeys(LABELS + STANCE_KEYS, 0.0)]


def test_context_changes_the_score_and_is_encoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clf = classifier_from_settings(ClassifierSettings(models_dir=_models_dir(tmp_path, _head()), threads=1))
    alone = clf.score_texts(["it was rigged"])[0]
    clf.score_texts(["here is the scam message word for word"])
    calls: list[list[str]] = []
    real = clf.scorer.encoder.encode
    monkeypatch.setattr(clf.scorer.encoder, "encode", lambda t, batch_size=64: calls.append(list(t)) or real(t, batch_size))
    framed = clf.score_texts(["it was rigged"], [["here is the scam message word for word"]])[0]
    assert calls == []  # both texts' embeddings are reused from the cache
    assert framed != alone


def test_mismatched_files_and_formats_are_clear_errors(tmp_path: Path):
    models = _models_dir(tmp_path, _head(), encoder_sha="0" * 64)
    with pytest.raises(ValueError, match="trained for encoder sha256 000000000000"):
        classifier_from_settings(ClassifierSettings(models_dir=models, threads=1))
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["files"]["multitask/head.safetensors"] = "f" * 64
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="out of sync"):
        classifier_from_settings(ClassifierSettings(models_dir=models, threads=1))
    (models / "manifest.json").write_text(json.dumps({"format": "something/9"}))
    with pytest.raises(ValueError, match="unknown format 'something/9'"):
        classifier_from_settings(ClassifierSettings(models_dir=models, threads=1))


def test_a_models_dir_of_per_label_heads_without_manifest_still_loads(tmp_path: Path):
    legacy = tmp_path / "old"
    legacy.mkdir()
    (legacy / "heads").symlink_to(ROOT / "models" / "heads")
    clf = classifier_from_settings(ClassifierSettings(models_dir=legacy, threads=1))
    # the five category heads, then the stance head the shipped heads directory carries
    assert clf.info.labels == (*LABELS, "stance_assert") and clf.info.name.endswith("+heads")


CANDIDATE = ROOT / "models" / "candidate"
LINE = "the vote count was faked and the real winner was robbed"


def test_the_committed_candidate_reads_stance_and_the_turn_before():
    clf = classifier_from_settings(ClassifierSettings(models_dir=CANDIDATE, threads=2))
    assert clf.info.labels == LABELS + STANCE_KEYS
    asserted, quoted_by_host, framed, on_air = clf.score_texts(
        [f"i'm telling you, {LINE}", f"a listener sent us a message saying {LINE}, and that is false", LINE, LINE],
        [[], [], ["so here is the exact text of the hoax going round, word for word"],
         ["caller, you're on air, what's on your mind"]])
    assert asserted["election"] >= 0.6 and asserted["stance_assert"] >= 0.8
    assert quoted_by_host["election"] <= 0.3 and quoted_by_host["stance_assert"] <= 0.2
    # the same words: a quote after the host's warning, the caller's own claim on air
    assert framed["stance_quote"] >= 0.7 and framed["election"] <= 0.4
    assert on_air["stance_assert"] >= 0.7 and on_air["election"] >= 0.6
