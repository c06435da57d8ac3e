"""Match what is said against known claims: dense similarity (the project's encoder) fused with BM25.

- Dense: every wording of a document (claim, paraphrases, examples, title) is embedded once with the
  encoder the monitor runs (the last layer's pooled embedding, `monitor.classify.last_layer`); vectors
  are cached on disk keyed by the encoder's variant (its weights' sha256, engine, precision and
  truncation) and the text's sha256, so a reload or a second process re-embeds nothing. A document's dense score is the best cosine over its wordings. Search is exact (one matrix
  product), which stays fast to ~100k wordings.
- Lexical: BM25 (`bm25s`, Snowball-stemmed, English stop words removed) over all wordings of a
  document together; its score is squashed into [0, 1) as s / (s + k).
- Fusion: score = w · dense + (1 − w) · lexical. The score is absolute (not normalised per query), so
  a rule's `min_score` means the same for every chunk.

One `search` call embeds a whole batch of utterances at once (or takes the vectors the caller computed
once for several indexes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)


class TextEncoder(Protocol):
    """The part of the project's encoder interface the index uses."""

    dim: int
    variant: str

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


@dataclass(frozen=True)
class Document:
    """One matchable claim: its id, the wordings compared densely and the text BM25 indexes."""

    id: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A document matched by an utterance, with the fused score and its two parts."""

    id: str
    score: float
    dense: float
    lexical: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "score": round(self.score, 6)}


@dataclass(frozen=True)
class Fusion:
    """How the two retrievers combine: weight of the dense score, BM25 saturation constant, and the weight
    of the preceding context in the dense score when a search passes contexts. The defaults are the values
    `cct-monitor narratives eval` picks on the CheckThat! 2B train queries."""

    dense_weight: float = 0.7
    bm25_k: float = 16.0
    context_weight: float = 0.5


class _Bm25:
    def __init__(self, corpus: Sequence[str]) -> None:
        import bm25s
        import Stemmer

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(list(corpus), stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.vocab = tokens.vocab
        self.model = bm25s.BM25()
        self.model.index(tokens, show_progress=False)
        self.size = len(corpus)

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        toks = self._bm25s.tokenize(list(queries), stopwords="en", stemmer=self.stemmer, show_progress=False,
                                    return_ids=False)
        out = np.zeros((len(queries), self.size), dtype=np.float32)
        for i, words in enumerate(toks):
            known = [w for w in words if w in self.vocab]
            if known:
                out[i] = self.model.get_scores(known)
        return out


@dataclass(frozen=True)
class QueryVectors:
    """A batch's query embeddings: the utterances alone and, for context search, each utterance with its context."""

    plain: np.ndarray
    with_context: np.ndarray | None = None


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def encode_queries(encoder: TextEncoder, queries: Sequence[str], contexts: Sequence[Sequence[str]] | None = None
                   ) -> QueryVectors:
    """One encoder call for the utterances and their contexts' texts (each distinct text once).

    An utterance with its context is the word-count-weighted mean of the embeddings of the context texts
    and the utterance, L2-normalised: about the mean over all their tokens, which is what embedding the
    joined text would pool, without encoding it. The context texts are the previous chunks, which the
    monitor has embedded already (see `monitor.classify.last_layer`), so context search costs no forward.
    """
    if contexts is None:
        return QueryVectors(encoder.encode(list(queries)))
    ctx = [[c for c in cl if c.strip()] for cl in contexts]
    texts = list(dict.fromkeys([*queries, *(c for cl in ctx for c in cl)]))
    vectors = encoder.encode(texts)
    row = {t: i for i, t in enumerate(texts)}
    words = np.array([max(1, len(t.split())) for t in texts], dtype=np.float32)
    plain = vectors[[row[q] for q in queries]]
    with_context = np.stack([
        (words[idx, None] * vectors[idx]).sum(axis=0)
        for idx in ([row[t] for t in (*cl, q)] for cl, q in zip(ctx, queries, strict=True))
    ]) if len(queries) else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    return QueryVectors(plain, _unit(with_context).astype(np.float32))


class NarrativeIndex:
    """Exact dense + BM25 search over documents."""

    def __init__(self, docs: Sequence[Document], encoder: TextEncoder, cache_path: Path | None = None,
                 fusion: Fusion = Fusion()) -> None:
        if not docs:
            raise ValueError("an index needs at least one document")
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"document id '{dup}' appears twice")
        empty = next((d.id for d in docs if not d.texts), None)
        if empty is not None:
            raise ValueError(f"document '{empty}' has no wording")
        self.docs = list(docs)
        self.encoder = encoder
        self.fusion = fusion
        # where each document's wordings start (they are contiguous, in document order)
        self.starts = np.cumsum([0, *(len(d.texts) for d in self.docs[:-1])], dtype=np.int64)
        wordings = [t for d in self.docs for t in d.texts]
        self.vectors = embed(wordings, encoder, cache_path)
        self.bm25 = _Bm25([" ".join(d.texts) for d in self.docs])

    def __len__(self) -> int:
        return len(self.docs)

    def dense_scores(self, queries: Sequence[str], contexts: Sequence[Sequence[str]] | None = None,
                     vectors: QueryVectors | None = None) -> np.ndarray:
        """queries × documents: the best cosine over each document's wordings; with `contexts` (each query's
        preceding texts, oldest first) and a context weight w, (1 − w) · that of the utterance + w · that of
        the utterance with its context (`encode_queries`). `vectors`: the embeddings when the caller has them."""
        w = self.fusion.context_weight
        use_context = contexts is not None and w > 0
        if vectors is None:
            vectors = encode_queries(self.encoder, queries, contexts if use_context else None)
        dense = self.best_per_document(vectors.plain)
        if use_context:
            assert vectors.with_context is not None, "context scores need the queries' context vectors"
            dense = (1 - w) * dense + w * self.best_per_document(vectors.with_context)
        return dense

    def best_per_document(self, query_vectors: np.ndarray) -> np.ndarray:
        """queries × documents: the best cosine of each query vector over each document's wordings."""
        sims = query_vectors @ self.vectors.T
        if not len(sims):
            return np.zeros((0, len(self.docs)), dtype=np.float32)
        return np.maximum(np.maximum.reduceat(sims, self.starts, axis=1), -1.0, dtype=np.float32)

    def lexical_scores(self, queries: Sequence[str]) -> np.ndarray:
        """queries × documents: BM25 squashed into [0, 1)."""
        raw = self.bm25.scores(queries)
        return raw / (raw + self.fusion.bm25_k)

    def scores(self, queries: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, vectors: QueryVectors | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, dense, lexical) score matrices."""
        dense = self.dense_scores(queries, contexts, vectors)
        lexical = self.lexical_scores(queries)
        w = self.fusion.dense_weight
        return w * dense + (1 - w) * lexical, dense, lexical

    def search(self, queries: Sequence[str], top_k: int = 5, contexts: Sequence[Sequence[str]] | None = None,
               vectors: QueryVectors | None = None) -> list[list[Match]]:
        """The `top_k` best documents for each query, best first."""
        if not queries:
            return []
        fused, dense, lexical = self.scores(queries, contexts, vectors)
        k = min(top_k, len(self.docs))
        part = np.argpartition(-fused, k - 1, axis=1)[:, :k]
        # best first, ties by document order, for every query at once
        idx = np.take_along_axis(part, np.lexsort((part, -np.take_along_axis(fused, part, axis=1)), axis=-1), axis=1)
        ids = [d.id for d in self.docs]
        rows = zip(idx.tolist(), *(np.take_along_axis(m, idx, axis=1).tolist() for m in (fused, dense, lexical)), strict=True)
        return [[Match(ids[i], f, d, x) for i, f, d, x in zip(*row, strict=True)] for row in rows]


def embed(texts: Sequence[str], encoder: TextEncoder, cache_path: Path | None) -> np.ndarray:
    """Embeddings of `texts`, from the on-disk cache where present (keyed by encoder variant and text)."""
    if cache_path is None:
        return encoder.encode(list(texts)).astype(np.float32)
    from monitor.classify.embcache import EmbeddingCache

    cache = EmbeddingCache(cache_path, encoder.variant)
    try:
        return cache.embed(list(texts), lambda part: encoder.encode(list(part)), encoder.dim)
    finally:
        cache.close()


def default_encoder() -> TextEncoder:
    """The last layer of the monitor's default encoder (all-MiniLM-L6-v2 from its package), loaded offline:
    the CPU engine (the ONNX export in `models/onnx`) when it is built and current, else torch fp32."""
    from monitor.classify.encoder import Encoder, EncoderConfig
    from monitor.classify.last_layer import LastLayerEncoder
    from monitor.classify.onnx_export import read_manifest
    from monitor.classify.ort_encoder import OnnxEncoder, StaleExport
    from monitor.classify.stage import default_onnx_dir

    onnx_dir = default_onnx_dir()
    try:
        layers = tuple(read_manifest(onnx_dir)["layers"])
        return LastLayerEncoder(OnnxEncoder(EncoderConfig(layers=layers), onnx_dir))
    except (FileNotFoundError, KeyError, ValueError, StaleExport) as exc:
        log.warning("narratives: no usable CPU engine in %s (%s); encoding with torch fp32", onnx_dir, exc)
    return LastLayerEncoder(Encoder(EncoderConfig()))
