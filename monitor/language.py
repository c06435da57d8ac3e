"""Which language each chunk is in, and whether the loaded classifier reads it.

A chunk's own `language` is trusted. Chunks without one are identified per broadcast window, not per
fragment: one detector call per broadcast per batch, over the broadcast's preceding window chunks and
this batch's chunks joined (capped at `WINDOW_CHARS`), so a three-word fragment inherits the language of
the speech around it. A window too short or too ambiguous to call keeps the broadcast's last identified
language; with none yet the chunk's language is undetermined and it is scored as the model's own.

A chunk in a language the classifier does not support is not scored as if it were: it is routed past the
classifier, counted in `cct_unsupported_language_chunks_total{language}`, logged once per broadcast and
language, and only rules that declare its language apply to it (`rule_applies`).
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol

from monitor.stages import WorkItem

log = logging.getLogger(__name__)

# The 24 official languages of the EU (ISO 639-1).
EU_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)
# Languages often heard on EU broadcasts beside the official ones; identified so they are not mistaken for one.
NEIGHBOUR_LANGUAGES: tuple[str, ...] = ("ar", "ru", "sq", "sr", "tr", "uk")
# The codes a rule's `languages:` may name: the ISO 639-1 codes the detector (py3langid) knows.
KNOWN_LANGUAGES: frozenset[str] = frozenset({
    "af", "am", "an", "ar", "as", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "cs", "cy", "da", "de", "dz",
    "el", "en", "eo", "es", "et", "eu", "fa", "fi", "fo", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi",
    "hr", "ht", "hu", "hy", "id", "ig", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "ku", "ky", "la",
    "lb", "lg", "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no",
    "oc", "om", "or", "pa", "pl", "ps", "pt", "qu", "ro", "ru", "rw", "sa", "se", "si", "sk", "sl", "sn", "so",
    "sq", "sr", "st", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl", "tr", "tt", "ug", "uk", "ur", "uz", "vi",
    "vo", "wa", "xh", "yo", "zh", "zu",
})
WINDOW_CHARS = 600          # the most recent characters of a broadcast window the detector reads
MIN_CHARS = 12              # below this a window is too short to call
MIN_CONFIDENCE = 0.5        # the detector's probability for its best language must reach this


class Detector(Protocol):
    """Identifies the language of a text: (ISO 639-1 code, confidence in [0, 1]), or None when it cannot."""

    def detect(self, text: str) -> tuple[str, float] | None: ...


class Py3LangidDetector:
    """py3langid (a bundled naive-Bayes n-gram model) over the EU languages and their neighbours.

    Chosen by `scripts/langid_bench.py` over lingua-language-detector: as accurate on short spoken sentences
    and windows, ~6x cheaper per call than lingua's low-accuracy mode and a fraction of its high-accuracy memory.
    """

    def __init__(self, languages: Iterable[str] = (*EU_LANGUAGES, *NEIGHBOUR_LANGUAGES)) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(languages))

    def detect(self, text: str) -> tuple[str, float] | None:
        language, confidence = self._identifier.classify(text)
        return str(language), float(confidence)


@functools.cache
def default_detector() -> Py3LangidDetector:
    """One detector per process (its model is read once, on first use)."""
    return Py3LangidDetector()


def identify(text: str, detector: Detector | None = None) -> str | None:
    """The language of a window of text (its last `WINDOW_CHARS`), or None when it is too short or too
    ambiguous to call."""
    text = text.strip()[-WINDOW_CHARS:]
    if len(text) < MIN_CHARS:
        return None
    found = (detector or default_detector()).detect(text)
    return found[0] if found is not None and found[1] >= MIN_CONFIDENCE else None


def rule_applies(rule_languages: Sequence[str] | None, language: str | None, supported: Sequence[str] | None) -> bool:
    """Whether a rule runs on a chunk. A rule that declares languages runs on chunks known to be in one of them;
    one that does not runs on the languages the classifier supports (every language, without a classifier) and
    on chunks whose language is undetermined."""
    if rule_languages:
        return language in rule_languages
    return language is None or supported is None or language in supported


class LanguageCounter(Protocol):
    """The metric `LanguageRouter` counts unsupported chunks in (a Prometheus Counter with a `language` label)."""

    def labels(self, language: str) -> object: ...


class LanguageRouter:
    """Sets `language`, `language_source` and `unsupported_language` on each work item of a batch."""

    def __init__(self, supported: Sequence[str] | None, counter: LanguageCounter | None = None,
                 detector: Detector | None = None, max_broadcasts: int = 10_000) -> None:
        """`supported`: the classifier's languages; None (no classifier) trusts declared languages only, detects none."""
        self.supported = tuple(supported) if supported is not None else None
        self.counter = counter
        self._detector = detector
        self.max_broadcasts = max_broadcasts
        self._last: OrderedDict[str, str] = OrderedDict()      # broadcast → last identified language
        self._logged: OrderedDict[tuple[str, str], None] = OrderedDict()

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = default_detector()
        return self._detector

    def route(self, items: Sequence[WorkItem]) -> None:
        """Resolve every item's language (one detector call per broadcast needing one) and mark the unsupported."""
        pending: OrderedDict[str, list[WorkItem]] = OrderedDict()
        for item in items:
            if item.chunk.language:
                item.language, item.language_source = item.chunk.language, "chunk"
            else:
                pending.setdefault(item.chunk.broadcast_id, []).append(item)
        if self.supported is None:
            return
        for broadcast_id, group in pending.items():
            language, source = self._identify(broadcast_id, group)
            for item in group:
                item.language, item.language_source = language, source
        for item in items:
            if item.language is not None and item.language not in self.supported:
                item.unsupported_language = item.language
                self._report(item)

    def _identify(self, broadcast_id: str, group: list[WorkItem]) -> tuple[str | None, str | None]:
        """The broadcast window's language: detected now, else the broadcast's last one, else undetermined."""
        seen = {item.chunk.seq for item in group}
        context = [c.text for c in group[-1].context if c.seq not in seen and not c.language]
        found = identify(" ".join([*context, *(item.chunk.text for item in group)]), self.detector)
        if found is not None:
            self._remember(broadcast_id, found)
            return found, "detected"
        last = self._last.get(broadcast_id)
        return (last, "broadcast") if last is not None else (None, None)

    def _remember(self, broadcast_id: str, language: str) -> None:
        self._last[broadcast_id] = language
        self._last.move_to_end(broadcast_id)
        while len(self._last) > self.max_broadcasts:
            self._last.popitem(last=False)

    def _report(self, item: WorkItem) -> None:
        language = item.unsupported_language or ""
        if self.counter is not None:
            self.counter.labels(language).inc()  # type: ignore[attr-defined]
        key = (item.chunk.broadcast_id, language)
        if key in self._logged:
            return
        self._logged[key] = None
        while len(self._logged) > self.max_broadcasts:
            self._logged.popitem(last=False)
        log.warning("broadcast %s speaks %s (%s), which the classifier does not read (it reads %s): its chunks are "
                    "not scored; only rules that declare %s apply", item.chunk.broadcast_id, language,
                    item.language_source, ",".join(self.supported or ()), language)
