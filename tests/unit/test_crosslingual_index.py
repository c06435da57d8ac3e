"""The narrative matcher's language routing and the cross-lingual index's score scale, with the real English
encoder standing in for the multilingual one (the engine-backed checks are in
tests/integration/test_crosslingual_narratives.py): chunks in the routed languages go to the cross-lingual
index (no BM25, centred cosine mapped onto the English fused scale), the rest to the English index."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.narratives.crosslingual import RoutedTextEncoder
from monitor.narratives.loader import load_sets_or_raise
from monitor.narratives.matcher import NarrativeMatcher, shared_default_encoder

ROOT = Path(__file__).resolve().parents[2]
PENS_SAID = "bring your own pen on sunday, the pens at the polling station have ink that vanishes so they can wipe your vote"
WEATHER = "tomorrow will be sunny in the south with a few showers in the north in the afternoon"


@pytest.fixture(autouse=True)
def _embedding_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_EMBED_CACHE", str(tmp_path / "embed-cache.sqlite"))


@pytest.fixture(scope="module")
def matcher() -> NarrativeMatcher:
    english = shared_default_encoder()
    return NarrativeMatcher(load_sets_or_raise([ROOT / "rules" / "narratives"]), {"elections"},
                            RoutedTextEncoder(english, english, frozenset({"de"})))


def test_chunks_in_routed_languages_use_the_crosslingual_index(matcher: NarrativeMatcher) -> None:
    de, en, undetermined = matcher.match([PENS_SAID] * 3, [[], [], []], ["de", "en", None])
    assert de["elections"][0].id == en["elections"][0].id == "pl-disappearing-ink-pens"
    assert de["elections"][0].lexical == 0.0 and en["elections"][0].lexical > 0.0
    [alone] = matcher.match([PENS_SAID], [[]])  # without languages every chunk uses the English index
    for other in (undetermined, alone):
        assert [(m.id, round(m.score, 4), round(m.lexical, 4)) for m in other["elections"]] == \
            [(m.id, round(m.score, 4), round(m.lexical, 4)) for m in en["elections"]]


def test_crosslingual_scores_keep_the_english_scale(matcher: NarrativeMatcher) -> None:
    [said, weather] = matcher.match([PENS_SAID, WEATHER], [[], []], ["de", "de"])
    [said_en] = matcher.match([PENS_SAID], [[]], ["en"])
    assert abs(said["elections"][0].score - said_en["elections"][0].score) < 0.15
    assert said["elections"][0].score >= 0.52 > weather["elections"][0].score
    index = matcher.crosslingual["elections"]
    assert 0.0 < index.scale and abs(float(index.vectors.mean(axis=0) @ index.vectors.mean(axis=0))) < 0.05, "centred"
