"""The CPU encoder: the exported ONNX graph (int8 per-channel by default) run with ONNX Runtime, no torch.

Same surface as `monitor.classify.encoder.Encoder` (encode, encode_batch, token_lengths, tokenizer, dim,
name, sha256, variant, config, layers, precision, device). It loads an export directory written by
`cct-monitor model export` and refuses to run from one that does not match:

- every file's sha256 must equal the manifest's (a damaged or hand-edited graph is rejected);
- the manifest's source-weights sha256 must equal the configured encoder's weights (`StaleExport`
  otherwise: the encoder changed since the export, run the export again);
- the layers must be those the heads were trained on.

The word embedding is not in the graph (`lookup_tables`): its rows are read from the export's table file
when a batch's tokens first need them, so only the vocabulary the traffic uses is resident.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.encoder import EncoderConfig, PooledEncoder, offline_mode, resolve_model, weights_sha256
from monitor.classify.fast_tokenizer import FastTokenizer
from monitor.classify.encoder import file_sha256
from monitor.classify.lookup_tables import LazyTable
from monitor.classify.onnx_export import FILES, graph_files, read_manifest


class StaleExport(RuntimeError):
    """The ONNX export does not match the configured encoder, the heads' layers or its own manifest."""


def export_command(out_dir: Path, model: str) -> str:
    """The command that (re)builds the export, for error messages."""
    return f"cct-monitor model export --model {model} --output {out_dir}"


class OnnxEncoder(PooledEncoder):
    """L2-normalised mean-pooled embeddings from the exported graph (float32 numpy, one row per text).

    The export is verified at construction. With `lazy`, the tokenizer and the ONNX Runtime session (the
    memory) are created at their first use instead (`load`); `loaded` says whether they are."""

    #: ONNX Runtime's CPU arena keeps the largest batch's buffers; a subclass may trade it for memory.
    memory_arena = True
    #: Free the arena's unused chunks at the end of every run (`memory.enable_memory_arena_shrinkage`): the
    #: next run allocates its buffers again, but nothing of a batch stays resident after it.
    shrink_arena = False

    def __init__(self, config: EncoderConfig, export_dir: Path, precision: str = "int8", lazy: bool = False) -> None:
        self.config = config
        self.export_dir = Path(export_dir)
        fix = self.rebuild_hint()
        try:
            manifest = read_manifest(self.export_dir)
        except FileNotFoundError:
            raise StaleExport(f"no ONNX encoder in {self.export_dir} (no manifest.json); build it with: {fix}") from None
        except (ValueError, json.JSONDecodeError) as exc:
            raise StaleExport(f"{self.export_dir}: unreadable manifest ({exc}); rebuild it with: {fix}") from None
        entry = manifest["files"].get(precision)
        if entry is None:
            raise StaleExport(f"{self.export_dir} has no {precision} graph (has {sorted(manifest['files'])}); {fix}")
        for what in (*graph_files(entry), manifest["tokenizer"]):
            path = self.export_dir / what["file"]
            if not path.is_file() or file_sha256(path) != what["sha256"]:
                raise StaleExport(f"{path}: missing or its sha256 differs from {self.export_dir / 'manifest.json'}; "
                                  f"rebuild it with: {fix}")
        self.sha256, source_name = self.verify_source(manifest, fix)
        self.layers = tuple(manifest["layers"])
        self.num_layers = int(manifest["num_layers"])
        self.dim = int(manifest["dim"])
        self.onnx_sha256 = entry["sha256"]
        self._precision = precision
        self.name = f"{source_name}+onnx-{precision}"
        self.device = "cpu"
        self._inputs = list(manifest["inputs"])
        self._output = manifest["output"]
        self._pad_id = int(manifest["pad_id"])
        self._graph = self.export_dir / entry["file"]
        self._tokenizer_file = self.export_dir / manifest["tokenizer"]["file"]
        self._table_entries = list(entry.get("tables", []))
        self._engine: tuple[FastTokenizer, Any] | None = None
        self._tables: list[tuple[str, str, LazyTable]] = []
        self._run_options: Any = None
        self.check_layers()
        if not lazy:
            self.load()

    @property
    def loaded(self) -> bool:
        """True once the tokenizer and the ONNX Runtime session exist."""
        return self._engine is not None

    def load(self) -> tuple[FastTokenizer, Any]:
        """The tokenizer and the ONNX Runtime session, created at the first call."""
        if self._engine is not None:
            return self._engine
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = self.config.threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = self.memory_arena
        # like OMP_WAIT_POLICY=PASSIVE for torch: idle workers must not spin on the cores the rest of the
        # monitor (decode, rules, sinks, Kafka I/O, often a broker) needs between two encoder calls
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = ort.InferenceSession(str(self._graph), options, providers=["CPUExecutionProvider"])
        self._run_options = ort.RunOptions()
        if self.memory_arena and self.shrink_arena:
            self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._tables = [(t["input"], t["indices"], LazyTable(self.export_dir / t["file"], t["dtype"], t["shape"]))
                        for t in self._table_entries]
        self._engine = (FastTokenizer(self._tokenizer_file, self._pad_id, self._inputs), session)
        return self._engine

    def unload(self) -> None:
        """Drop the tokenizer and the session (their memory); the next use loads them again."""
        self._engine = None
        self._run_options = None
        for _, _, table in self._tables:
            table.close()
        self._tables = []

    @property
    def tokenizer(self) -> FastTokenizer:
        return self.load()[0]

    @property
    def session(self) -> Any:
        """The ONNX Runtime `InferenceSession`."""
        return self.load()[1]

    def rebuild_hint(self) -> str:
        """The command that rebuilds this export, for error messages."""
        return export_command(self.export_dir, self.config.model)

    def verify_source(self, manifest: dict[str, Any], fix: str) -> tuple[str, str]:
        """(source weights sha256, display name); StaleExport unless the configured encoder's weights are the export's."""
        source, source_name = resolve_model(self.config.model, offline_mode(self.config.offline))
        sha = weights_sha256(source)
        if manifest["source"]["weights_sha256"] != sha:
            raise StaleExport(
                f"{self.export_dir} was exported from encoder weights sha256 {manifest['source']['weights_sha256'][:12]}… "
                f"({manifest['source']['name']}), but {self.config.model!r} now has {sha[:12]}…; rebuild it with: {fix}"
            )
        return sha, source_name

    def check_layers(self) -> None:
        """Raise StaleExport unless the graph pools the layers `config.layers` names ((0,) all, -1 the last)."""
        n = self.num_layers
        want = tuple(range(1, n + 1)) if self.config.layers == (0,) else tuple(n if x == -1 else x for x in self.config.layers)
        if want != self.layers:
            raise StaleExport(f"{self.export_dir} pools layers {list(self.layers)} but the heads read layers {list(want)}; "
                              f"rebuild it with: {export_command(self.export_dir, self.config.model)} --layers "
                              f"{','.join(map(str, want))}")

    @property
    def precision(self) -> str:
        """The engine, precision and graph, as recorded in the model's identity."""
        return f"onnx-{self._precision}:{self.onnx_sha256[:16]}"

    @property
    def variant(self) -> str:
        """A key naming encoder + engine/precision/graph + truncation, for embedding caches (a re-export with
        other quantisation settings gets other keys)."""
        layers = "-".join(map(str, self.layers))
        return f"{self.sha256[:16]}-onnx-{self._precision}-{self.onnx_sha256[:12]}-{self.config.max_tokens}-L{layers}"

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Word-piece counts (with special tokens, before truncation)."""
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=True)["input_ids"]]

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed one batch as given (no sorting, no splitting)."""
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.config.max_tokens, padding=True, return_tensors="np")
        feeds: dict[str, Any] = {name: enc[name] for name in self._inputs}
        session = self.session
        for name, indices, table in self._tables:
            feeds[name] = table.rows(feeds[indices])
        return np.asarray(session.run([self._output], feeds, self._run_options)[0], dtype=np.float32)
