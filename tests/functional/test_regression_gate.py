"""CI regression gate: the suite's fixed regression subset through the shipped model and rules must
give the scores (±tolerance) and alert outcomes recorded in golden.json. After an intended change,
rewrite it with `cct-monitor eval --update-golden` and review the diff."""

from __future__ import annotations

from monitor.eval.golden import GOLDEN, current_golden, differences, read_golden, regression_subset
from monitor.eval.models import CURRENT, DEFAULT_RULES, ModelSpec
from monitor.eval.suite import load_suite
from monitor.classify.stage import REPO_MODELS
from monitor.settings import ClassifierSettings, PipelineSettings


def test_regression_subset_is_balanced_across_categories_and_polarity() -> None:
    subset = regression_subset(load_suite())
    english = [c for c in subset if c.language == "en"]
    assert 50 <= len(english) <= 70
    for category in ("election", "health", "threat", "hate", "claim"):
        mine = [c for c in english if c.category == category]
        harmful = sum(c.harmful for c in mine)
        assert 5 <= harmful <= 7 and 5 <= len(mine) - harmful <= 7, (category, harmful, len(mine))


def test_regression_subset_holds_a_harmful_case_and_a_debunk_in_each_other_language() -> None:
    """So a change in how a language is handled (detected, routed, scored, matched) moves the gate."""
    subset = regression_subset(load_suite())
    for language in ("de", "fr", "es", "it", "pl", "nl", "pt", "ro"):
        mine = [c for c in subset if c.language == language]
        assert {(c.polarity, c.case_type) for c in mine} >= {("hard_negative", "debunk_quote")}, language
        assert any(c.harmful for c in mine) and len(mine) <= 4, language


def test_shipped_model_and_rules_match_the_golden_file() -> None:
    golden = read_golden(GOLDEN)
    spec = ModelSpec(CURRENT, REPO_MODELS, (DEFAULT_RULES,))
    now = current_golden(spec, load_suite(), ClassifierSettings(threads=2), PipelineSettings())
    changed = differences(golden, now)
    assert not changed, "regression subset changed (cct-monitor eval --update-golden to accept):\n" + "\n".join(changed)
