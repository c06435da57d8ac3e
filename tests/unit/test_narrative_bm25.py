"""The narrative index's BM25 scores a whole batch in one pass, and gives exactly what `bm25s` gives one query
at a time (same tokens, same float32 sums), so batching changes no ranking and no rule decision."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from monitor.narratives.index import _Bm25
from monitor.narratives.loader import load_sets_or_raise, narrative_dirs
from monitor.narratives.matcher import narrative_documents

ROOT = Path(__file__).resolve().parents[2]


def _shipped_corpus() -> tuple[list[str], list[str]]:
    """The shipped sets' documents (one per narrative) and every wording, the latter as queries."""
    docs, wordings = [], []
    for loaded in load_sets_or_raise(narrative_dirs([ROOT / "rules"])):
        for d in narrative_documents(loaded):
            docs.append(" ".join(d.texts))
            wordings.extend(d.texts)
    return docs, wordings


def _per_query(index: _Bm25, queries: list[str]) -> np.ndarray:
    """bm25s's own tokenizer and `get_scores`, one query at a time (what the index did before batching)."""
    tokens = bm25s.tokenize(queries, stopwords="en", stemmer=index.stemmer, show_progress=False, return_ids=False)
    out = np.zeros((len(queries), index.size), dtype=np.float32)
    for i, words in enumerate(tokens):
        known = [w for w in words if w in index.model.vocab_dict]
        if known:
            out[i] = index.model.get_scores(known)
    return out


def test_batched_scores_are_bm25s_scores_bit_for_bit() -> None:
    docs, wordings = _shipped_corpus()
    index = _Bm25(docs)
    odd = ["", "the of and", "zzzqx unknownword", "Vaccine vaccine VACCINE vaccines!", "ballots, ballots — and more ballots",
           "Wahlzettel für die Briefwahl", "5G 5G 5g towers", "it's the count's fault"]
    queries = [*odd, *wordings[::-1]]
    batched = index.scores(queries)
    assert batched.dtype == np.float32 and batched.shape == (len(queries), len(docs))
    assert np.array_equal(batched.view(np.int32), _per_query(index, queries).view(np.int32))
    assert not batched[:3].any() and batched[3].max() > 0  # nothing known scores 0; a repeated word counts again
    one_by_one = np.vstack([index.scores([q]) for q in queries])
    assert np.array_equal(one_by_one.view(np.int32), batched.view(np.int32))


def test_query_tokens_are_the_ones_bm25s_tokenize_gives() -> None:
    docs, wordings = _shipped_corpus()
    index = _Bm25(docs)
    queries = [*wordings, "Running runners ran; the RUN-off, re-run!", "naïve café déjà-vu"]
    expected = bm25s.tokenize(queries, stopwords="en", stemmer=index.stemmer, show_progress=False, return_ids=False)
    vocab = index.model.vocab_dict
    assert index.query_tokens(queries) == [[vocab[w] for w in words if w in vocab] for words in expected]
    assert index.scores([]).shape == (0, len(docs))
