"""The narrative sets in force for a rule engine, with their indexes, and the one-call-per-batch matching.

Indexes are built when the engine is built (at start and on every hot reload); the encoder is the
classifier's (`text_encoder()`: the last layer cut from the classifier's own forward, so chunks the
classifier has just embedded are not encoded again) when the monitor runs one, else the default encoder
(the CPU engine), loaded once per process. With the multilingual engine the classifier lends a
`RoutedTextEncoder`: chunks in its languages are matched against cross-lingual indexes of the same sets
(`monitor.narratives.crosslingual`), the rest against the English ones. A batch is embedded once per
encoder for all the sets rules read. A set whose index cannot be built fails the load, so a reload keeps
the engine in force.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from monitor.narratives.crosslingual import CrossLingualIndex, RoutedTextEncoder
from monitor.narratives.index import Document, Match, NarrativeIndex, TextEncoder, default_encoder, encode_queries
from monitor.narratives.loader import LoadedNarrativeSet

CONTEXT = "@context"
DEFAULT_TOP_K = 5


def narrative_documents(loaded: LoadedNarrativeSet) -> list[Document]:
    """Every narrative of a set as an index document (claim, paraphrases, examples)."""
    return [Document(n.id, tuple(n.texts())) for n in loaded.set.narratives]


@functools.lru_cache(maxsize=1)
def shared_default_encoder() -> TextEncoder:
    """The default encoder, loaded once per process."""
    return default_encoder()


@runtime_checkable
class SharesEncoder(Protocol):
    """A classifier that lends its encoder (and embedding cache) to the narrative matcher."""

    def text_encoder(self) -> TextEncoder | None: ...


def encoder_for(classifier: object | None) -> TextEncoder | None:
    """The classifier's text encoder for the matcher, when it lends one (else None: the default is used)."""
    return classifier.text_encoder() if isinstance(classifier, SharesEncoder) else None


def embedding_cache_path() -> Path:
    from monitor.classify.embcache import default_cache_path

    return default_cache_path()


class NarrativeMatcher:
    """Sets by id, the indexes of the sets rules use, and batch matching for those rules' keys."""

    def __init__(self, sets: Sequence[LoadedNarrativeSet], used: set[str], encoder: TextEncoder | None = None,
                 cache_path: Path | None = None) -> None:
        self.sets = {s.set.id: s for s in sets}
        self.used = {key.removesuffix(CONTEXT) for key in used} & set(self.sets)
        self.keys = {key for key in used if key.removesuffix(CONTEXT) in self.used}
        self.indexes: dict[str, NarrativeIndex] = {}
        self.encoder: TextEncoder | None = None
        routed = encoder if isinstance(encoder, RoutedTextEncoder) else None
        #: the multilingual encoder, the languages it reads and its cross-lingual indexes (with a routed encoder)
        self.multilingual: TextEncoder | None = routed.multilingual if routed else None
        self.languages: frozenset[str] = routed.languages if routed else frozenset()
        self.crosslingual: dict[str, NarrativeIndex] = {}
        if self.used:
            self.encoder = (routed.english if routed else encoder) or shared_default_encoder()
            cache = cache_path if cache_path is not None else embedding_cache_path()
            for set_id in sorted(self.used):
                docs = narrative_documents(self.sets[set_id])
                self.indexes[set_id] = NarrativeIndex(docs, self.encoder, cache)
                if self.multilingual is not None:
                    self.crosslingual[set_id] = CrossLingualIndex(docs, self.multilingual, self.indexes[set_id], cache)

    @property
    def stamp(self) -> list[dict[str, str]]:
        """id, version and sha256 of every set a rule uses."""
        return [self.sets[s].stamp for s in sorted(self.used)]

    def match(self, texts: Sequence[str], contexts: Sequence[Sequence[str]],
              languages: Sequence[str | None] | None = None) -> list[dict[str, list[Match]]]:
        """Per text: ranked matches under each key rules read (`set`: the utterance alone; `set@context`: the
        utterance with its preceding context, `contexts[i]` the texts before `texts[i]`, oldest first).
        `languages[i]`: the text's language; those the multilingual encoder reads use the cross-lingual indexes."""
        out: list[dict[str, list[Match]]] = [{} for _ in texts]
        if not texts or self.encoder is None:
            return out
        crosslingual = [i for i, language in enumerate(languages or ()) if language in self.languages]
        english = sorted(set(range(len(texts))) - set(crosslingual))
        for part, encoder, indexes in ((english, self.encoder, self.indexes),
                                       (crosslingual, self.multilingual, self.crosslingual)):
            if part:
                found = self._match(encoder, indexes, [texts[i] for i in part], [contexts[i] for i in part])
                for i, matches in zip(part, found, strict=True):
                    out[i] = matches
        return out

    def _match(self, encoder: TextEncoder, indexes: dict[str, NarrativeIndex], texts: Sequence[str],
               contexts: Sequence[Sequence[str]]) -> list[dict[str, list[Match]]]:
        out: list[dict[str, list[Match]]] = [{} for _ in texts]
        with_context = any(key != key.removesuffix(CONTEXT) for key in self.keys)
        vectors = encode_queries(encoder, texts, contexts if with_context else None)
        for key in sorted(self.keys):
            set_id = key.removesuffix(CONTEXT)
            found = indexes[set_id].search(texts, DEFAULT_TOP_K, None if key == set_id else contexts, vectors)
            for slot, matches in zip(out, found, strict=True):
                slot[key] = matches
        return out
