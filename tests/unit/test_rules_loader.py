"""Rule loader: broken files are reported as exact `file:line: reason`; versions are checked against a reference."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from monitor.rules_engine.loader import RuleLoadError, load_or_raise, load_rule_sets

GOOD = """\
id: demo
version: 1.0.0
title: Demo
owner: tests
jurisdiction: [EU]
effective_from: 2024-01-01
keyword_lists:
  rigged: [rigged]
rules:
  - id: demo-rigged
    version: 1.0.0
    title: Rigged
    modified: 2026-11-27
    status: stable
    mode: enforce
    severity: medium
    dsa:
      articles: ["34(1)(c)"]
      category: STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS
      decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
    tos_clause: "4.2"
    when:
      all:
        - keywords: {list: rigged}
        - label: election
          gte: 0.5
    tests:
      - text: it is rigged
        expect: alert
      - text: fine
        expect: no_alert
"""


def write(tmp_path: Path, text: str, name: str = "set.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(*paths: Path, **kwargs) -> list[str]:
    return [str(p) for p in load_rule_sets(list(paths), **kwargs).problems]


def test_good_file_loads_with_hashes(tmp_path: Path) -> None:
    [loaded] = load_or_raise([write(tmp_path, GOOD)])
    assert loaded.ruleset.id == "demo"
    assert len(loaded.sha256) == 64 and set(loaded.rule_sha256) == {"demo-rigged"}


def test_hash_ignores_formatting_and_comments(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    reformatted = GOOD.replace("rigged: [rigged]", "rigged:\n    - rigged  # the only term").replace(
        'articles: ["34(1)(c)"]', "articles:\n        - 34(1)(c)")
    (tmp_path / "b").mkdir()
    b = write(tmp_path / "b", reformatted)
    [la], [lb] = load_or_raise([a]), load_or_raise([b])
    assert la.sha256 == lb.sha256 and la.rule_sha256 == lb.rule_sha256


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("title: Demo", "title: Demo: broken: yaml", 3, "invalid YAML: mapping values are not allowed here"),
        ("category: STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
         "category: STATEMENT_CATEGORY_ELECTIONS", 19,
         "rule 'demo-rigged': dsa.category: unknown DSA category 'STATEMENT_CATEGORY_ELECTIONS'"),
        ("- keywords: {list: rigged}", "- regex: {pattern: '(vote'}", 24,
         "rule 'demo-rigged': when.all[0].regex.pattern: invalid regex: missing ): (vote"),
        ("- keywords: {list: rigged}", "- keywords: {list: stolen}", 24,
         "rule 'demo-rigged': when.all[0].keywords.list: undefined keyword list 'stolen'"),
        ("label: election", "label: elections", 25,
         "rule 'demo-rigged': when.all[1].label: unknown label 'elections' (known: claim, election, health, threat, hate, stance_assert, stance_quote, stance_report, stance_deny, stance_condemn)"),
        ('articles: ["34(1)(c)"]', 'articles: ["99"]', 18,
         "rule 'demo-rigged': dsa.articles[0]: unknown DSA article '99' (cite e.g. '34(1)(c)'; known: "
         "9, 10, 14, 15, 16, 17, 18, 20, 22, 24, 34, 35, 36, 37, 40, 42)"),
        ("decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT", "decision_ground: INCOMPATIBLE", 20,
         "rule 'demo-rigged': dsa.decision_ground: unknown DSA decision ground 'INCOMPATIBLE'"),
        ("severity: medium", "severity: urgent", 16,
         "rule 'demo-rigged': severity: Input should be 'info', 'low', 'medium', 'high' or 'critical'"),
        ("    tos_clause:", "    colour: red\n    tos_clause:", 21, "rule 'demo-rigged': unknown field 'colour'"),
        ("          gte: 0.5", "          gte: 0.5\n          lt: 0.9", 25,
         "rule 'demo-rigged': when.all[1].label: a label condition needs exactly one of gte, gt, lte, lt"),
        ("        - keywords: {list: rigged}", "        - keywords: {list: rigged}\n          regex: {pattern: x}", 24,
         "rule 'demo-rigged': when.all[0]: a condition needs exactly one of: all, any, not, label, keywords, regex, field, narrative"),
        ("      - text: fine\n        expect: no_alert\n", "", 10,
         "rule 'demo-rigged': a rule needs at least one 'alert' test and one 'no_alert' test"),
        ("    version: 1.0.0\n", "    version: 1.0\n", 11,
         "rule 'demo-rigged': version: version '1.0' is not semantic versioning (MAJOR.MINOR.PATCH, e.g. 1.0.0)"),
        ("  rigged: [rigged]", "  rigged: [rigged]\n  rigged: [fraud]", 9, "duplicate key 'rigged'"),
        ("      - text: fine\n", "      - text: fine\n        fields: {audience.listeners: -5}\n", 31,
         "rule 'demo-rigged': tests[1].fields: invalid test chunk: field 'audience.listeners': Input should be greater than or equal to 0"),
        ("  rigged: [rigged]", "  rigged: {en: [rigged], xx: [gefälscht]}", 8,
         "keyword_lists.rigged.xx: unknown language (ISO 639-1) 'xx'"),
        ("  rigged: [rigged]", "  rigged: rigged", 8,
         "keyword_lists.rigged: a keyword list is a list of terms (English) or a mapping from ISO 639-1 code to a list of terms"),
        ("  rigged: [rigged]", "  rigged: {en: [rigged], de: []}", 8,
         "keyword_lists.rigged.de: List should have at least 1 item after validation, not 0"),
        ("  rigged: [rigged]", "  rigged: {en: [rigged], de: ['?!']}", 8,
         "keyword_lists.rigged.de[0]: keyword '?!' has no letters or digits"),
        ("    tos_clause:", "    languages: [de, en]\n    tos_clause:", 25,
         "rule 'demo-rigged': when.all[0].keywords.list: keyword list 'rigged' has no terms for 'de' "
         "(the rule declares languages: [de, en]; the list has 'en')"),
        ("  rigged: [rigged]", "  rigged: {de: [manipuliert]}", 24,
         "rule 'demo-rigged': when.all[0].keywords.list: keyword list 'rigged' has no terms for 'en' "
         "(a rule without languages: runs on 'en'; the list has 'de')"),
    ],
)
def test_broken_file_reports_file_line_reason(tmp_path: Path, old: str, new: str, line: int, reason: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    assert problems_of(path) == [f"{path}:{line}: {reason}"]


def test_missing_tests_field(tmp_path: Path) -> None:
    text = GOOD[: GOOD.index("    tests:")]
    path = write(tmp_path, text)
    assert problems_of(path) == [f"{path}:10: rule 'demo-rigged': missing required field 'tests'"]


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    empty = write(tmp_path, "# nothing\n", "empty.yaml")
    listing = write(tmp_path, "- a\n- b\n", "list.yaml")
    assert problems_of(empty, listing) == [
        f"{empty}:1: the file is empty",
        f"{listing}:1: a rule-set file must hold a mapping at the top level",
    ]


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD.replace("id: demo\n", "id: demo-two\n", 1), "b.yaml")
    assert problems_of(tmp_path) == [f"{b}:10: duplicate rule id 'demo-rigged' (first in {a}:10)"]


def test_duplicate_rule_set_id(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD.replace("id: demo-rigged", "id: demo-other"), "b.yaml")
    assert problems_of(a, b) == [f"{b}:1: duplicate rule-set id 'demo' (first in {a}:1)"]


def test_all_problems_are_reported_sorted_and_raise(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("severity: medium", "severity: urgent").replace("mode: enforce", "mode: loud"))
    with pytest.raises(RuleLoadError) as info:
        load_or_raise([path])
    assert [p.line for p in info.value.problems] == [15, 16]
    assert str(info.value).splitlines()[0].startswith(f"{path}:15: rule 'demo-rigged': mode: Input should be")


def test_labels_come_from_the_classifier(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert problems_of(path, labels=("claim",)) == [
        f"{path}:25: rule 'demo-rigged': when.all[1].label: unknown label 'election' (known: claim)"]


def test_changed_body_without_version_bump_against_a_directory(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    old = write(tmp_path / "old", GOOD)
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    same = write(new_dir, GOOD.replace("title: Rigged", "title: Rigged (clearer title)"))
    assert problems_of(same, against=str(old.parent)) == [
        f"{same}:11: rule 'demo-rigged': changed since {old.parent} without a version bump (still 1.0.0)"]
    only_tests = write(new_dir, GOOD.replace("text: fine", "text: all fine"))
    assert problems_of(only_tests, against=str(old.parent)) == []
    bumped = write(new_dir, GOOD.replace("title: Rigged", "title: X").replace("    version: 1.0.0", "    version: 1.1.0"))
    assert problems_of(bumped, against=str(old.parent)) == []
    lower = write(new_dir, GOOD.replace("    version: 1.0.0", "    version: 0.9.0"))
    assert problems_of(lower, against=str(old.parent)) == [
        f"{lower}:11: rule 'demo-rigged': version 0.9.0 is lower than 1.0.0 in {old.parent}"]


def test_changed_keyword_list_counts_as_a_body_change(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    write(tmp_path / "old", GOOD)
    (tmp_path / "new").mkdir()
    new = write(tmp_path / "new", GOOD.replace("rigged: [rigged]", "rigged: [rigged, stolen]"))
    assert len(problems_of(new, against=str(tmp_path / "old"))) == 1


def test_version_bump_against_a_git_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    path = write(repo / "rules", GOOD)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for cmd in (["init", "-q"], ["add", "rules"], ["commit", "-q", "-m", "rules"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env, capture_output=True)
    path.write_text(GOOD.replace("severity: medium", "severity: high"), encoding="utf-8")
    assert problems_of(repo / "rules", against="HEAD") == [
        f"{path}:11: rule 'demo-rigged': changed since HEAD without a version bump (still 1.0.0)"]
    assert problems_of(repo / "rules", against="no-such-rev")[0].startswith("no-such-rev:1: no-such-rev: not a file")


PER_LANGUAGE = GOOD.replace("  rigged: [rigged]", """\
  rigged:
    en: [rigged]
    de: [manipuliert, wahlbetrug]
  debunk: [false claim]""").replace("    tos_clause:", "    languages: [de, en]\n    tos_clause:")


def test_a_per_language_list_serves_a_rule_that_declares_its_languages(tmp_path: Path) -> None:
    [loaded] = load_or_raise([write(tmp_path, PER_LANGUAGE)])
    assert loaded.ruleset.keyword_lists["rigged"] == {"en": ["rigged"], "de": ["manipuliert", "wahlbetrug"]}
    assert loaded.ruleset.keyword_lists["debunk"] == ["false claim"]


def test_every_keyword_leaf_of_a_rule_needs_its_languages_exceptions_and_escalations_included(tmp_path: Path) -> None:
    text = PER_LANGUAGE.replace("    tests:", """\
    unless:
      - reason: debunked
        when: {keywords: {list: debunk}}
    escalate:
      - reason: both
        when: {keywords: {list: rigged}}
    tests:""")
    path = write(tmp_path, text)
    assert problems_of(path) == [
        f"{path}:33: rule 'demo-rigged': unless[0].when.keywords.list: keyword list 'debunk' has no terms for 'de' "
        "(the rule declares languages: [de, en]; the list has 'en')"]


def test_plain_lists_hash_as_before_so_existing_rules_keep_their_versions(tmp_path: Path) -> None:
    """The canonical form of a plain list is unchanged by per-language lists: the sha256 of GOOD's rule is fixed."""
    [loaded] = load_or_raise([write(tmp_path, GOOD)])
    [again] = load_or_raise([write(tmp_path, GOOD.replace("rigged: [rigged]", "rigged:\n    - rigged"), "b.yaml")])
    assert loaded.rule_sha256 == again.rule_sha256
    [keyed] = load_or_raise([write(tmp_path, GOOD.replace("rigged: [rigged]", "rigged: {en: [rigged]}"), "c.yaml")])
    assert keyed.rule_sha256 != loaded.rule_sha256
