"""Cross-lingual narrative matching (issue 15 §4): with the multilingual engine, a chunk in another EU language
is matched against the shipped (English) narrative wordings in the multilingual encoder's space, on the
English index's score scale, and English chunks keep the English index.

The probes (`tests/fixtures/narratives/crosslingual.tsv`) are spoken paraphrases of shipped narratives in eight
languages, written from the English claims, plus one unrelated sentence per language.
Needs the engine built at install (`cct-monitor model export-multilingual`, run by scripts/setup.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.multilingual.engine import default_export_dir

pytestmark = pytest.mark.skipif(not (default_export_dir() / "manifest.json").is_file(),
                                reason="the multilingual engine is not built (cct-monitor model export-multilingual)")

ROOT = Path(__file__).resolve().parents[2]
PROBES = [line.split("\t") for line in (ROOT / "tests/fixtures/narratives/crosslingual.tsv").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith("#")]
MIN_SCORE = 0.52  # election-known-narrative's min_score


@pytest.fixture(scope="module")
def matcher():
    from monitor.classify.stage import classifier_from_settings
    from monitor.multilingual.routing import RoutedClassifier, with_multilingual
    from monitor.narratives.loader import load_sets_or_raise
    from monitor.narratives.matcher import NarrativeMatcher
    from monitor.settings import ClassifierSettings

    settings = ClassifierSettings(threads=2, multilingual="on")
    classifier = with_multilingual(classifier_from_settings(settings), settings)
    assert isinstance(classifier, RoutedClassifier)
    return NarrativeMatcher(load_sets_or_raise([ROOT / "rules" / "narratives"]), {"elections", "health"},
                            classifier.text_encoder())


def _best(matcher, matches: dict, narrative: str) -> tuple[str, float]:
    """The top match in the set holding `narrative` (in every set for "-")."""
    keys = [k for k in matches if narrative == "-" or any(n.id == narrative for n in matcher.sets[k].set.narratives)]
    top = max((matches[k][0] for k in keys), key=lambda m: m.score)
    return top.id, top.score


def test_paraphrases_in_eight_languages_find_their_narrative(matcher) -> None:
    found = matcher.match([p[2] for p in PROBES], [[] for _ in PROBES], [p[0] for p in PROBES])
    best = [(p, _best(matcher, f, p[1])) for p, f in zip(PROBES, found, strict=True)]
    claims = [(p, b) for p, b in best if p[1] != "-"]
    right = [p[1] for p, (top, _) in claims if top == p[1]]
    assert len(right) >= 18, f"only {len(right)}/{len(claims)} probes rank their narrative first"
    assert sum(score >= MIN_SCORE for p, (top, score) in claims if top == p[1]) >= 4, "close paraphrases reach min_score"
    unrelated = [(p[2], b) for p, b in best if p[1] == "-"]
    assert all(score < MIN_SCORE for _, (_, score) in unrelated), unrelated


def test_a_french_chunk_is_not_matched_by_the_english_encoder(matcher) -> None:
    text = "boire un peu d'eau de javel diluée vous protège du coronavirus, croyez-moi"
    [routed], [as_english] = matcher.match([text], [[]], ["fr"]), matcher.match([text], [[]], [None])
    assert routed["health"][0].id == "bleach-prevents-coronavirus"
    assert routed["health"][0].lexical == 0.0, "no English BM25 on a French chunk"
    assert routed["health"][0].score > as_english["health"][0].score


def test_english_chunks_keep_the_english_index(matcher) -> None:
    text = "if your cross goes over the edge of the circle the whole ballot paper is invalid"
    [en], [undetermined] = matcher.match([text], [[]], ["en"]), matcher.match([text], [[]], [None])
    assert en == undetermined
    assert en["elections"][0].id == "de-large-cross-invalid" and en["elections"][0].lexical > 0
