"""The ONNX Runtime CPU engine: exported from the packaged encoder, it tokenises and embeds like torch fp32,
refuses a stale or damaged export, keeps torch out of the monitor process, and decides like the reference."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.bench import realistic_chunks
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.classify.last_layer import LastLayerEncoder
from monitor.classify.onnx_export import MANIFEST, SMOOTH_ALPHA, export_encoder, is_current
from monitor.classify.ort_encoder import OnnxEncoder, StaleExport
from monitor.classify.stage import choose_engine, classifier_from_settings
from monitor.settings import ClassifierSettings

ROOT = Path(__file__).resolve().parents[2]
ALL = (1, 2, 3, 4, 5, 6)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx")
    result = export_encoder("default", out, (0,))
    assert not result.skipped
    return out


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return Encoder(EncoderConfig(layers=(0,), threads=2))


@pytest.fixture(scope="module")
def onnx_encoder(export_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(EncoderConfig(layers=(0,), threads=2), export_dir)


def _copy(export_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "onnx"
    shutil.copytree(export_dir, dst)
    return dst


def test_export_records_weights_layers_and_files_and_is_idempotent(export_dir: Path) -> None:
    manifest = json.loads((export_dir / MANIFEST).read_text())
    assert manifest["layers"] == list(ALL) and manifest["dim"] == 384 * 6
    assert manifest["source"]["weights_sha256"] == Encoder(EncoderConfig(layers=(0,))).sha256
    assert set(manifest["files"]) == {"int8"} and len(manifest["files"]["int8"]["sha256"]) == 64
    assert manifest["files"]["int8"]["fp32_nodes"] == ["/model/encoder/layer.0/output/dense/MatMul"]
    # every int8 MatMul but the 5 remaining feed-forward down-projections reads smoothed activations
    assert manifest["smoothing"]["alpha"] == SMOOTH_ALPHA and manifest["smoothing"]["int8_matmuls_smoothed"] == 30
    assert export_encoder("default", export_dir, (0,)).skipped
    assert not is_current(export_dir, manifest["source"]["weights_sha256"], ALL, ("int8",), smooth_alpha=None)


def test_tokenizer_matches_the_hugging_face_tokenizer(onnx_encoder: OnnxEncoder, torch_encoder: Encoder) -> None:
    texts = [*realistic_chunks(50, seed=1), "Ünïcode — naïve café, 12.5 % of voters!", "x " * 300]
    ours, theirs = onnx_encoder.tokenizer, torch_encoder.tokenizer
    for kwargs in ({"add_special_tokens": False, "return_offsets_mapping": True}, {"add_special_tokens": True}):
        a, b = ours(texts, **kwargs), theirs(texts, truncation=False, **kwargs)
        assert a["input_ids"] == b["input_ids"]
        if "offset_mapping" in kwargs:
            assert [list(map(tuple, o)) for o in a["offset_mapping"]] == [list(map(tuple, o)) for o in b["offset_mapping"]]
    a = ours(texts, truncation=True, max_length=128, padding=True, return_tensors="np")
    b = theirs(texts, truncation=True, max_length=128, padding=True, return_tensors="np")
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(a[key], b[key])
    assert onnx_encoder.token_lengths(texts) == torch_encoder.token_lengths(texts)


def test_embeddings_match_torch_fp32(onnx_encoder: OnnxEncoder, torch_encoder: Encoder) -> None:
    texts = realistic_chunks(200, seed=2)
    a, b = torch_encoder.encode(texts, 32), onnx_encoder.encode(texts, 32)
    assert a.shape == b.shape == (200, onnx_encoder.dim)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(1)
    assert cos.min() > 0.998 and cos.mean() > 0.9995, (cos.min(), cos.mean())
    # input order is kept whatever the length sort does inside
    assert np.allclose(onnx_encoder.encode(texts[::-1], 7)[::-1], b, atol=1e-5)


def test_a_texts_embedding_does_not_depend_on_its_batch(onnx_encoder: OnnxEncoder) -> None:
    """Activations are quantised per token, so neighbours and padding never change a chunk's scores."""
    texts = realistic_chunks(40, seed=6)
    alone = np.stack([onnx_encoder.encode_batch([t])[0] for t in texts])
    assert np.abs(onnx_encoder.encode_batch(texts) - alone).max() < 1e-5
    assert np.abs(onnx_encoder.encode(texts, 16) - alone).max() < 1e-5
    assert onnx_encoder.encode([], 8).shape == (0, onnx_encoder.dim)


def test_changed_source_weights_are_refused(export_dir: Path, tmp_path: Path) -> None:
    d = _copy(export_dir, tmp_path)
    manifest = json.loads((d / MANIFEST).read_text())
    manifest["source"]["weights_sha256"] = "0" * 64
    (d / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StaleExport, match="cct-monitor model export"):
        OnnxEncoder(EncoderConfig(layers=(0,)), d)


def test_damaged_graph_is_refused(export_dir: Path, tmp_path: Path) -> None:
    d = _copy(export_dir, tmp_path)
    with open(d / "encoder.int8.onnx", "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(StaleExport, match="sha256 differs"):
        OnnxEncoder(EncoderConfig(layers=(0,)), d)


def test_word_embedding_rows_are_read_when_used_and_a_damaged_table_is_refused(export_dir: Path, tmp_path: Path) -> None:
    (table,) = json.loads((export_dir / MANIFEST).read_text())["files"]["int8"]["tables"]
    assert table["input"] == "model.embeddings.word_embeddings.weight" and table["shape"] == [30522, 384]
    encoder = OnnxEncoder(EncoderConfig(layers=(0,), threads=1), export_dir)
    encoder.encode(["the vote is on tuesday"], 8)
    (_, _, rows), = encoder._tables
    assert 0 < rows.loaded_rows < 20
    d = _copy(export_dir, tmp_path)
    with open(d / table["file"], "r+b") as fh:
        fh.seek(4096)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(StaleExport, match="sha256 differs"):
        OnnxEncoder(EncoderConfig(layers=(0,)), d)


def test_other_layers_than_the_heads_read_are_refused(export_dir: Path) -> None:
    with pytest.raises(StaleExport, match=r"heads read layers \[6\]"):
        OnnxEncoder(EncoderConfig(layers=(-1,)), export_dir)


def test_missing_export_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(StaleExport, match="no ONNX encoder .*cct-monitor model export"):
        OnnxEncoder(EncoderConfig(layers=(0,)), tmp_path)


def test_auto_engine_picks_onnx_on_cpu_only_when_exported(export_dir: Path, tmp_path: Path) -> None:
    assert choose_engine(ClassifierSettings(onnx_dir=export_dir)) == "onnx"
    assert choose_engine(ClassifierSettings(onnx_dir=tmp_path)) == "torch"
    assert choose_engine(ClassifierSettings(onnx_dir=export_dir, device="cuda")) == "torch"
    assert choose_engine(ClassifierSettings(onnx_dir=export_dir, engine="torch")) == "torch"
    with pytest.raises(ValueError, match="runs on CPU"):
        choose_engine(ClassifierSettings(onnx_dir=export_dir, engine="onnx", device="cuda"))


def test_the_monitor_on_onnx_does_not_import_torch_and_encodes_each_chunk_once(export_dir: Path, tmp_path: Path) -> None:
    """Classifier and shipped rules (whose narrative rules match known claims) as the monitor builds them: torch
    and transformers stay out of the process, and the narrative matcher encodes no chunk the classifier has
    already embedded."""
    code = (
        "import sys\n"
        "from prometheus_client import CollectorRegistry\n"
        "from monitor.app import build_classifier\n"
        "from monitor.metrics import Metrics\n"
        "from monitor.rules_engine.stage import engine_from_settings\n"
        "from monitor.rules_engine.testing import rule_test_items\n"
        "from monitor.settings import Settings\n"
        f"settings = Settings(classifier={{'engine': 'onnx', 'onnx_dir': {str(export_dir)!r}, 'threads': 1}})\n"
        "clf = build_classifier(settings)\n"
        "engine = engine_from_settings(settings.rules, Metrics(CollectorRegistry()), clf)\n"
        "view = engine.narratives.encoder\n"
        "items = [it for rs in engine.sets for r in rs.ruleset.rules for t in r.tests for it in rule_test_items(t)][:64]\n"
        "before = view.encoded\n"
        "for item, scores in zip(items, clf.score(items)):\n"
        "    item.scores = scores\n"
        "engine.evaluate(items, clf.info)\n"
        "shared = clf.text_encoder()\n"
        "shared = getattr(shared, 'english', shared)\n"  # routed: English chunks go through the English forward
        "print(clf.info.name, sorted(engine.narratives.indexes), view is shared, view.encoded - before)\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    env = {**os.environ, "CCT_EMBED_CACHE": str(tmp_path / "cache.sqlite")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT, check=True,
                         env=env)
    described, torch_loaded = out.stdout.split("\n")[:2]
    # with the multilingual engine built, the classifier's name also names it (it routes by language): still no torch
    assert described.startswith("all-MiniLM-L6-v2+onnx-int8+heads"), out.stdout + out.stderr
    assert described.endswith(" ['elections', 'health'] True 0"), out.stdout + out.stderr
    assert torch_loaded == "False False", out.stdout + out.stderr


def test_last_layer_block_is_the_sentence_embedding(onnx_encoder: OnnxEncoder, torch_encoder: Encoder) -> None:
    """The narrative index reads the last layer's block of the classifier's embedding: cut from torch's all-layer
    embedding it is torch's last-layer sentence embedding, and the CPU engine's block stays close to it."""
    texts = realistic_chunks(24, seed=11)
    last = Encoder(EncoderConfig(threads=2)).encode(texts)
    from_all = torch_encoder.last_layer(torch_encoder.encode(texts))
    np.testing.assert_allclose(from_all, last, atol=1e-5)
    view = LastLayerEncoder(onnx_encoder)
    cos = np.sum(view.encode(texts) * last, axis=1)
    assert view.dim == 384 and cos.min() > 0.98
    assert view.variant.endswith(">L6") and onnx_encoder.onnx_sha256[:12] in view.variant
    with pytest.raises(ValueError, match="not the last one"):
        LastLayerEncoder(Encoder(EncoderConfig(layers=(1, 2), threads=1)))


def test_onnx_engine_decides_like_torch_fp32_on_rule_tests_and_sample(export_dir: Path) -> None:
    from monitor.classify.parity import compare
    from monitor.rules_engine.loader import load_or_raise

    ref = classifier_from_settings(ClassifierSettings(engine="torch", threads=2))
    cand = classifier_from_settings(ClassifierSettings(engine="onnx", onnx_dir=export_dir, threads=2))
    assert cand.info.sha256 != ref.info.sha256 and "onnx-int8" in cand.metrics_info()["precision"]
    rules = [ROOT / "rules"]
    report = compare(ref, cand, realistic_chunks(100, seed=4), load_or_raise(rules, ref.info.labels), rules)
    assert report.rule_tests >= 40
    assert report.rule_test_diffs == []
    assert report.sample_alerts["reference"] > 0 and report.sample_alert_diffs == []
    assert set(report.sample_alerts) == {"reference", "candidate_batch_1", "candidate_batch_32", "candidate_batch_256"}
    assert report.cosine["min"] > 0.99


def test_export_command_reports_an_up_to_date_export(export_dir: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, ["model", "export", "--output", str(export_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"up to date: {export_dir} (all-MiniLM-L6-v2")
    assert "layers [1, 2, 3, 4, 5, 6]" in result.output


def test_export_command_rejects_a_directory_without_a_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, ["model", "export", "--model", str(tmp_path), "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "has no config.json" in result.output
