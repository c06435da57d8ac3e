"""The HateCheck-style set: expansion over groups, the spelling perturbations, per-functionality scoring."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from monitor.eval.functional import CaseResult, Fired
from monitor.eval.hatecheck import as_functional_case, hatecheck_report, head_says_hateful
from monitor.eval.hatecheck_set import LABELS, HateCheckCase, load_set, perturb

GROUPS = {"women", "trans people", "gay people", "black people", "disabled people", "muslims", "immigrants"}


def test_shipped_set_covers_the_functionalities_and_groups() -> None:
    cases = load_set()
    by = Counter(c.functionality for c in cases)
    assert len(cases) >= 400 and len(by) >= 25
    assert {c.group for c in cases if c.group and c.functionality != "target_group_nh"} == GROUPS
    for name in by:
        labels = {c.label for c in cases if c.functionality == name}
        assert len(labels) == 1 and labels <= set(LABELS), name
        assert name.endswith("_h") == (labels == {"hateful"}), name
    assert not any("[[" in c.text or "{" in c.text for c in cases)


@pytest.mark.parametrize(("functionality", "expected"), [
    ("spell_char_swap_h", "I htae them."), ("spell_char_del_h", "I hte them."),
    ("spell_space_del_h", "I hatethem."), ("spell_space_add_h", "I h a t e them."),
    ("spell_leet_h", "I h4t3 them."), ("derog_neg_emote_h", "I hate them."),
])
def test_perturbations_act_on_the_marked_word(functionality: str, expected: str) -> None:
    assert perturb("I [[hate]] them.", functionality) == expected


def test_space_deletion_before_punctuation_joins_the_previous_word() -> None:
    assert perturb("They are [[vile]].", "spell_space_del_h") == "They arevile."


def test_a_spelling_template_without_a_mark_is_an_error() -> None:
    with pytest.raises(ValueError, match="marks no span"):
        perturb("I hate them.", "spell_leet_h")


def test_templates_expand_over_groups_slurs_and_non_protected_targets(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(
        "groups:\n  g1: {plural: ones, one: a one, bare: one, slurs: [s1, s2]}\n"
        "  g2: {plural: twos, one: a two, bare: two, slurs: [s3]}\n"
        "non_protected:\n  - {plural: clerks, one: a clerk, bare: clerk}\n"
        "functionalities:\n"
        "  slur_h: {label: hateful, templates: ['I mock {slur}.']}\n"
        "  target_group_nh: {label: non-hateful, over: non_protected, templates: ['{Group} are dull.']}\n"
        "  profanity_nh: {label: non-hateful, templates: ['Damn this rain.']}\n", encoding="utf-8")
    texts = [(c.functionality, c.group, c.text) for c in load_set(path)]
    assert texts == [("slur_h", "g1", "I mock s1."), ("slur_h", "g1", "I mock s2."), ("slur_h", "g2", "I mock s3."),
                     ("target_group_nh", "clerks", "Clerks are dull."), ("profanity_nh", None, "Damn this rain.")]


def _result(case: HateCheckCase, hate: float, severities: list[str]) -> CaseResult:
    return CaseResult(as_functional_case(case), {"hate": hate, "threat": 0.0}, [Fired("r", s) for s in severities])


def test_report_scores_heads_and_rules_per_functionality() -> None:
    cases = [HateCheckCase("a-1", "derog_h", "hateful", "g", "x"), HateCheckCase("a-2", "derog_h", "hateful", "g", "y"),
             HateCheckCase("b-1", "ident_nh", "non-hateful", "g", "z")]
    results = [_result(cases[0], 0.9, ["low"]), _result(cases[1], 0.1, ["info"]), _result(cases[2], 0.5, ["info"])]
    report = hatecheck_report(cases, results, {"hate": 0.3, "threat": 0.4})
    table = report["functionalities"]
    assert table["derog_h"]["head"] == {"ok": 1, "cases": 2, "accuracy": 0.5}
    assert table["derog_h"]["rules"] == {"ok": 1, "cases": 2, "accuracy": 0.5}
    assert table["ident_nh"]["head"]["ok"] == 0 and table["ident_nh"]["rules"]["ok"] == 1
    assert table["all"]["head"]["ok"] == 1 and table["all"]["rules"]["ok"] == 2
    assert report["lowest"] == {"head": 0.0, "rules": 0.5}
    assert [w["id"] for w in report["wrong"]] == ["a-2", "b-1"]


def test_head_verdict_reads_the_threat_head_too() -> None:
    assert head_says_hateful({"hate": 0.1, "threat": 0.5}, {"hate": 0.3, "threat": 0.4})
    assert not head_says_hateful({"hate": 0.29, "threat": 0.39}, {"hate": 0.3, "threat": 0.4})
