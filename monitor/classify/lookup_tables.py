"""Word-embedding tables kept out of the ONNX graph, their rows read from disk when a token first needs them.

An encoder's word embedding is most of its graph (English MiniLM: 30,522 × 384 float32, 45 MiB of a 58 MiB
graph; multilingual e5: 120,000 × 384 int8, 44 MiB) but a broadcast's words use a small share of its rows.
Inside the graph ONNX Runtime holds the whole table resident. The export therefore turns each large lookup
table into a graph input and writes its rows to a file of their own (`detach_lookup_tables`); at run time
`LazyTable` maps an anonymous, zero-filled region of the table's size (pages cost memory only once
written, transparent huge pages off so one row does not make 2 MiB resident) and reads a row from the file
the first time a batch's token ids need it. The encoder feeds the whole region: the lookup reads exactly
the rows a file-backed initializer holds, so embeddings are bit-identical (tests/unit/test_lookup_tables.py).
(A memory-mapped file does not do it: the page cache's large folios make megabytes resident per faulted row.)
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np

#: A Gather table with at least this many rows is a vocabulary (positions have 512, token types 2).
MIN_ROWS = 10_000


def detach_lookup_tables(path: Path, min_rows: int = MIN_ROWS) -> list[dict[str, Any]]:
    """Rewrite the graph at `path` in place: every 2-D Gather table of at least `min_rows` rows looked up by a
    graph input becomes a graph input of the same name, its rows written to `<graph stem>.table<k>.bin` beside
    it (C order, little-endian). Returns one entry per table: input, indices (the graph input holding the
    row numbers), file, dtype, shape."""
    import onnx
    from onnx import helper, numpy_helper

    path = Path(path)
    model = onnx.load(str(path))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    inputs = {i.name for i in graph.input}
    detached: dict[str, dict[str, Any]] = {}
    for node in graph.node:
        table = weights.get(node.input[0]) if node.op_type == "Gather" else None
        if (table is None or len(table.dims) != 2 or table.dims[0] < min_rows or node.input[1] not in inputs
                or table.name in detached):
            continue
        rows = numpy_helper.to_array(table)
        file = path.with_name(f"{path.stem}.table{len(detached)}.bin")
        np.ascontiguousarray(rows, dtype=rows.dtype.newbyteorder("<")).tofile(file)
        detached[table.name] = {"input": table.name, "indices": node.input[1], "file": file.name,
                                "dtype": rows.dtype.name, "shape": list(rows.shape)}
    if not detached:
        return []
    kept = [init for init in graph.initializer if init.name not in detached]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    for name in detached:
        graph.input.append(helper.make_tensor_value_info(name, weights[name].data_type, list(weights[name].dims)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return list(detached.values())


class LazyTable:
    """A lookup table whose rows are read from `path` on first use; `rows(ids)` returns the whole table with
    at least those rows loaded (the other rows are zeros, and never read by a lookup of `ids`)."""

    def __init__(self, path: Path, dtype: str, shape: tuple[int, int]) -> None:
        self._fd = -1
        self.path = Path(path)
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.shape = (int(shape[0]), int(shape[1]))
        self.row_bytes = self.shape[1] * self.dtype.itemsize
        size = self.shape[0] * self.row_bytes
        if self.path.stat().st_size != size:
            raise ValueError(f"{self.path}: {self.path.stat().st_size} bytes, expected {size} for {self.shape} {dtype}")
        self._region = mmap.mmap(-1, size)
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            self._region.madvise(mmap.MADV_NOHUGEPAGE)
        self.table = np.frombuffer(self._region, dtype=self.dtype).reshape(self.shape)
        self._loaded = np.zeros(self.shape[0], dtype=bool)
        self._fd = os.open(self.path, os.O_RDONLY)

    @property
    def loaded_rows(self) -> int:
        """How many rows have been read so far."""
        return int(self._loaded.sum())

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The table, with every row `ids` names read from the file (an id outside the table raises IndexError)."""
        wanted = np.unique(ids)
        if wanted.size and (wanted[0] < 0 or wanted[-1] >= self.shape[0]):
            raise IndexError(f"token id out of range for a table of {self.shape[0]} rows")
        for row in wanted[~self._loaded[wanted]].tolist():
            data = os.pread(self._fd, self.row_bytes, row * self.row_bytes)
            if len(data) != self.row_bytes:
                raise OSError(f"{self.path}: short read at row {row}")
            self.table[row] = np.frombuffer(data, dtype=self.dtype)
            self._loaded[row] = True
        return self.table

    def close(self) -> None:
        """Release the file and the region (the table must no longer be fed to a session)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()
