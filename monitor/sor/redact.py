"""Remove personal data from text that goes into a statement of reasons (which must hold none).

Three passes, each replacing what it finds with a neutral marker:
1. contact data: e-mail addresses, URLs, @handles, phone-like digit runs and street addresses
   ("on mill road");
2. every known person string — speaker names (in full and each part of three or more letters) and
   speaker ids from the decision log — case- and accent-insensitively, as whole words;
3. a proper-name heuristic: two or more consecutive capitalised words ("Maria Keller"), and the
   word after a title or honorific in any case ("Mr Keller", "judge vosk"), unless it is a function
   word ("the president said").
The heuristic over-redacts some place or event names; in a statement of reasons that is the safe
side of the trade.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

PERSON = "[person]"
CONTACT = "[contact]"
ADDRESS = "[address]"

# A match may only start where the local part starts (not inside a run of its characters), so each run is
# scanned once: linear time, where `\b[\w.+-]+@` retried from every word boundary inside "a.a.a.…" (quadratic).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w{2,}")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{6,}\d(?!\w)")
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]*"
_NAME_RUN = re.compile(rf"\b{_CAP}(?:\s+{_CAP})+\b")
_NOT_A_NAME = (
    "said|says|is|was|has|had|of|and|or|to|the|who|whose|should|will|would|could|must|a|an|in|on|at|for|with|"
    "from|by|that|this|it|he|she|they|we|you|i"
)
_TITLED = re.compile(
    r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|senator|minister|mayor|president|governor|judge|officer|councillor|"
    rf"candidate|deputy|mep|mp)\.?\s+(?!(?:{_NOT_A_NAME})\b)[^\W\d_][\w-]*",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"\b(on|at|in|near)\s+(?:\d+\s+)?[^\W\d_][\w-]*\s+(?:road|street|st|avenue|ave|lane|drive|close|crescent|square)\b",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    """Lower-case and strip accents, keeping string length (one code point per input code point)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[0]
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def person_terms(names: Iterable[str | None], ids: Iterable[str | None] = ()) -> list[str]:
    """Strings that identify people: full names, their parts of 3+ letters, and ids; longest first."""
    terms: set[str] = set()
    for name in names:
        if not name:
            continue
        terms.add(name.strip())
        terms.update(part for part in re.split(r"[^\w'’]+", name) if len(part) >= 3)
    terms.update(i.strip() for i in ids if i and i.strip())
    return sorted(terms, key=len, reverse=True)


def redact(text: str, terms: Iterable[str]) -> str:
    """`text` without known person strings, contact data or apparent proper names."""
    text = _EMAIL.sub(CONTACT, text)
    text = _URL.sub(CONTACT, text)
    text = _HANDLE.sub(CONTACT, text)
    text = _PHONE.sub(CONTACT, text)
    text = _ADDRESS.sub(lambda m: f"{m.group(1)} {ADDRESS}", text)
    for term in terms:
        folded_text, folded_term = _fold(text), _fold(term)
        pattern = re.compile(rf"(?<!\w){re.escape(folded_term)}(?!\w)")
        spans = [m.span() for m in pattern.finditer(folded_text)]
        for start, end in reversed(spans):
            text = text[:start] + PERSON + text[end:]
    text = _TITLED.sub(PERSON, text)
    text = _NAME_RUN.sub(PERSON, text)
    return re.sub(rf"{re.escape(PERSON)}(?:\s+{re.escape(PERSON)})+", PERSON, text)
