"""Features of a (query, candidate document) pair for the learned re-ranker (`retrieval_model`).

Score features come from the first stage: adapted dense, raw dense, BM25, the fused score, the ranks in
the fused, dense and BM25 orders, and the best adapted dense score of the query's clauses (`spans`; a
claim is often one clause of a longer debate sentence);
lexical ones compare what a live speaker repeats word for word: content words (Snowball stems, English
stop words removed), numbers, capitalised names, the claim's speaker named in the query. One prior is
about the document alone: how many claims of its speaker the index holds (log 1 + count; 0 without a
speaker), i.e. how often fact-checkers check that speaker. Two compare dates, when the query has one
(when it was said) and the claim too (when it was stated): the claim stated after the query (fact-checked
claims are older than their repeats), and how recently before it, exp(−days / 365); both 0 otherwise, so a
query without a date ranks on the other features alone.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("dense", "dense_raw", "lexical", "lexical_rel", "dense_gap", "fused", "inv_rank", "dense_inv_rank",
            "lexical_inv_rank", "clause_dense", "clause_gain", "query_covered",
            "doc_covered", "numbers_shared", "query_numbers_unmatched", "doc_numbers_unmatched", "names_shared",
            "speaker_named", "speaker_prominence", "stated_after", "stated_recency")

_WORD = re.compile(r"[a-z0-9']+")
_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+")


class _Words:
    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self.stemmer = Stemmer.Stemmer("english")
        self.stop = frozenset(STOPWORDS_EN)

    def content(self, text: str) -> frozenset[str]:
        return frozenset(self.stemmer.stemWord(w) for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in self.stop)


def numbers(text: str) -> frozenset[str]:
    return frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))


def names(text: str) -> frozenset[str]:
    """Capitalised words, the sentence's first word left out (capitalised anyway)."""
    found = [(m.start(), m.group()) for m in _NAME.finditer(text)]
    return frozenset(w.lower() for start, w in found if start > 0 and text[:start].strip())


@dataclass(frozen=True)
class FirstStage:
    """One query's first-stage scores over every document."""

    dense: np.ndarray
    dense_raw: np.ndarray
    lexical: np.ndarray
    fused: np.ndarray
    clause: np.ndarray


@dataclass(frozen=True)
class _Side:
    content: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]


class DocumentFeatures:
    """What the pair features need of every document, computed once per index."""

    def __init__(self, texts: Sequence[str], speakers: Sequence[str], stated: Sequence[dt.date | None] | None = None) -> None:
        self.words = _Words()
        self.stated = list(stated) if stated is not None else [None] * len(texts)
        self.docs = [self.side(t) for t in texts]
        counts = Counter(s for s in speakers if s)
        self.surname = [s.split()[-1].lower() if s else "" for s in speakers]
        self.prominence = np.array([np.log1p(counts[s]) if s else 0.0 for s in speakers], dtype=np.float32)

    def side(self, text: str) -> _Side:
        return _Side(self.words.content(text), numbers(text), names(text))

    def pairs(self, query: str, candidates: Sequence[int], first: FirstStage, when: dt.date | None = None) -> np.ndarray:
        """len(candidates) × len(FEATURES); `candidates` are document indices best first (fused order),
        `first` this query's first-stage scores over all documents, `when` the day it was said (if known)."""
        q = self.side(query)
        spoken = set(query.lower().split())
        cand = np.asarray(candidates)
        dense, dense_raw, lexical, fused, clause = first.dense, first.dense_raw, first.lexical, first.fused, first.clause
        lex = lexical[cand]
        dense_rank = (dense[None, :] > dense[cand][:, None]).sum(1)
        lexical_rank = (lexical[None, :] > lex[:, None]).sum(1)
        rows = []
        for rank, j in enumerate(cand.tolist()):
            d = self.docs[j]
            shared = len(q.content & d.content)
            same_numbers = q.numbers & d.numbers
            rows.append([
                dense[j], dense_raw[j], lexical[j], lexical[j] / (lex.max() + 1e-9), dense[j] - dense[cand].max(),
                fused[j], 1.0 / (rank + 1), 1.0 / (dense_rank[rank] + 1), 1.0 / (lexical_rank[rank] + 1),
                clause[j], clause[j] - dense[j], shared / max(1, len(q.content)), shared / max(1, len(d.content)),
                len(same_numbers), float(bool(q.numbers) and not same_numbers), float(bool(d.numbers) and not same_numbers),
                len(q.names & d.names), float(bool(self.surname[j]) and self.surname[j] in spoken), self.prominence[j],
                *self._dates(when, self.stated[j]),
            ])
        return np.asarray(rows, dtype=np.float32).reshape(len(cand), len(FEATURES))

    @staticmethod
    def _dates(when: dt.date | None, stated: dt.date | None) -> tuple[float, float]:
        """(stated after the query, recency before it): 0, 0 unless both dates are known."""
        if when is None or stated is None:
            return 0.0, 0.0
        days = (when - stated).days
        return (1.0, 0.0) if days < 0 else (0.0, math.exp(-days / 365.0))
