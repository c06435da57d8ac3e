"""Route each chunk to the classifier that reads its language: English to the English model, the supported
non-English EU languages to the multilingual engine and its heads (`classifier.multilingual`).

One encoder forward per chunk: a batch is split by language, each part scored by one classifier, the
scores put back in order. The multilingual engine is verified at start but its ONNX Runtime session and
tokenizer (~190 MiB resident) are created when the first chunk routed to it arrives, logged once, so a
replica that only ever sees English never holds them. Chunks whose language is undetermined or unsupported stay with the English
classifier (the language router has already kept unsupported ones away from it). Each decision carries
the model that scored its chunk (`model_for`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from monitor.classify.heads import load_heads
from monitor.classify.labels import STANCE_LABELS
from monitor.classify.ort_encoder import OnnxEncoder
from monitor.classify.scorer import Scorer
from monitor.classify.stage import TransformerClassifier, model_sha256, shipped_labels
from monitor.narratives.crosslingual import RoutedTextEncoder
from monitor.narratives.index import TextEncoder
from monitor.settings import ClassifierSettings
from monitor.stages import Classifier, ModelInfo, WorkItem

log = logging.getLogger(__name__)
#: The EU languages (besides English) the multilingual engine reads: those whose common words chose its
#: vocabulary (`vocab_usage.WORDFREQ_LISTS`; et, ga and mt are not among them and stay unsupported).
MULTILINGUAL_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "es", "fi", "fr", "hr", "hu", "it", "lt", "lv", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)


class MultilingualUnavailable(RuntimeError):
    """`classifier.multilingual: on` but the engine or its heads are missing or do not verify."""


def multilingual_classifier(settings: ClassifierSettings) -> TransformerClassifier | None:
    """The multilingual engine + heads, or None when `multilingual` is off, or auto and it is not built/verified.

    The engine is verified now and loads at its first encode."""
    if settings.multilingual == "off":
        return None
    try:
        from monitor.classify.ort_encoder import StaleExport
        from monitor.multilingual.engine import MultilingualEncoder, bundled

        heads_dir = Path(settings.multilingual_models_dir or bundled("multilingual")) / "heads"

        encoder = MultilingualEncoder(settings.multilingual_onnx_dir, threads=settings.threads,
                                      max_tokens=settings.max_tokens, lazy=True)
        heads = load_heads(heads_dir, shipped_labels(heads_dir))
        stale = [h.label for h in heads if h.meta.get("encoder", {}).get("sha256") != encoder.sha256]
        if stale:
            raise StaleExport(f"heads {stale} in {heads_dir} were trained for another multilingual encoder")
    except (ImportError, FileNotFoundError, ValueError, RuntimeError) as exc:
        if settings.multilingual == "on":
            raise MultilingualUnavailable(f"classifier.multilingual is on but the engine is unusable: {exc}") from exc
        log.info("multilingual engine not used (%s); non-English chunks stay unsupported", exc)
        return None
    info = ModelInfo(name=f"{encoder.name}+heads", sha256=model_sha256(encoder, heads_dir, heads),
                     labels=tuple(h.label for h in heads), thresholds={h.label: h.threshold for h in heads},
                     languages=MULTILINGUAL_LANGUAGES)
    return TransformerClassifier(Scorer(encoder, heads, max_batch_size=settings.max_batch_size,
                                        cache_mb=settings.embedding_cache_mb), info, heads_dir)


class RoutedClassifier:
    """A `Classifier` that scores each item with the English or the multilingual classifier by its language."""

    def __init__(self, english: TransformerClassifier, multilingual: TransformerClassifier) -> None:
        # Stance heads are optional: a chunk the other engine scores has no stance score (a label leaf on it is false).
        harm = [set(c.info.labels) - set(STANCE_LABELS) for c in (english, multilingual)]
        if harm[0] != harm[1]:
            raise ValueError(f"the multilingual heads score {sorted(harm[1])}, the English ones "
                             f"{sorted(harm[0])}; both must score the same labels")
        self.english, self.multilingual = english, multilingual
        self._multilingual_used = False
        self.scorer = english.scorer
        en, ml = english.info, multilingual.info
        self._info = ModelInfo(
            name=f"{en.name} | {ml.name}", sha256=hashlib.sha256(f"{en.sha256}:{ml.sha256}".encode()).hexdigest(),
            labels=en.labels, thresholds=dict(en.thresholds),
            languages=tuple(dict.fromkeys([*en.languages, *ml.languages])),
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _routed(self, item: WorkItem) -> bool:
        """Multilingual for the item's resolved language, else its chunk's declared one (inline rule tests
        declare `fields: {language: de}` and are not routed by the language router)."""
        return self.routes(item.language or item.chunk.language)

    @contextmanager
    def lazy_through(self) -> Iterator[None]:
        """Score inline rule tests without keeping the multilingual engine: if they are what loaded it, it is
        released after them (its session and tokenizer, ~270 MiB; its cached embeddings), so an English-only
        replica does not hold it for its start-up or reload tests; the first real chunk in one of its
        languages loads it again."""
        used = self._multilingual_used
        try:
            yield
        finally:
            encoder = self.multilingual.scorer.encoder
            if not used and self._multilingual_used and isinstance(encoder, OnnxEncoder):
                encoder.unload()
                self.multilingual.scorer.clear_cache()
                self._multilingual_used = False
                log.info("multilingual engine released after the rule tests (loaded again at the first chunk routed to it)")

    def model_for(self, item: WorkItem) -> ModelInfo:
        """The model that scores (scored) `item`."""
        return self.multilingual.info if self._routed(item) else self.english.info

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        """One {label: probability} per item, in order; each item encoded once, by its language's engine."""
        out: list[dict[str, float]] = [{} for _ in items]
        parts: dict[bool, list[int]] = {False: [], True: []}
        for i, item in enumerate(items):
            parts[self._routed(item)].append(i)
        for routed, idx in parts.items():
            if routed and idx and not self._multilingual_used:
                self._multilingual_used = True
                first = items[idx[0]]
                log.info("first chunk in %s (broadcast %s): loading the multilingual engine %s",
                         first.language or first.chunk.language, first.chunk.broadcast_id, self.multilingual.info.name)
            if idx:
                clf = self.multilingual if routed else self.english
                for i, scores in zip(idx, clf.score([items[i] for i in idx]), strict=True):
                    out[i] = scores
        return out

    def routes(self, language: str | None) -> bool:
        """Whether a text in `language` is scored by the multilingual engine (None: undetermined, English)."""
        return language in self.multilingual.info.languages and language not in self.english.info.languages

    def score_texts(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None,
                    languages: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        """Plain texts, each by its language's engine (`languages[i]`; without languages, the English one)."""
        routed = [i for i, language in enumerate(languages or ()) if self.routes(language)]
        if not routed:
            return self.english.score_texts(texts, contexts)
        out: list[dict[str, float]] = [{} for _ in texts]
        english = sorted(set(range(len(texts))) - set(routed))
        for idx, clf in ((english, self.english), (routed, self.multilingual)):
            if idx:
                ctx = [contexts[i] for i in idx] if contexts is not None else None
                for i, scores in zip(idx, clf.score_texts([texts[i] for i in idx], ctx), strict=True):
                    out[i] = scores
        return out

    def text_encoder(self) -> TextEncoder | None:
        """The English classifier's encoder, routed with the multilingual one for the languages only it reads
        (`RoutedTextEncoder`: chunks in them are matched against the narratives cross-lingually)."""
        english, multilingual = self.english.text_encoder(), self.multilingual.text_encoder()
        if english is None or multilingual is None:
            return english
        languages = frozenset(self.multilingual.info.languages) - set(self.english.info.languages)
        return RoutedTextEncoder(english, multilingual, languages)

    def metrics_info(self) -> dict[str, str]:
        return {**self.english.metrics_info(), "multilingual": self.multilingual.info.name,
                "multilingual_sha256": self.multilingual.info.sha256, "languages": ",".join(self._info.languages)}


def with_multilingual(english: TransformerClassifier, settings: ClassifierSettings) -> Classifier:
    """`english`, routed with the multilingual engine when the settings allow it and it is built and verified."""
    multilingual = multilingual_classifier(settings)
    if multilingual is None:
        return english
    log.info("multilingual engine %s reads %s (loaded when the first chunk in one of them arrives)",
             multilingual.info.name, ",".join(multilingual.info.languages))
    return RoutedClassifier(english, multilingual)
