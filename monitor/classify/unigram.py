"""A lean Unigram model: the word pieces, ids and offsets of the `tokenizers` library's Unigram, in about a third of its memory.

The library holds a Unigram vocabulary as a byte trie with a hash map per node: ~100 MiB resident for the
multilingual export's 120,000 pieces (`python scripts/replica_memory.py --engine-parts`). This model keeps
one dict of the pieces and a list of their scores (+37 MiB once loaded) and runs the library's own Viterbi
(`Unigram::encode_optimized`, a port of SentencePiece's) in Python, with the library's normalizer,
pre-tokenizer and post-processor (a `Tokenizer` of the same file with a one-piece model) and its alignment
tracking (`PreTokenizedString`), so ids and offsets are the library's.

A SentencePiece vocabulary makes this cheap: no piece holds the word-boundary mark `▁` after its first
character (and `▁` is a piece; checked at load, `LeanUnsupported` otherwise and `FastTokenizer` keeps the
library's model), so every segmentation has a boundary before each `▁`, no run of unknown characters spans
one, and a word's best pieces do not depend on the words before it — up to the rounding of the float64
sums, which in the library's left-to-right pass over the whole text start from the score of the best path
to the word. A word is segmented from 0 (and cached) and that is used while every comparison of its pass is
decided by more than the rounding the library's sums can carry (`Pieces.tie`); a word with a closer
comparison (an exact tie between two segmentations is the usual one) is run again from the library's
starting score, which is the fold of the chosen pieces' scores before it.

Added tokens (`<s>`, `</s>`, …) in the text are isolated before normalisation and become their ids, as the
library's added vocabulary does (all of them must be un-normalised whole-string matches).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokenizers import Encoding, PreTokenizedString, Regex, Token, Tokenizer

#: The library's penalty of an unknown character below the lowest piece score (`K_UNK_PENALTY`).
UNK_PENALTY = 10.0
MARK = "\u2581"
#: Words whose segmentation is kept (~200 bytes each).
WORD_CACHE = 32_768


#: (id, piece, start, end in bytes of the word) of each piece of a word.
Pieces = tuple[tuple[int, str, int, int], ...]


@dataclass(frozen=True)
class Segmentation:
    """A word's best pieces."""

    pieces: Pieces
    #: The score each node of the best path adds, in order (an unknown character each, before fusing).
    steps: tuple[float, ...]
    #: The smallest score difference that decided a comparison of the pass.
    margin: float


@dataclass(frozen=True)
class Vocabulary:
    """Id of each piece, score of each id."""

    ids: dict[str, int]
    scores: list[float]
    unk_id: int
    unk_score: float
    #: The longest piece, in characters.
    longest: int
    #: The largest score magnitude, the unknown character's included.
    largest: float

    def tie(self, length: int) -> float:
        """A score difference below which a comparison in a `length`-character text may be decided by rounding.

        Each sum of a pass adds at most `length` scores of magnitude at most `largest`, so it is within
        length**2 * largest * 2**-53 of its exact value; a difference over four times that (both sides, in
        the word's pass from 0 and in the library's) has the same sign in both; this is eight times it."""
        return 8.0 * length * length * self.largest * 2.0**-53

    def segment(self, word: str, base: float = 0.0) -> Segmentation:
        """The best segmentation of one word by the library's `encode_optimized` pass from score `base`
        (pieces from each start shortest first, a strictly better sum replaces, an unknown character scores
        `unk_score`), then its backtracking, which fuses adjacent unknown characters into one piece."""
        ids, scores, unk_id = self.ids, self.scores, self.unk_id
        n = len(word)
        best = [base] * (n + 1)
        source = [-1] * (n + 1)  # start of the best piece ending here (-1: none yet)
        chosen = [0] * (n + 1)
        gain = [0.0] * (n + 1)  # the score the best piece ending here adds
        margin = math.inf
        for start in range(n):
            here = best[start]
            single = False
            for end in range(start + 1, min(n, start + self.longest) + 1):
                pid = ids.get(word[start:end])
                if pid is None:
                    continue
                single = single or end == start + 1
                score = scores[pid] + here
                if source[end] >= 0:
                    margin = min(margin, abs(score - best[end]))
                if source[end] < 0 or score > best[end]:
                    best[end], source[end], chosen[end], gain[end] = score, start, pid, scores[pid]
            if not single:
                score = self.unk_score + here
                end = start + 1
                if source[end] >= 0:
                    margin = min(margin, abs(score - best[end]))
                if source[end] < 0 or score > best[end]:
                    best[end], source[end], chosen[end], gain[end] = score, start, unk_id, self.unk_score
        path: list[tuple[int, int]] = []
        end = n
        while end > 0:
            path.append((source[end], end))
            end = source[end]
        path.reverse()
        steps = tuple(gain[end] for _, end in path)
        spans: list[tuple[int, int]] = []
        for start, end in path:
            if chosen[end] == unk_id and spans and chosen[spans[-1][1]] == unk_id:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        pieces, offset = [], 0
        for start, end in spans:
            piece = word[start:end]
            size = len(piece.encode("utf-8"))
            pieces.append((ids.get(piece, unk_id), piece, offset, offset + size))
            offset += size
        return Segmentation(tuple(pieces), steps, margin)


class LeanUnsupported(ValueError):
    """The tokenizer file is not a Unigram model this lean form reproduces exactly."""


def _check(config: dict[str, Any]) -> None:
    model = config.get("model") or {}
    if model.get("type") != "Unigram":
        raise LeanUnsupported(f"model {model.get('type')!r} is not Unigram")
    if model.get("byte_fallback"):
        raise LeanUnsupported("byte fallback is not reproduced")
    if model.get("unk_id") is None:
        raise LeanUnsupported("no unknown-piece id")
    pre = config.get("pre_tokenizer") or {}
    if pre.get("type") != "Metaspace" or pre.get("split") or pre.get("replacement") != MARK:
        raise LeanUnsupported(f"pre-tokenizer {pre} is not an unsplit Metaspace with {MARK!r}")
    for added in config.get("added_tokens") or []:
        if added["normalized"] or added["single_word"] or added["lstrip"] or added["rstrip"]:
            raise LeanUnsupported(f"added token {added['content']!r} is normalised or stripped")
    pieces = {piece for piece, _ in model["vocab"]}
    if MARK not in pieces or any(MARK in piece[1:] for piece in pieces):
        raise LeanUnsupported(f"{MARK!r} is not a piece of its own, or a piece holds it after its start")


class LeanUnigram:
    """Encodes texts as the library's `Tokenizer.encode(text, add_special_tokens=False)` does for a Unigram file.

    `pipeline` is the same file's `Tokenizer` with a one-piece model: its normalizer, pre-tokenizer and
    post-processor are the file's, at a few kilobytes."""

    def __init__(self, config: dict[str, Any]) -> None:
        _check(config)
        model = config["model"]
        vocab = model["vocab"]
        self.unk_id = int(model["unk_id"])
        scores = [score for _, score in vocab]
        unk_score = min(scores) - UNK_PENALTY
        self._vocabulary = Vocabulary({piece: i for i, (piece, _) in enumerate(vocab)}, scores, self.unk_id, unk_score,
                                      max(len(piece) for piece, _ in vocab), max(-unk_score, *map(abs, scores)))
        added = {a["content"]: int(a["id"]) for a in config.get("added_tokens") or []}
        self._added = added
        alternatives = "|".join(re.escape(a) for a in sorted(added, key=len, reverse=True))
        self._added_pattern = re.compile(alternatives) if added else None
        self._added_regex = Regex(alternatives) if added else None
        shell = {**config, "model": {**model, "vocab": [["<unk>", 0.0]], "unk_id": 0}}
        self.pipeline = Tokenizer.from_str(json.dumps(shell))
        self._normalizer = self.pipeline.normalizer
        self._pre_tokenizer = self.pipeline.pre_tokenizer
        self._word: Callable[[str], Segmentation] = functools.lru_cache(WORD_CACHE)(self._vocabulary.segment)

    def encode(self, text: str) -> Encoding:
        """The text's pieces without special tokens, offsets in characters of `text`."""
        pre = PreTokenizedString(text)
        if self._added_pattern is None or self._added_pattern.search(text) is None:
            if self._normalizer is not None:
                pre.normalize(self._normalizer.normalize)
            self._pre_tokenizer.pre_tokenize(pre)
            pre.tokenize(self._tokens)
            return pre.to_encoding()
        return self._encode_with_added(pre)

    def _encode_with_added(self, pre: PreTokenizedString) -> Encoding:
        """`encode` of a text holding added tokens: each match is a split of its own, left un-normalised, and
        becomes its token; the `▁` the pre-tokenizer puts before it (the library never pre-tokenizes it) is
        not a piece, the token's offsets are the match's."""
        pre.split(lambda _, split: split.split(self._added_regex, "isolated"))
        # before normalisation a split equals an added token only when it is a match (a non-match would hold one)
        added = [s if s in self._added else None for s, _, _ in pre.get_splits()]

        def normalize(split: Any) -> None:
            if split.normalized not in self._added:
                self._normalizer.normalize(split)

        if self._normalizer is not None:
            pre.normalize(normalize)
        # the pre-tokenizer drops the splits normalised to nothing
        kinds = iter([a for a, (s, _, _) in zip(added, pre.get_splits(), strict=True) if s])
        self._pre_tokenizer.pre_tokenize(pre)

        def tokenize(split: str) -> list[Token]:
            content = next(kinds)
            if content is None:
                return self._tokens(split)
            end = len(split.encode("utf-8"))
            return [Token(self._added[content], content, (end - len(content.encode("utf-8")), end))]

        pre.tokenize(tokenize)
        return pre.to_encoding()

    def _tokens(self, split: str) -> list[Token]:
        """The pieces of one pre-tokenized split (offsets in its bytes), word by word."""
        first, *rest = split.split(MARK)
        words = [MARK + word for word in rest]
        if first:
            words.insert(0, first)
        tie = self._vocabulary.tie(len(split))
        tokens: list[Token] = []
        base, offset = 0.0, 0
        for word in words:
            found = self._word(word)
            if found.margin <= tie:
                found = self._vocabulary.segment(word, base)
            for step in found.steps:
                base = step + base
            tokens.extend([Token(pid, piece, (offset + start, offset + end)) for pid, piece, start, end in found.pieces])
            offset += found.pieces[-1][3]
        return tokens
