"""The export's int8 rewrite on a one-MatMul graph: per-token results, and activation smoothing that makes an
input with outlier channels quantise closer to fp32; the calibration texts it is measured on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from monitor.classify.onnx_export import activation_peaks, calibration_texts, quantize_per_token
from monitor.eval.suite import DEFAULT_SUITE, load_suite

RNG = np.random.default_rng(3)
K, N = 64, 32


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """y = x · W with x [batch, tokens, K] and a constant W [K, N]."""
    w = RNG.normal(0, 0.05, (K, N)).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", K])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "t", N])
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y], [numpy_helper.from_array(w, "w")]),
                              opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path_factory.mktemp("q") / "fp32.onnx"
    onnx.save(model, str(path))
    return path


def _inputs(batch: int = 4, tokens: int = 9) -> np.ndarray:
    """Activations like a LayerNorm output: most channels ~N(0, 1), two channels 40× larger."""
    x = RNG.normal(0, 1, (batch, tokens, K)).astype(np.float32)
    x[..., [5, 17]] *= 40
    return x


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]


def _rel_error(path: Path, ref_path: Path, x: np.ndarray) -> float:
    ref = _run(ref_path, x)
    return float(np.abs(_run(path, x) - ref).mean() / np.abs(ref).mean())


def test_int8_matmul_is_per_token(graph: Path, tmp_path: Path) -> None:
    q = tmp_path / "int8.onnx"
    assert quantize_per_token(graph, q, exclude=set()) == 1
    x = _inputs()
    together = _run(q, x)
    alone = np.concatenate([_run(q, x[i : i + 1, t : t + 1]).reshape(1, 1, N) for i in range(4) for t in range(9)])
    assert np.abs(together.reshape(-1, N) - alone.reshape(-1, N)).max() < 1e-5
    assert _rel_error(q, graph, x) < 0.05


def test_smoothing_takes_outlier_channels_into_the_weights(graph: Path, tmp_path: Path) -> None:
    calib, measured = _inputs(batch=8), _inputs()
    peaks = activation_peaks(graph, [{"x": calib, "attention_mask": np.ones(calib.shape[:2], np.int64)}], ["x"])
    assert peaks["x"].shape == (K,) and peaks["x"][5] > 10 * np.median(peaks["x"])
    plain, smoothed = tmp_path / "plain.onnx", tmp_path / "smoothed.onnx"
    quantize_per_token(graph, plain, exclude=set())
    quantize_per_token(graph, smoothed, exclude=set(), smooth={"mm": peaks["x"]}, alpha=0.7)
    assert _rel_error(smoothed, graph, measured) < 0.5 * _rel_error(plain, graph, measured)


def test_an_excluded_matmul_stays_fp32(graph: Path, tmp_path: Path) -> None:
    q = tmp_path / "kept.onnx"
    assert quantize_per_token(graph, q, exclude={"mm"}) == 0
    x = _inputs()
    assert np.allclose(_run(q, x), _run(graph, x), atol=1e-5)


def test_calibration_texts_are_bundled_training_text_never_suite_cases() -> None:
    texts = calibration_texts()
    assert len(texts) > 1000 and len(set(texts)) == len(texts)
    limited = calibration_texts(100)
    assert len(limited) == 100 and set(limited) <= set(texts)
    suite = {case.text for case in load_suite(DEFAULT_SUITE)}
    assert not suite & set(texts)


def test_an_export_without_its_calibration_texts_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.classify.onnx_export as ox

    monkeypatch.setattr(ox, "CALIBRATION_DIR", tmp_path)
    with pytest.raises(ValueError, match="no calibration texts"):
        ox.calibration_texts()
