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
query without a date ranks on the other features alone (`UNDATED`, `ALONE`: the re-ranker's undated heads).
Where a claim was made (`VENUES`, from the fact-check's "stated ... in a debate / a tweet / ..."): debate
sentences repeat what was said in debates and speeches more than what was posted online. How the candidate
list agrees with itself (no query date needed), each weighted by the other candidates' fused scores: the
share by the same speaker, stated within 3 days (a debate's fact-checks come out together), and close in
time (exp(−days / 365)); and how far the claim's day is from the day the top candidates point to. And how
the lines of one call agree (`batch_days`): the days the other lines' top candidates were stated, weighted
by their scores, near this claim's (within days: a debate's own fact-checks; within a year: its period).
A line searched alone gets 0 for both on every candidate; a call's lines are its distinct texts (`call_lines`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.narratives.speakers import surname

VENUES = ("debate", "speech", "broadcast", "ad", "online", "other")
_VENUE_WORDS = tuple((name, re.compile(pattern)) for name, pattern in (
    ("debate", r"debate|town ?hall|forum"),
    ("speech", r"speech|rally|remarks|address|state of the (union|state)|convention|sermon"),
    ("broadcast", r"interview|appearance|comments? on|segment|broadcast|show|meet the press|fox|cnn|msnbc|conference"
                  r"|podcast|radio|television|tv"),
    ("ad", r"\bads?\b|commercial|mailer|mail piece|fl[iy]er|billboard"),
    ("online", r"facebook|tweet|twitter|instagram|post|blog|chain|e-?mail|viral|meme|video|headline|website"
               r"|tiktok|web")))
DATE_FEATURES = ("stated_after", "stated_recency")
AGREEMENT = ("speaker_density", "sameday_density", "time_density", "time_gap", "stated_known")
BATCH_FEATURES = ("batch_sameday", "batch_period")
FEATURES = ("dense", "dense_raw", "lexical", "lexical_rel", "dense_gap", "fused", "inv_rank", "dense_inv_rank",
            "lexical_inv_rank", "clause_dense", "clause_gain", "query_covered",
            "doc_covered", "numbers_shared", "query_numbers_unmatched", "doc_numbers_unmatched", "names_shared",
            "speaker_named", "speaker_prominence", *DATE_FEATURES, *(f"venue_{v}" for v in VENUES),
            *AGREEMENT, *BATCH_FEATURES)
DATED = tuple(i for i, f in enumerate(FEATURES) if f not in BATCH_FEATURES)
UNDATED = tuple(i for i, f in enumerate(FEATURES) if f not in DATE_FEATURES)
ALONE = tuple(i for i in UNDATED if FEATURES[i] not in BATCH_FEATURES)
BATCH_COLUMNS = tuple(FEATURES.index(f) for f in BATCH_FEATURES)
# candidate-list agreement: softmax temperatures of the fused score (weights of the other candidates, and of
# the top candidates that date the query), how many of those, and the days that count as "together"
_AGREE_T, _DATE_T, _DATE_TOP, _SAME_DAYS, _YEAR = 0.02, 0.05, 10, 3, 365.0
# the other lines of a call: how many top candidates of each, and the two day scales
_BATCH_TOP, _BATCH_DAYS = 5, (3.0, 365.0)  # one scale per BATCH_FEATURES

_WORD = re.compile(r"[a-z0-9']+")
_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+")


def call_lines(queries: Sequence[str]) -> np.ndarray:
    """The line of its call each query is, numbered by first appearance: a repeated identical text is the same
    line, not another one. A call's size (`call_size`) is how many lines it has."""
    line = {t: n for n, t in enumerate(dict.fromkeys(queries))}
    return np.array([line[t] for t in queries], dtype=np.int64)


def call_size(queries: Sequence[str]) -> int:
    """How many lines a call has (`call_lines`): its distinct texts."""
    return len(set(queries))


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


def venue(where: str | None) -> str:
    """The kind of place a claim was made (one of `VENUES`), from its fact-check's "in a ..." words; "" unknown."""
    text = (where or "").lower()
    return next((name for name, pattern in _VENUE_WORDS if pattern.search(text)), "other" if text.strip() else "")


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

    def __init__(self, texts: Sequence[str], speakers: Sequence[str], stated: Sequence[dt.date | None] | None = None,
                 venues: Sequence[str] | None = None) -> None:
        self.words = _Words()
        self.stated = list(stated) if stated is not None else [None] * len(texts)
        self.docs = [self.side(t) for t in texts]
        counts = Counter(s for s in speakers if s)
        self.surname = [surname(s) for s in speakers]
        self.prominence = np.array([np.log1p(counts[s]) if s else 0.0 for s in speakers], dtype=np.float32)
        speaker_ids = {s: n for n, s in enumerate(dict.fromkeys(s for s in speakers if s), 1)}
        self.speaker = np.array([speaker_ids.get(s, 0) for s in speakers], dtype=np.int64)
        self.day = np.array([d.toordinal() if d else np.nan for d in self.stated], dtype=np.float64)
        given = list(venues) if venues is not None else [""] * len(texts)
        self.venue = np.array([[float(v == name) for name in VENUES] for v in given],
                              dtype=np.float32).reshape(len(texts), len(VENUES))

    def said_by(self, candidates: np.ndarray, speakers: frozenset[str]) -> np.ndarray:
        """1.0 for the candidates whose speaker's surname is one of `speakers` (`speakers.surname`), else 0.0."""
        return np.array([float(bool(self.surname[j]) and self.surname[j] in speakers) for j in np.asarray(candidates).tolist()],
                        dtype=np.float32)

    def side(self, text: str) -> _Side:
        return _Side(self.words.content(text), numbers(text), names(text))

    def pairs(self, query: str, candidates: Sequence[int], first: FirstStage, when: dt.date | None = None,
              batch: np.ndarray | None = None) -> np.ndarray:
        """len(candidates) × len(FEATURES); `candidates` are document indices best first (fused order),
        `first` this query's first-stage scores over all documents, `when` the day it was said (if known),
        `batch` its rows of `batch_days` (zeros if not given)."""
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
        pair = np.asarray(rows, dtype=np.float32).reshape(len(cand), len(FEATURES) - len(VENUES) - len(AGREEMENT)
                                                          - len(BATCH_FEATURES))
        batch = np.zeros((len(cand), len(BATCH_FEATURES)), dtype=np.float32) if batch is None else batch
        return np.concatenate([pair, self.venue[cand], self.agreement(cand, fused[cand]), batch], axis=1)

    def batch_days(self, queries: Sequence[str], candidates: np.ndarray, fused: np.ndarray,
                   needed: Sequence[bool] | None = None) -> np.ndarray:
        """queries × candidates × len(BATCH_FEATURES), for the `queries` of one call (`candidates` their document indices best
        first, `fused` their first-stage scores over all documents): how near each candidate's day is to the
        days of the other queries' top `_BATCH_TOP` candidates (each query's weights a softmax of its fused
        scores, `_AGREE_T`, summing to 1; a repeat of the same text is the same line, `call_lines`), exp(−days / scale)
        for each of `_BATCH_DAYS`; 0 without a day. `needed`: the queries whose rows are computed (the others
        are left 0 but still date the rest); all when not given."""
        top = candidates[:, :_BATCH_TOP]
        score = np.take_along_axis(fused, top, axis=1).astype(np.float64)
        weight = np.exp((score - score.max(1, keepdims=True)) / _AGREE_T)
        weight /= weight.sum(1, keepdims=True)
        day = self.day[top]
        weight = np.where(np.isnan(day), 0.0, weight)
        group = call_lines(queries)
        owner = np.repeat(group, top.shape[1])
        points, weight = np.nan_to_num(day.reshape(-1)), weight.reshape(-1)
        out = np.zeros((*candidates.shape, len(BATCH_FEATURES)), dtype=np.float32)
        for i, row in enumerate(candidates):
            if needed is not None and not needed[i]:
                continue
            others = weight * (owner != group[i])
            if others.sum() <= 0:
                continue
            apart = np.abs(self.day[row][:, None] - points[None, :])
            for n, scale in enumerate(_BATCH_DAYS):
                out[i, :, n] = np.nan_to_num(np.exp(-apart / scale) @ others / others.sum())
        return out

    def agreement(self, cand: np.ndarray, score: np.ndarray) -> np.ndarray:
        """len(cand) × len(AGREEMENT): how each candidate agrees with the others, weighted by their fused `score`
        (softmax, `_AGREE_T`): same speaker, stated within `_SAME_DAYS`, closeness in time; its distance in
        years from the day of the top `_DATE_TOP` dated candidates (weighted by `_DATE_T`); its day known."""
        s = score.astype(np.float64)
        weight = np.exp((s - s.max()) / _AGREE_T) if len(s) else s
        day = self.day[cand]
        known = ~np.isnan(day)
        apart = np.abs(day[:, None] - day[None, :])
        others = np.ones((len(cand), len(cand))) - np.eye(len(cand))
        speaker = self.speaker[cand]
        same_speaker = (speaker[:, None] == speaker[None, :]) & (speaker[:, None] > 0)
        together = np.nan_to_num(apart <= _SAME_DAYS)
        rest = np.maximum(weight.sum() - weight, 1e-9)
        dated_weight = weight * known
        close = np.nan_to_num(np.exp(-apart / _YEAR)) * others
        time_density = np.where(known, close @ dated_weight / np.maximum(dated_weight.sum() - dated_weight, 1e-9), 0.0)
        top = [i for i in np.argsort(-s, kind="stable")[:_DATE_TOP].tolist() if known[i]]
        gap = np.zeros(len(cand))
        if top:
            w = np.exp((s[top] - s.max()) / _DATE_T)
            gap = np.where(known, np.abs(day - (day[top] * w).sum() / w.sum()) / _YEAR, 0.0)
        return np.stack([(same_speaker * others) @ weight / rest, (together * others) @ weight / rest, time_density, gap,
                         known.astype(np.float64)], axis=1).astype(np.float32)

    @staticmethod
    def _dates(when: dt.date | None, stated: dt.date | None) -> tuple[float, float]:
        """(stated after the query, recency before it): 0, 0 unless both dates are known."""
        if when is None or stated is None:
            return 0.0, 0.0
        days = (when - stated).days
        return (1.0, 0.0) if days < 0 else (0.0, math.exp(-days / 365.0))
