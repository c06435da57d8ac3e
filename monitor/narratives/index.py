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
- Learned model (optional, `retrieval_model`; `narratives search` uses the shipped one): the query
  embedding goes through a trained linear adapter before the cosine, the fusion is the model's, and the
  top candidates are re-ranked by its logistic regression (a head chosen by whether the query's day is
  given and how many lines the call has, `retrieval_model.head_for`; the call's agreement features are
  computed only when a head reads them); a match's score is then that probability.

One `search` call embeds a whole batch of utterances at once (or takes the vectors the caller computed
once for several indexes).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from monitor.narratives.retrieval_model import RetrievalModel

log = logging.getLogger(__name__)


class TextEncoder(Protocol):
    """The part of the project's encoder interface the index uses."""

    dim: int
    variant: str

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


@dataclass(frozen=True)
class Document:
    """One matchable claim: its id, the wordings compared densely (BM25 indexes them joined) and who made
    the claim, on which day and in what kind of place (`pair_features.VENUES`), when known (re-ranker features)."""

    id: str
    texts: tuple[str, ...]
    speaker: str = ""
    stated: dt.date | None = None
    venue: str = ""


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


_BM25_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern


class _Bm25:
    def __init__(self, corpus: Sequence[str]) -> None:
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.stemmer = Stemmer.Stemmer("english")
        self.stop = frozenset(STOPWORDS_EN)
        tokens = bm25s.tokenize(list(corpus), stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.vocab = tokens.vocab
        self.model = bm25s.BM25()
        self.model.index(tokens, show_progress=False)
        self.size = len(corpus)

    def query_tokens(self, queries: Sequence[str]) -> list[list[int]]:
        """Each query's vocabulary ids, in order, repeats kept: `bm25s.tokenize`'s tokens (lower case, its
        word pattern, its English stop words, Snowball stems) without its per-text set rebuilding."""
        words = [[w for w in _BM25_WORD.findall(q.lower()) if w not in self.stop] for q in queries]
        distinct = list(dict.fromkeys(w for row in words for w in row))
        stem = dict(zip(distinct, self.stemmer.stemWords(distinct), strict=True))
        return [[self.vocab[t] for w in row if (t := stem[w]) in self.vocab] for row in words]

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """queries × documents BM25 scores, the whole batch in one pass over the index's postings.

        Identical to `bm25s.BM25.get_scores` per query, bit for bit: each query's known tokens in order
        (repeats included) add their postings to its row in float32, in the same order, by one unbuffered
        `np.add.at` over the batch instead of one call per query and token.
        """
        ids = self.query_tokens(queries)
        out = np.zeros(len(queries) * self.size, dtype=np.float32)
        tokens = np.fromiter((t for row in ids for t in row), dtype=np.int64)
        if len(tokens):
            index = self.model.scores
            starts, ends = index["indptr"][tokens].astype(np.int64), index["indptr"][tokens + 1].astype(np.int64)
            lengths = ends - starts
            postings = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(int(lengths.sum()))
            row = np.repeat(np.repeat(np.arange(len(ids)), [len(r) for r in ids]), lengths)
            np.add.at(out, row * self.size + index["indices"][postings], index["data"][postings])
        return out.reshape(len(queries), self.size)


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


def top_ranks(matrix: np.ndarray, depth: int) -> np.ndarray:
    """queries × depth: the column indices of each row's `depth` highest values, best first (ties: lower index)."""
    depth = min(depth, matrix.shape[1])
    idx = np.argpartition(-matrix, depth - 1, axis=1)[:, :depth]
    order = np.lexsort((idx, -np.take_along_axis(matrix, idx, axis=1)), axis=-1)
    return np.take_along_axis(idx, order, axis=1)


class NarrativeIndex:
    """Exact dense + BM25 search over documents, optionally with a learned adapter and re-ranker."""

    def __init__(self, docs: Sequence[Document], encoder: TextEncoder, cache_path: Path | None = None,
                 fusion: Fusion = Fusion(), model: RetrievalModel | None = None) -> None:
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
        self.model = model
        self.fusion = fusion if model is None else replace(fusion, dense_weight=model.dense_weight, bm25_k=model.bm25_k)
        # the document of each wording, and where each document's wordings start (contiguous, in document order)
        self.owner = np.array([i for i, d in enumerate(self.docs) for _ in d.texts], dtype=np.int64)
        self.starts = np.cumsum([0, *(len(d.texts) for d in self.docs[:-1])], dtype=np.int64)
        wordings = [t for d in self.docs for t in d.texts]
        self.vectors = embed(wordings, encoder, cache_path)
        self.bm25 = _Bm25([" ".join(d.texts) for d in self.docs])
        self.pair_features = None
        self._lexical: tuple[tuple[str, ...], np.ndarray] | None = None
        if model is not None:
            from monitor.narratives.pair_features import DocumentFeatures

            model.check_encoder(encoder.dim, encoder.variant)
            self.pair_features = DocumentFeatures([" ".join(d.texts) for d in self.docs], [d.speaker for d in self.docs],
                                                  [d.stated for d in self.docs], [d.venue for d in self.docs])

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
        vectors = self.adapted(vectors)
        dense = self.best_per_document(vectors.plain)
        if use_context:
            assert vectors.with_context is not None, "context scores need the queries' context vectors"
            dense = (1 - w) * dense + w * self.best_per_document(vectors.with_context)
        return dense

    def adapted(self, vectors: QueryVectors) -> QueryVectors:
        """The query vectors through the model's adapter (unchanged without a model)."""
        if self.model is None:
            return vectors
        ctx = None if vectors.with_context is None else self.model.adapt(vectors.with_context)
        return QueryVectors(self.model.adapt(vectors.plain), ctx)

    def best_per_document(self, query_vectors: np.ndarray) -> np.ndarray:
        """queries × documents: the best cosine of each query vector over each document's wordings."""
        sims = query_vectors @ self.vectors.T
        if not len(sims):
            return np.zeros((0, len(self.docs)), dtype=np.float32)
        return np.maximum(np.maximum.reduceat(sims, self.starts, axis=1), -1.0, dtype=np.float32)

    def lexical_scores(self, queries: Sequence[str]) -> np.ndarray:
        """queries × documents: BM25 squashed into [0, 1). The last batch's matrix is kept (read-only): the
        matcher searches one set once per key (`set`, `set@context`) with the same utterances, and BM25
        reads no context."""
        key, cached = tuple(queries), self._lexical
        if cached is not None and cached[0] == key:
            return cached[1]
        raw = self.bm25.scores(queries)
        lexical = raw / (raw + self.fusion.bm25_k)
        lexical.flags.writeable = False
        self._lexical = (key, lexical)
        return lexical

    def scores(self, queries: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, vectors: QueryVectors | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, dense, lexical) score matrices."""
        dense = self.dense_scores(queries, contexts, vectors)
        lexical = self.lexical_scores(queries)
        w = self.fusion.dense_weight
        return w * dense + (1 - w) * lexical, dense, lexical

    def search(self, queries: Sequence[str], top_k: int = 5, contexts: Sequence[Sequence[str]] | None = None,
               vectors: QueryVectors | None = None, dates: Sequence[dt.date | None] | None = None,
               speakers: Sequence[frozenset[str]] | None = None) -> list[list[Match]]:
        """The `top_k` best documents for each query, best first; `dates`: the day each query was said (the
        re-ranker's date features), `speakers`: the surnames of who said it (`speakers`; empty: not known), both
        read by the model only."""
        if not queries:
            return []
        if vectors is None:
            use_context = contexts is not None and self.fusion.context_weight > 0
            vectors = encode_queries(self.encoder, queries, contexts if use_context else None)
        fused, dense, lexical = self.scores(queries, contexts, vectors)
        if self.model is None:
            idx = top_ranks(fused, top_k)
            chosen = np.take_along_axis(fused, idx, axis=1)
        else:
            idx, chosen = self.rerank(queries, vectors, fused, dense, lexical, top_k, dates, speakers)
        ids = [d.id for d in self.docs]
        rows = zip(idx.tolist(), chosen.tolist(), *(np.take_along_axis(m, idx, axis=1).tolist() for m in (dense, lexical)), strict=True)
        return [[Match(ids[i], f, d, x) for i, f, d, x in zip(*row, strict=True)] for row in rows]

    def clause_scores(self, queries: Sequence[str], dense: np.ndarray, adapter: np.ndarray | None = None) -> np.ndarray:
        """queries × documents: the best of `dense` (the queries' own adapted scores) and each clause's
        (`spans`), the clauses through `adapter` if given, else the model's."""
        from monitor.narratives.retrieval_model import adapt
        from monitor.narratives.spans import clause_spans

        spans = [clause_spans(q) for q in queries]
        flat = [c for cl in spans for c in cl]
        best = dense.copy()
        if flat:
            raw = self.encoder.encode(flat)
            per_clause = self.best_per_document(adapt(adapter, raw) if adapter is not None else self.adapted(QueryVectors(raw)).plain)
            owner = np.repeat(np.arange(len(queries)), [len(cl) for cl in spans])
            np.maximum.at(best, owner, per_clause)
        return best

    def rerank(self, queries: Sequence[str], vectors: QueryVectors, fused: np.ndarray, dense: np.ndarray,
               lexical: np.ndarray, keep: int, dates: Sequence[dt.date | None] | None = None,
               speakers: Sequence[frozenset[str]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(document indices, probabilities), queries × max(depth, keep) cut to `keep`: the fused top
        candidates re-scored by the model's re-ranker, best first (ties: fused order); `dates`, `speakers` as in `search`.
        The queries of one call are re-ranked together: each reads the days the others' top candidates were
        stated (`DocumentFeatures.batch_days`)."""
        assert self.model is not None and self.pair_features is not None, "re-ranking needs a retrieval model"
        from monitor.narratives.pair_features import FirstStage
        from monitor.narratives.retrieval_model import CALL_HEADS, heads_for

        cand = top_ranks(fused, max(self.model.depth, keep))
        raw = self.best_per_document(vectors.plain)
        clause = self.clause_scores(queries, dense)
        heads = heads_for(queries, dates or None)
        reads_call = [h in CALL_HEADS for h in heads]
        batch = self.pair_features.batch_days(queries, cand, fused, reads_call) if any(reads_call) else None
        idx, prob = [], []
        for i, query in enumerate(queries):
            first = FirstStage(dense[i], raw[i], lexical[i], fused[i], clause[i])
            when = dates[i] if dates else None
            row = None if batch is None else batch[i]
            said = self.pair_features.said_by(cand[i], speakers[i]) if speakers and speakers[i] else None
            p = self.model.rerank_scores(self.pair_features.pairs(query, cand[i], first, when, row), heads[i], said)
            order = np.argsort(-p, kind="stable")[:keep]
            idx.append(cand[i][order])
            prob.append(p[order])
        return np.array(idx, dtype=np.int64), np.array(prob, dtype=np.float32)

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
