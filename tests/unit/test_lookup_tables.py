"""Lookup tables out of the graph: a detached vocabulary table, fed from `LazyTable`, gives the graph's own
results bit for bit, reads only the rows the ids name, and keeps small tables (positions) in the graph."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from monitor.classify.lookup_tables import LazyTable, detach_lookup_tables

RNG = np.random.default_rng(11)
VOCAB, DIM, POSITIONS = 5000, 24, 16


def _graph(path: Path, dtype: type) -> None:
    """y = Cast(Gather(words, ids)) · s + Gather(positions, pos): a vocabulary table and a small one."""
    words = (RNG.normal(0, 1, (VOCAB, DIM)) * (40 if dtype is np.int8 else 1)).astype(dtype)
    positions = RNG.normal(0, 1, (POSITIONS, DIM)).astype(np.float32)
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "t"])
    pos = helper.make_tensor_value_info("pos", TensorProto.INT64, ["b", "t"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "t", DIM])
    nodes = [helper.make_node("Gather", ["words", "ids"], ["w"]),
             helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["wf", "scale"], ["ws"]),
             helper.make_node("Gather", ["positions", "pos"], ["p"]),
             helper.make_node("Add", ["ws", "p"], ["y"])]
    inits = [numpy_helper.from_array(words, "words"), numpy_helper.from_array(positions, "positions"),
             numpy_helper.from_array(np.float32(0.03), "scale")]
    model = helper.make_model(helper.make_graph(nodes, "g", [ids, pos], [y], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))


def _run(path: Path, feeds: dict[str, np.ndarray]) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y"], feeds)[0]


@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_detached_table_gives_the_graphs_results_and_reads_only_the_rows_used(tmp_path: Path, dtype: type) -> None:
    original = tmp_path / "g.onnx"
    _graph(original, dtype)
    detached = tmp_path / "d" / "g.onnx"
    detached.parent.mkdir()
    shutil.copyfile(original, detached)
    entries = detach_lookup_tables(detached, min_rows=1000)
    assert entries == [{"input": "words", "indices": "ids", "file": "g.table0.bin", "dtype": np.dtype(dtype).name,
                        "shape": [VOCAB, DIM]}]
    graph = onnx.load(str(detached))
    assert [i.name for i in graph.graph.initializer] == ["positions", "scale"]
    assert [i.name for i in graph.graph.input] == ["ids", "pos", "words"]

    table = LazyTable(detached.parent / "g.table0.bin", entries[0]["dtype"], entries[0]["shape"])
    session = ort.InferenceSession(str(detached), providers=["CPUExecutionProvider"])
    seen: set[int] = set()
    for batch in range(3):
        ids = RNG.integers(0, VOCAB, (4, 7))
        pos = np.tile(np.arange(7), (4, 1))
        seen |= set(ids.ravel().tolist())
        got = session.run(["y"], {"ids": ids, "pos": pos, "words": table.rows(ids)})[0]
        assert np.array_equal(got, _run(original, {"ids": ids, "pos": pos}))
    assert table.loaded_rows == len(seen)
    untouched = sorted(set(range(VOCAB)) - seen)[:50]
    assert not table.table[untouched].any()


def test_small_tables_and_tables_not_indexed_by_an_input_stay_in_the_graph(tmp_path: Path) -> None:
    path = tmp_path / "g.onnx"
    _graph(path, np.float32)
    assert detach_lookup_tables(path, min_rows=VOCAB + 1) == []
    assert {i.name for i in onnx.load(str(path)).graph.initializer} == {"words", "positions", "scale"}


def test_lazy_table_refuses_a_file_of_the_wrong_size_and_ids_outside_it(tmp_path: Path) -> None:
    file = tmp_path / "t.bin"
    np.arange(40, dtype=np.float32).tofile(file)
    with pytest.raises(ValueError, match="expected"):
        LazyTable(file, "float32", (11, 4))
    table = LazyTable(file, "float32", (10, 4))
    assert np.array_equal(table.rows(np.array([[3, 3, 9]]))[[3, 9]], np.array([[12, 13, 14, 15], [36, 37, 38, 39]]))
    with pytest.raises(IndexError):
        table.rows(np.array([10]))
