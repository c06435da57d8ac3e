"""`model verify`'s suite comparison: a functional case whose outcome differs between two engines is listed with
both engines' scores; the same engine on both sides lists none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from monitor.classify.parity import suite_parity
from monitor.classify.stage import TransformerClassifier, classifier_from_settings
from monitor.eval.suite import DEFAULT_SUITE, load_suite
from monitor.rules_engine.loader import load_or_raise
from monitor.settings import ClassifierSettings, PipelineSettings
from monitor.stages import WorkItem

ROOT = Path(__file__).resolve().parents[2]


class ShiftedHate:
    """The shipped classifier with every hate score lowered: a candidate engine that reads hate worse."""

    def __init__(self, inner: TransformerClassifier) -> None:
        self.inner = inner
        self.info = inner.info

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        return [{**s, "hate": 0.0} for s in self.inner.score(items)]

    def text_encoder(self):  # noqa: ANN201 - the inner engine's narrative encoder
        return self.inner.text_encoder()


@pytest.fixture(scope="module")
def classifier() -> TransformerClassifier:
    return classifier_from_settings(ClassifierSettings(threads=1))


def test_suite_outcomes_that_differ_between_engines_are_listed_with_both_scores(classifier: TransformerClassifier) -> None:
    cases = [c for c in load_suite(DEFAULT_SUITE) if c.language == "en"]
    caught = [c for c in cases if c.category == "hate" and c.polarity == "harmful"][:6]
    quiet = [c for c in cases if c.category == "election" and c.polarity != "harmful"][:4]
    sets = load_or_raise([ROOT / "rules"], classifier.info.labels)
    settings = PipelineSettings()

    assert suite_parity(classifier, classifier, sets, [*caught, *quiet], settings) == []

    diffs = suite_parity(classifier, ShiftedHate(classifier), sets, [*caught, *quiet], settings)
    assert diffs, "zeroing the hate score changed no hate case's outcome"
    assert all(d.split(" ")[0] in {c.id for c in caught} for d in diffs)
    assert all("reference" in d and "candidate" in d and " / 0.000" in d for d in diffs)
