"""Who said a line, as the re-ranker's speaker boost reads it: surnames, given or named in a transcript id.

A speaker is compared by surname (the last word, lower case): "Donald Trump", "TRUMP" and "Mr. Trump" are
one speaker, as PolitiFact's `speaker` and debate transcripts write them differently. A CheckThat!/CLEF
line id `YYYYMMDD_<event>_<line>` often names its speaker in the event (`20170822_Trump_phoenix_0204`); a
word of the event names one when it is the surname of a person the index holds many claims of
(`SpeakerNames`), so place and topic words ("Florida", "democrats", "press") that end some organisation's
name do not.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

MIN_CLAIMS = 20  # claims of one person in the index before an id's word is read as their surname
MIN_SHARE = 0.8  # of the claims by speakers with that surname
_PERSON = re.compile(r"^[A-Z][\w.'’-]*( [A-Z][\w.'’-]*){1,2}$")  # 2-3 capitalised words: a person, not "Party of Texas"
_ID = re.compile(r"^\d{8}_(.+)_\d+$")


def surname(name: str) -> str:
    """A speaker's surname, lower case ("" for no name)."""
    words = name.split()
    return words[-1].lower() if words else ""


class SpeakerNames:
    """The surnames an id's event words can name, from the index's document speakers."""

    def __init__(self, speakers: Iterable[str]) -> None:
        by_surname: dict[str, Counter[str]] = defaultdict(Counter)
        for name in speakers:
            if name:
                by_surname[surname(name)][name] += 1
        self.named = frozenset(s for s, names in by_surname.items()
                               if (top := names.most_common(1)[0])[1] >= MIN_CLAIMS
                               and top[1] >= MIN_SHARE * sum(names.values()) and _PERSON.match(top[0]))

    def from_id(self, query_id: object) -> frozenset[str]:
        """The surnames a transcript line id names in its event part (none for another id)."""
        m = _ID.match(query_id) if isinstance(query_id, str) else None
        return frozenset(w for w in m.group(1).lower().split("_") if w in self.named) if m else frozenset()


def given(names: Sequence[str]) -> frozenset[str]:
    """The surnames of speakers given by name."""
    return frozenset(s for s in map(surname, names) if s)
