"""A Hugging Face tokenizer call surface over the `tokenizers` library alone (no transformers, no torch).

The ONNX Runtime encoder uses it so that the monitor process never imports torch. It implements the
part of `PreTrainedTokenizer.__call__` the scorer and the encoders use: one text or a list of texts,
special tokens on or off, truncation to `max_length`, padding to the longest text of the batch,
offsets, and numpy arrays. It reads the `tokenizer.json` that `cct-monitor model export` copies next
to the ONNX graph, so the word pieces are exactly those of the source model's fast tokenizer. A Unigram
file (the multilingual export's 120,000 pieces) is run by `LeanUnigram`, the same ids and offsets at about a
third of the library's memory; any other model by the library.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from monitor.classify.unigram import LeanUnigram, LeanUnsupported


class FastTokenizer:
    """Tokenises like the source model's Hugging Face fast tokenizer."""

    def __init__(self, path: Path, pad_id: int, input_names: Sequence[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"tokenizer file {self.path} not found")
        self._lean = _lean(self.path)
        self._plain = self._lean.pipeline if self._lean is not None else Tokenizer.from_file(str(self.path))
        self._plain.no_padding()
        self._plain.no_truncation()
        self.pad_id = pad_id
        self.model_input_names = list(input_names)

    def _encode(self, batch: list[str], add_special_tokens: bool, max_length: int | None) -> list[Any]:
        """Encodings of `batch`; with `max_length`, truncated as the library's own truncation does (the text's
        pieces cut to leave room for the special tokens, then those added) with the one tokenizer: a second,
        truncating `Tokenizer` would hold the vocabulary twice (~100 MiB for the multilingual Unigram model)."""
        if max_length is None:
            return self._whole(batch, add_special_tokens)
        room = max_length - (self._plain.num_special_tokens_to_add(False) if add_special_tokens else 0)
        encodings = self._whole(batch, False)
        for e in encodings:
            e.truncate(room)
        if not add_special_tokens:
            return encodings
        return [self._plain.post_process(e, add_special_tokens=True) for e in encodings]

    def _whole(self, batch: list[str], add_special_tokens: bool) -> list[Any]:
        """Encodings of `batch`, not truncated."""
        if self._lean is None:
            return self._plain.encode_batch(batch, add_special_tokens=add_special_tokens)
        encodings = [self._lean.encode(text) for text in batch]
        if not add_special_tokens:
            return encodings
        return [self._plain.post_process(e, add_special_tokens=True) for e in encodings]

    def __call__(
        self, texts: str | Sequence[str], add_special_tokens: bool = True, truncation: bool = False,
        max_length: int | None = None, padding: bool = False, return_offsets_mapping: bool = False,
        return_tensors: str | None = None,
    ) -> dict[str, Any]:
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        encodings = self._encode(batch, add_special_tokens, max_length if truncation else None)
        out: dict[str, Any] = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        if return_offsets_mapping:
            out["offset_mapping"] = [e.offsets for e in encodings]
        if padding or return_tensors == "np":
            out.update(self._padded(encodings))
        if return_tensors == "np":
            return {k: out[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
        if return_tensors is not None:
            raise ValueError(f"FastTokenizer returns numpy arrays only (return_tensors='np'), not {return_tensors!r}")
        return {k: v[0] for k, v in out.items()} if single else out

    def _padded(self, encodings: Sequence[Any]) -> dict[str, np.ndarray]:
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = e.attention_mask
            types[row, :n] = e.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def _lean(path: Path) -> LeanUnigram | None:
    """The lean form of a Unigram tokenizer file, None for any other model (or a Unigram it does not reproduce)."""
    try:
        return LeanUnigram(json.loads(path.read_bytes()))
    except LeanUnsupported:
        return None
