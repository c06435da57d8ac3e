"""Export a Hugging Face encoder to ONNX with the monitor's pooling in the graph, then quantise it int8.

The graph takes the tokenizer's arrays (input_ids, attention_mask, token_type_ids when the model reads
them) and returns the embedding `monitor.classify.encoder.Encoder` computes: each configured layer's
hidden states mean-pooled over the attention mask and L2-normalised, concatenated and scaled by
1/sqrt(#layers). It is then quantised int8 by `quantize_per_token`: every MatMul with a constant weight
becomes an integer MatMul with weights quantised per output channel and activations quantised per token
at run time (symmetric; the activations' outlier channels smoothed into the weights first, calibrated on
bundled training text), so a text's embedding depends on that text alone, never on the other texts of
its batch or their padding (ONNX Runtime's own dynamic quantisation uses one activation scale per batch:
the same chunk scored up to 0.11 apart depending on its neighbours, and a rule test flipped).

The output directory holds the int8 graph (optionally the fp32 one), the source's `tokenizer.json` and
`manifest.json` with the sha256 of the source weights, of every file written, the layers and the versions
used. `ort_encoder.OnnxEncoder` checks all of them at load. Needs torch, transformers and onnx (install
time only; the monitor process needs onnxruntime and tokenizers).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.classify.encoder import ModelNotFound, file_sha256, offline_mode, resolve_model, weights_sha256
from monitor.classify.lookup_tables import detach_lookup_tables

#: /3: the word embedding is a graph input whose rows live in a file of their own (`lookup_tables`).
FORMAT = "cct-onnx-encoder/3"
MANIFEST = "manifest.json"
TOKENIZER = "tokenizer.json"
FILES = {"int8": "encoder.int8.onnx", "fp32": "encoder.fp32.onnx"}
OUTPUT = "embedding"
OPSET = 17
#: The first layer's feed-forward down-projection reads GELU outputs with large outliers; kept fp32 (1/18
#: of the encoder's matrix work) it cuts the largest head-score change vs torch fp32 on workload texts
#: from 0.31 to 0.09 (`cct-monitor model verify`; every rule test decides the same either way).
FP32_FFN_LAYERS = 1
#: Activation smoothing (SmoothQuant): before an int8 MatMul, each input channel j is divided by
#: s_j = peak|x_j|^α / peak|W_j|^(1−α) and the weight's row j multiplied by it, so the few outlier channels of
#: the LayerNorm outputs no longer set every token's scale alone. Peaks come from the fp32 graph on the
#: bundled spoken training texts. Not applied to the feed-forward down-projections (GELU outputs: smoothing
#: moved their outliers into the weights and lost more than it gained). On public train sentences it took the
#: mean 1 − cosine vs fp32 from 9.6e-4 to 2.9e-4 (`python scripts/quant_sensitivity.py`, docs/engine.md).
SMOOTH_ALPHA = 0.7
#: GELU(x) ≥ −0.1700: a down-projection's input plus this is never negative, so it is quantised per token over
#: [0, max] with all 256 levels instead of [−max, max] (twice the resolution), c·ΣW subtracted after the product.
GELU_SHIFT = 0.17
CALIBRATION_DIR = Path(__file__).resolve().parents[1] / "data" / "spoken"
#: At most this many calibration texts (evenly spaced over `calibration_texts()`).
CALIBRATION_TEXTS = 1024


@dataclass(frozen=True)
class ExportResult:
    """What `export_encoder` did."""

    out_dir: Path
    manifest: dict[str, Any]
    skipped: bool


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of an export directory; FileNotFoundError / ValueError when missing or not one."""
    path = Path(out_dir) / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {FORMAT!r}")
    return data


def is_current(out_dir: Path, source_sha: str, layers: tuple[int, ...], precisions: tuple[str, ...],
               fp32_ffn_layers: int = 1, smooth_alpha: float | None = None) -> bool:
    """True when `out_dir` already holds an export of these weights, layers, precisions and quantisation, files intact."""
    try:
        manifest = read_manifest(out_dir)
    except (FileNotFoundError, ValueError, json.JSONDecodeError):
        return False
    if manifest["source"]["weights_sha256"] != source_sha or tuple(manifest["layers"]) != layers:
        return False
    if manifest.get("fp32_ffn_layers") != fp32_ffn_layers or manifest.get("exported_with", {}).get("opset") != OPSET:
        return False
    smoothing = manifest.get("smoothing", {})
    if smoothing.get("alpha") != smooth_alpha or (smooth_alpha is not None and smoothing.get("down_projection_shift") != GELU_SHIFT):
        return False
    files = manifest["files"]
    if any(p not in files for p in precisions):
        return False
    return files_intact(out_dir, manifest)


def graph_files(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The file entries (`file`, `sha256`) of one exported graph: the graph and its detached lookup tables."""
    return [entry, *entry.get("tables", [])]


def files_intact(out_dir: Path, manifest: dict[str, Any]) -> bool:
    """True when every graph, lookup table and the tokenizer a manifest lists is in `out_dir` with its sha256."""
    entries = [e for entry in manifest["files"].values() for e in graph_files(entry)] + [manifest["tokenizer"]]
    return all((out_dir / e["file"]).is_file() and file_sha256(out_dir / e["file"]) == e["sha256"] for e in entries)


def ffn_down_projections(graph_path: Path, intermediate: int, hidden: int) -> list[str]:
    """The MatMul nodes of the feed-forward down-projections (constant weight intermediate × hidden), in layer order."""
    import onnx

    graph = onnx.load(str(graph_path)).graph
    shapes = {init.name: list(init.dims) for init in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "MatMul" and shapes.get(n.input[1]) == [intermediate, hidden]]


def calibration_texts(limit: int | None = None) -> list[str]:
    """The English texts of the bundled spoken training sets (`monitor/data/spoken`, not the multilingual
    ones), distinct, in file order (at most `limit`, evenly spaced): what the export measures activation
    ranges on (never a test split)."""
    texts: list[str] = []
    for path in sorted(CALIBRATION_DIR.glob("*.jsonl")):
        if "multilingual" in path.name:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    texts = list(dict.fromkeys(texts))
    if not texts:
        raise ValueError(f"no calibration texts in {CALIBRATION_DIR} (the package's spoken training sets are missing)")
    if limit is None or len(texts) <= limit:
        return texts
    return [texts[i * len(texts) // limit] for i in range(limit)]


def activation_peaks(graph_path: Path, feeds: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Per last-axis channel, the max |value| of each named tensor of the graph over the real tokens of every
    batch in `feeds` (its `attention_mask` says which; run on ONNX Runtime with those tensors as outputs)."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(graph_path))
    have = {o.name for o in model.graph.output}
    model.graph.output.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None)
                              for n in names if n not in have)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1  # the same sums whatever the host's cores
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in session.get_inputs()]
    peaks: dict[str, Any] = {}
    for feed in feeds:
        mask = feed["attention_mask"].astype(bool)
        for name, value in zip(names, session.run(list(names), {k: feed[k] for k in inputs}), strict=True):
            m = np.abs(value[mask]).max(axis=0)
            peaks[name] = np.maximum(peaks[name], m) if name in peaks else m
    return peaks


def smoothing_peaks(graph_path: Path, tokenizer: Any, input_names: Sequence[str], texts: Sequence[str],
                    exclude: set[str], batch: int = 32) -> dict[str, Any]:
    """{MatMul name: per-input-channel peak |activation| on `texts`} for every MatMul with a constant weight
    not in `exclude`, measured on the fp32 graph (texts length-sorted into batches, truncated at 128 tokens)."""
    import onnx

    graph = onnx.load(str(graph_path), load_external_data=False).graph
    consts = {init.name for init in graph.initializer}
    reads = {n.name: n.input[0] for n in graph.node if n.op_type == "MatMul" and n.input[1] in consts and n.name not in exclude}
    ordered = sorted(texts, key=len)
    feeds = []
    for start in range(0, len(ordered), batch):
        enc = tokenizer(ordered[start : start + batch], padding=True, truncation=True, max_length=128, return_tensors="np")
        feeds.append({n: enc[n] for n in input_names})
    peaks = activation_peaks(graph_path, feeds, sorted(set(reads.values())))
    return {name: peaks[tensor] for name, tensor in reads.items()}


def quantize_per_token(src: Path, dst: Path, exclude: set[str], smooth: dict[str, Any] | None = None,
                       alpha: float = 0.5, shift: dict[str, float] | None = None) -> int:
    """Rewrite every MatMul with a constant weight (except `exclude`) as an int8 MatMul; returns how many.

    Weights: int8, symmetric, one scale per output channel. Activations: flattened to one row per token
    and quantised at run time with one symmetric scale per row (`QuantizeLinear` along axis 0, uint8
    around a fixed zero point of 128), so the integer product is exact and each token's result depends
    on that token alone. The int32 product is scaled per channel, then per token, and reshaped back.
    (Scaling per token first would let ONNX Runtime fuse MatMulInteger → Cast → Mul into
    MatMulIntegerToFloat, which assumes a per-tensor activation scale and gives wrong results.)
    `smooth` maps a MatMul to its per-input-channel activation peaks: that node's input is divided by
    s = peak^alpha / weight-row-peak^(1-alpha) (a constant Mul) and the weight's rows multiplied by s before
    quantisation (exact in real arithmetic; see SMOOTH_ALPHA). `shift` maps a MatMul to a constant c with
    input + c ≥ 0 (see GELU_SHIFT): its tokens are quantised over [0, max] (zero point 0) and c·ΣW subtracted.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    consts = {"q_zp": np.array(128, dtype=np.uint8), "q_127": np.array(127.0, dtype=np.float32),
              "q_zp0": np.array(0, dtype=np.uint8), "q_255": np.array(255.0, dtype=np.float32),
              "q_eps": np.array(1e-8, dtype=np.float32), "q_last": np.array([-1], dtype=np.int64)}
    added = [numpy_helper.from_array(v, k) for k, v in consts.items()]
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights or node.name in exclude:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
        a = node.input[0]
        p = f"q{count}"
        if smooth and node.name in smooth:
            s = np.maximum(smooth[node.name], 1e-5) ** alpha / np.maximum(np.abs(w).max(axis=1), 1e-5) ** (1 - alpha)
            # on a grid of 1/8 octave, so last-bit differences in the calibration run (another CPU's
            # kernels) do not change the graph
            s = np.exp2(np.round(np.log2(np.clip(s, 1e-2, 1e2)) * 8) / 8).astype(np.float32)
            w = w * s[:, None]
            added.append(numpy_helper.from_array((1.0 / s).astype(np.float32), f"{p}_inv_s"))
            nodes.append(helper.make_node("Mul", [a, f"{p}_inv_s"], [f"{p}_sm"]))
            a = f"{p}_sm"
        w_scale = (np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0).astype(np.float32)
        wq = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        added += [numpy_helper.from_array(wq, f"{p}_w"), numpy_helper.from_array(w_scale, f"{p}_ws"),
                  numpy_helper.from_array(np.array([-1, w.shape[0]], dtype=np.int64), f"{p}_rows")]
        lead = [helper.make_node("Shape", [a], [f"{p}_lead"], end=-1)]
        if shift and node.name in shift:
            # x + c ≥ 0: quantised over [0, max] with all 256 levels (zero point 0); the constant c·ΣW taken off after
            c = float(shift[node.name])
            added += [numpy_helper.from_array(np.array(c, dtype=np.float32), f"{p}_c"),
                      numpy_helper.from_array((c * wq.astype(np.float32).sum(axis=0) * w_scale).astype(np.float32), f"{p}_cw")]
            a_zp, levels = "q_zp0", "q_255"
            lead += [helper.make_node("Add", [a, f"{p}_c"], [f"{p}_sh"]),
                     helper.make_node("Reshape", [f"{p}_sh", f"{p}_rows"], [f"{p}_a"]),
                     helper.make_node("ReduceMax", [f"{p}_a"], [f"{p}_max"], axes=[1], keepdims=0)]
            tail = [helper.make_node("Mul", [f"{p}_yw", f"{p}_as1"], [f"{p}_y0"]),
                    helper.make_node("Sub", [f"{p}_y0", f"{p}_cw"], [f"{p}_y"])]
        else:
            a_zp, levels = "q_zp", "q_127"
            lead += [helper.make_node("Reshape", [a, f"{p}_rows"], [f"{p}_a"]),
                     helper.make_node("Abs", [f"{p}_a"], [f"{p}_abs"]),
                     helper.make_node("ReduceMax", [f"{p}_abs"], [f"{p}_max"], axes=[1], keepdims=0)]
            tail = [helper.make_node("Mul", [f"{p}_yw", f"{p}_as1"], [f"{p}_y"])]
        nodes += [
            *lead,
            helper.make_node("Max", [f"{p}_max", "q_eps"], [f"{p}_max1"]),
            helper.make_node("Div", [f"{p}_max1", levels], [f"{p}_as"]),
            helper.make_node("Shape", [f"{p}_as"], [f"{p}_m"]),
            helper.make_node("Expand", [a_zp, f"{p}_m"], [f"{p}_zp"]),
            helper.make_node("QuantizeLinear", [f"{p}_a", f"{p}_as", f"{p}_zp"], [f"{p}_aq"], axis=0),
            helper.make_node("MatMulInteger", [f"{p}_aq", f"{p}_w", a_zp], [f"{p}_y32"], name=f"{node.name}_int8"),
            helper.make_node("Cast", [f"{p}_y32"], [f"{p}_yf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}_yf", f"{p}_ws"], [f"{p}_yw"]),
            helper.make_node("Unsqueeze", [f"{p}_as", "q_last"], [f"{p}_as1"]),
            *tail,
            helper.make_node("Concat", [f"{p}_lead", "q_last"], [f"{p}_shape"], axis=0),
            helper.make_node("Reshape", [f"{p}_y", f"{p}_shape"], [node.output[0]]),
        ]
        count += 1
    _save_rewritten(model, nodes, added, dst)
    return count


def quantize_embedding_tables(path: Path, min_rows: int) -> int:
    """Store every Gather table of at least `min_rows` rows (the word embedding) as int8 with one symmetric
    scale per row, dequantised after the lookup (Gather int8 rows and their scales, Cast, Mul); in place.
    Each looked-up row is that row alone, so a text's embedding still depends on that text alone. Returns
    the rows quantised."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, added, rows = [], [], 0
    for node in graph.node:
        table = weights.get(node.input[0]) if node.op_type == "Gather" else None
        if table is None or len(table.dims) != 2 or table.dims[0] < min_rows:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(table).astype(np.float32)
        scale = (np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0).astype(np.float32)
        p = f"qe{rows}"
        added += [numpy_helper.from_array(np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8), f"{p}_w"),
                  numpy_helper.from_array(scale[:, None], f"{p}_s")]
        nodes += [helper.make_node("Gather", [f"{p}_w", node.input[1]], [f"{p}_q"], name=f"{node.name}_int8"),
                  helper.make_node("Gather", [f"{p}_s", node.input[1]], [f"{p}_rs"]),
                  helper.make_node("Cast", [f"{p}_q"], [f"{p}_f"], to=TensorProto.FLOAT),
                  helper.make_node("Mul", [f"{p}_f", f"{p}_rs"], [node.output[0]])]
        rows += int(table.dims[0])
    _save_rewritten(model, nodes, added, path)
    return rows


def _save_rewritten(model: Any, nodes: list[Any], added: list[Any], dst: Path) -> None:
    """Replace the graph's nodes with `nodes`, keep the initializers (old and `added`) they read, check, save."""
    import onnx

    graph = model.graph
    used = {name for n in nodes for name in n.input}
    kept = [init for init in [*graph.initializer, *added] if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def _pooled_module(model: Any, layers: tuple[int, ...], input_names: list[str]) -> Any:
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(input_names, inputs))
            out = self.model(**kwargs, output_hidden_states=True)
            mask = kwargs["attention_mask"].unsqueeze(-1).to(out.hidden_states[0].dtype)
            denom = mask.sum(1).clamp(min=1e-9)
            pooled = [torch.nn.functional.normalize((out.hidden_states[i] * mask).sum(1) / denom, p=2, dim=1) for i in layers]
            return torch.cat(pooled, dim=1) / len(pooled) ** 0.5

    return Pooled().eval()


def export_encoder(
    model: str, out_dir: Path, layers: tuple[int, ...], offline: bool = True, keep_fp32: bool = False,
    force: bool = False, fp32_ffn_layers: int = FP32_FFN_LAYERS, int8_embedding_rows: int = 0,
    smooth_alpha: float | None = SMOOTH_ALPHA,
) -> ExportResult:
    """Export `model` (a name `resolve_model` understands) pooled over `layers` (1-based; (0,) = all, (-1,) = last).

    The feed-forward down-projection of the first `fp32_ffn_layers` layers stays fp32 (see FP32_FFN_LAYERS).
    With `smooth_alpha`, the other int8 MatMuls but the down-projections are smoothed (see SMOOTH_ALPHA).
    With `int8_embedding_rows` > 0, embedding tables of at least that many rows are stored int8 per row in
    the int8 graph (`quantize_embedding_tables`; the multilingual encoder's vocabulary is most of its weights).
    Skips the work when `out_dir` already holds a current export (same source weights, layers, files intact).
    """
    source, name = resolve_model(model, offline_mode(offline))
    if not Path(source).is_dir():
        raise ModelNotFound(f"encoder {model!r}: export needs a local model directory, got {source!r}")
    config = json.loads((Path(source) / "config.json").read_text(encoding="utf-8"))
    n_layers = int(config["num_hidden_layers"])
    chosen = tuple(range(1, n_layers + 1)) if layers == (0,) else tuple(n_layers if x == -1 else x for x in layers)
    if any(not 1 <= x <= n_layers for x in chosen):
        raise ValueError(f"encoder {name} has layers 1..{n_layers}; asked for {layers}")
    source_sha = weights_sha256(source)
    out_dir = Path(out_dir)
    precisions = ("int8", "fp32") if keep_fp32 else ("int8",)
    if not force and is_current(out_dir, source_sha, chosen, precisions, fp32_ffn_layers, smooth_alpha):
        return ExportResult(out_dir, read_manifest(out_dir), skipped=True)
    if not (Path(source) / TOKENIZER).is_file():
        raise ModelNotFound(f"encoder {name}: {source} has no {TOKENIZER} (a fast tokenizer is needed for the ONNX engine)")

    import onnx
    import onnxruntime
    import torch
    from transformers import AutoModel, AutoTokenizer

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    if getattr(tokenizer, "padding_side", "right") != "right":
        raise ValueError(f"encoder {name}: left-padding tokenizers are not supported by the ONNX export")
    hf_model = AutoModel.from_pretrained(source, local_files_only=True, attn_implementation="eager").eval()
    accepted = set(inspect.signature(hf_model.forward).parameters)
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names and n in accepted]
    module = _pooled_module(hf_model, chosen, input_names)
    sample = tokenizer(["an example sentence to trace the graph", "and a second one"], padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in input_names)

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        fp32 = Path(tmp) / FILES["fp32"]
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, args, str(fp32), input_names=input_names, output_names=[OUTPUT], opset_version=OPSET,
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in input_names}, OUTPUT: {0: "batch"}},
                do_constant_folding=True, dynamo=False,
            )
        onnx.checker.check_model(str(fp32))
        int8 = Path(tmp) / FILES["int8"]
        down = ffn_down_projections(fp32, int(config["intermediate_size"]), int(config["hidden_size"]))
        fp32_nodes = down[:fp32_ffn_layers]
        smooth, calibration = {}, []
        if smooth_alpha is not None:
            calibration = calibration_texts(CALIBRATION_TEXTS)
            smooth = smoothing_peaks(fp32, tokenizer, input_names, calibration, exclude=set(down))
        shift = {name: GELU_SHIFT for name in down} if smooth_alpha is not None else {}
        quantized = quantize_per_token(fp32, int8, set(fp32_nodes), smooth, smooth_alpha or 0.0, shift)
        embedding_rows = quantize_embedding_tables(int8, int8_embedding_rows) if int8_embedding_rows else 0
        for stale in [*FILES.values(), TOKENIZER, MANIFEST, *(p.name for p in out_dir.glob("encoder.*.table*.bin"))]:
            (out_dir / stale).unlink(missing_ok=True)
        files: dict[str, dict[str, Any]] = {}
        for precision in precisions:
            tables = detach_lookup_tables(Path(tmp) / FILES[precision])
            for moved in [FILES[precision], *(t["file"] for t in tables)]:
                shutil.move(str(Path(tmp) / moved), out_dir / moved)
            files[precision] = {"file": FILES[precision], "sha256": file_sha256(out_dir / FILES[precision])}
            if tables:
                files[precision]["tables"] = [{**t, "sha256": file_sha256(out_dir / t["file"])} for t in tables]
        files["int8"]["quantization"] = ("int8 MatMul: weights symmetric per output channel, activations symmetric "
                                         "per token at run time" + (", smoothed" if smooth else ""))
        files["int8"]["int8_matmuls"] = quantized
        files["int8"]["fp32_nodes"] = fp32_nodes
        if embedding_rows:
            files["int8"]["int8_embedding_rows"] = embedding_rows
    shutil.copyfile(Path(source) / TOKENIZER, out_dir / TOKENIZER)
    manifest = {
        "format": FORMAT,
        "source": {"model": model, "name": name, "weights_sha256": source_sha},
        "layers": list(chosen),
        "num_layers": n_layers,
        "fp32_ffn_layers": fp32_ffn_layers,
        "hidden_size": int(config["hidden_size"]),
        "dim": int(config["hidden_size"]) * len(chosen),
        "inputs": input_names,
        "output": OUTPUT,
        "pad_id": int(tokenizer.pad_token_id or 0),
        "max_positions": int(config.get("max_position_embeddings", 512)),
        "tokenizer": {"file": TOKENIZER, "sha256": file_sha256(out_dir / TOKENIZER)},
        "files": files,
        "exported_with": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                          "opset": OPSET},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if smooth_alpha is not None:
        manifest["smoothing"] = {
            "alpha": smooth_alpha, "int8_matmuls_smoothed": len(smooth),
            "down_projection_shift": GELU_SHIFT,
            "calibration": f"{len(calibration)} English texts of monitor/data/spoken",
            "calibration_sha256": hashlib.sha256("\n".join(calibration).encode("utf-8")).hexdigest(),
        }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ExportResult(out_dir, manifest, skipped=False)
