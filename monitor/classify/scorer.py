"""Batched scoring of texts (with optional transcript context) against every label head (and stance).

- Empty or whitespace-only text scores 0.0 for every label; the encoder is not called for it.
- A text longer than `max_tokens` word pieces is split into windows of about a chunk's size (see
  `split_long`); each label's score is the maximum over its windows, so a statement at the end of a long
  chunk is neither cut off nor drowned in the text around it. Context texts are only truncated to
  `max_tokens` (they are supporting evidence).
- Texts are length-sorted into batches of at most `max_batch_size` and run under `torch.inference_mode`.
- Embeddings are kept in a small LRU cache keyed by text, so a chunk that later serves as context for
  the next chunk of its broadcast is not encoded twice; it holds at most `cache_size` texts and
  `cache_mb` of vectors.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from monitor.classify.encoder import Encoder, PooledEncoder
from monitor.classify.heads import Head, head_inputs, mean_context
from monitor.classify.labels import STANCE_LABELS
from monitor.classify.multitask import MultiTaskHead


SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
WINDOW_TOKENS = 64


def _token_windows(encoder: Encoder, text: str, size: int) -> list[str]:
    """Overlapping windows of at most `size` word pieces (half-window stride), cut at token boundaries."""
    offsets = encoder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)["offset_mapping"]
    if len(offsets) <= size:
        return [text]
    stride = max(1, size // 2)
    windows = []
    for start in range(0, len(offsets), stride):
        end = min(start + size, len(offsets))
        windows.append(text[offsets[start][0] : offsets[end - 1][1]])
        if end == len(offsets):
            break
    return windows


def token_counts(encoder: Encoder, texts: Sequence[str]) -> list[int]:
    """Word pieces of each text without special tokens, in one tokenizer call."""
    return [len(ids) for ids in encoder.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]]


def split_long(encoder: Encoder, text: str, n_tokens: int | None = None) -> list[str]:
    """`text` itself when it fits `max_tokens`; otherwise windows the size of a typical chunk.

    Each sentence starts a window that takes following sentences while it stays within WINDOW_TOKENS
    word pieces; a sentence longer than that (or unpunctuated ASR text) is cut into overlapping token
    windows. Every statement is thus scored with little unrelated text around it to dilute it.
    `n_tokens`: the text's word pieces (`token_counts`) when the caller has counted them.
    """
    limit = encoder.config.max_tokens - 2
    size = min(WINDOW_TOKENS, limit)
    if (n_tokens if n_tokens is not None else token_counts(encoder, [text])[0]) <= limit:
        return [text]
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    lengths = token_counts(encoder, sentences)
    windows: list[str] = []
    for i, (sentence, n) in enumerate(zip(sentences, lengths)):
        if n > size:
            windows.extend(_token_windows(encoder, sentence, size))
            continue
        j, total = i + 1, n
        while j < len(sentences) and total + lengths[j] <= size:
            total += lengths[j]
            j += 1
        windows.append(" ".join(sentences[i:j]))
    return list(dict.fromkeys(windows))


class EmbeddingLru:
    """The embeddings of recently seen texts by one encoder, least recently used dropped beyond `size`."""

    def __init__(self, encoder: PooledEncoder, size: int = 8192, batch_size: int = 64) -> None:
        self.encoder = encoder
        self.size = size
        self.batch_size = batch_size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        """The cached embedding of `text`, or None; encodes nothing."""
        return self._vectors.get(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts` in order: cached ones reused, the rest encoded length-sorted in bounded batches."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vec in zip(missing, self.encoder.encode(missing, batch_size=self.batch_size)):
                # a copy, not a row view: a view would keep its whole encoder batch alive while any row is cached
                self._vectors[text] = vec.copy()
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vectors[text]
            self._vectors.move_to_end(text)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)
        return out

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        self._vectors.clear()


class HeadSet:
    """The per-label heads of the `cct-heads/1` format behind the predictor interface."""

    def __init__(self, heads: Sequence[Head]) -> None:
        self.heads = list(heads)
        self.names = tuple(h.label for h in heads)
        # A stance head is read from the window chosen by the harm labels, as the multi-task stance is.
        self.labels = tuple(n for n in self.names if n not in STANCE_LABELS) or self.names
        self.context_n = max((h.context_n for h in heads if h.uses_context), default=0)

    def check(self, encoder: Encoder) -> None:
        for head in self.heads:
            want = head.feature_dim(encoder.dim)
            if head.in_dim != want:
                raise ValueError(
                    f"head {head.label!r} expects {head.in_dim} features but encoder {encoder.name} gives {want}; "
                    "the heads were trained for another encoder"
                )

    def predict(self, emb: np.ndarray, ctx: np.ndarray, has_ctx: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return {h.label: h.proba(head_inputs(h, emb, ctx, texts)) for h in self.heads}


class MultiTaskPredictor:
    """A `MultiTaskHead` (labels + stance) behind the predictor interface."""

    def __init__(self, head: MultiTaskHead) -> None:
        self.head = head
        self.names = head.names
        self.labels = head.labels
        self.context_n = head.context_n

    def check(self, encoder: Encoder) -> None:
        if self.head.emb_dim != encoder.dim:
            raise ValueError(f"the multi-task head reads {self.head.emb_dim}-dim embeddings but encoder {encoder.name} "
                             f"gives {encoder.dim}; it was trained for another encoder")

    def predict(self, emb: np.ndarray, ctx: np.ndarray, has_ctx: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return self.head.predict(emb, ctx, has_ctx)


Predictor = HeadSet | MultiTaskPredictor


class Scorer:
    """Scores texts for every label (and stance, with a multi-task head); deterministic for a fixed input.

    `heads` is a list of per-label `Head`s or one `MultiTaskHead`. A text split into windows takes each
    label's maximum over its windows; its stance is that of the window with the highest label score.
    """

    def __init__(self, encoder: Encoder, heads: Sequence[Head] | MultiTaskHead, max_batch_size: int = 64,
                 cache_size: int = 8192, cache_mb: float | None = None) -> None:
        self.predictor: Predictor = MultiTaskPredictor(heads) if isinstance(heads, MultiTaskHead) else HeadSet(heads)
        self.predictor.check(encoder)
        self.encoder = encoder
        self.heads = self.predictor.heads if isinstance(self.predictor, HeadSet) else []
        self.labels = self.predictor.names
        self.context_n = self.predictor.context_n
        if cache_mb is not None:
            cache_size = max(1, min(cache_size, int(cache_mb * 2**20) // (4 * encoder.dim)))
        self.cache = EmbeddingLru(encoder, cache_size, max_batch_size)

    @property
    def max_batch_size(self) -> int:
        """Texts per encoder batch."""
        return self.cache.batch_size

    @max_batch_size.setter
    def max_batch_size(self, value: int) -> None:
        self.cache.batch_size = value

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts` (cached ones reused, the rest encoded length-sorted in bounded batches)."""
        return self.cache.embed(texts)

    def clear_cache(self) -> None:
        """Forget cached embeddings (benchmarks measure cold encoding)."""
        self.cache.clear()

    def score(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, float]]:
        """One {name: probability} per text, in order. `contexts[i]` are the previous texts, oldest first."""
        results = [dict.fromkeys(self.labels, 0.0) for _ in texts]
        live = [i for i, t in enumerate(texts) if t and t.strip()]
        if not live:
            return results
        segments: list[str] = []
        owner: list[int] = []
        stripped = [texts[i].strip() for i in live]
        for i, text, n_tokens in zip(live, stripped, token_counts(self.encoder, stripped), strict=True):
            for seg in split_long(self.encoder, text, n_tokens):
                segments.append(seg)
                owner.append(i)
        ctx_lists: list[list[str]] = []
        if self.context_n:
            for i in owner:
                prev = contexts[i] if contexts is not None and i < len(contexts) else ()
                ctx_lists.append([c.strip() for c in prev if c and c.strip()][-self.context_n :])
        else:
            ctx_lists = [[] for _ in owner]
        ctx_texts = [c for cl in ctx_lists for c in cl]
        emb = self.embed(segments + ctx_texts)
        seg_emb, ctx_flat = emb[: len(segments)], emb[len(segments) :]
        ctx_emb = mean_context(ctx_flat, [len(cl) for cl in ctx_lists], seg_emb)
        has_ctx = np.array([bool(cl) for cl in ctx_lists])
        pred = self.predictor.predict(seg_emb, ctx_emb, has_ctx, segments)
        label_max = np.max(np.stack([pred[label] for label in self.predictor.labels], axis=1), axis=1)
        best: dict[int, int] = {}
        for row, i in enumerate(owner):
            if i not in best or label_max[row] > label_max[best[i]]:
                best[i] = row
        for row, i in enumerate(owner):
            for label in self.predictor.labels:
                results[i][label] = max(results[i][label], round(float(pred[label][row]), 6))
        for i, row in best.items():
            for name in self.labels:
                if name not in self.predictor.labels:
                    results[i][name] = round(float(pred[name][row]), 6)
        return results
