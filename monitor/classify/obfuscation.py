"""Undo the commonest deliberate misspellings of abusive words, for a lexical block's n-grams: digits and
symbols standing for letters inside a word ("h4te", "mu$lim") and a word spelled out letter by letter
("h a t e"). Ordinary text comes back unchanged, so a block that reads both spellings gains columns only on
obfuscated text."""

from __future__ import annotations

import re

# digit and symbol look-alikes of letters (leet speak)
_LOOKALIKE = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t"})
# a token of four or more letters and look-alikes, with two letters or more and one look-alike or more, that does
# not start with a digit, or a look-alike between two letters ("g4y"); "7th", "4x4", "3rd", "mp3", "b4" and
# "covid19" stay as they are
_MIXED = re.compile(r"(?<![\w@$!])(?:(?=(?:[^\W\d_]*[4@310!5$7]){1})(?=(?:[4@310!5$7]*[a-z]){2})"
                    r"[a-z@$][a-z4@310!5$7]{3,}|[a-z][4@310!5$7][a-z])(?![\w@$])", re.IGNORECASE)
# four or more single letters, one space apart ("h a t e"); a leading "I" or "a" stays a word of its own
_SPELLED = re.compile(r"(?<!\w)(?:(?:[ia]) (?=(?:[a-z] ){3,}[a-z](?!\w)))?((?:[a-z] ){3,}[a-z])(?!\w)", re.IGNORECASE)


def _join(match: re.Match[str]) -> str:
    whole, word = match.group(0), match.group(1)
    return whole[: len(whole) - len(word)] + word.replace(" ", "")


def deobfuscate(text: str) -> str:
    """`text` with look-alike characters inside words read as letters and spelled-out words joined."""
    text = _MIXED.sub(lambda m: m.group(0).translate(_LOOKALIKE), text)
    return _SPELLED.sub(_join, text)
