"""The multi-task training mix: which rows teach which label, stance from the project data, background
negatives only where safe, and splits that never cut a group."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from monitor.classify import corpora, trainset
from monitor.classify.multitask import STANCES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
TASKS = trainset.TASKS


def _all_project_rows() -> list[trainset.TrainRow]:
    return [r for split in ("train", "calib", "test") for r in trainset.synthetic_rows(split)]


def test_framed_statements_are_not_the_harm_and_carry_their_stance():
    rows = [r for r in _all_project_rows() if r.source == "project-stance"]
    assert {STANCES[r.stance] for r in rows} == set(STANCES)
    for r in rows:
        harm = max(r.labels[TASKS.index(t)] for t in ("election", "health", "threat", "hate"))
        assert harm == (1 if STANCES[r.stance] == "assert" and not r.group.startswith(("st-none", "st-fig", "st-vote")) else 0)


def test_the_same_line_flips_with_the_turn_before_it():
    by_text: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for r in _all_project_rows():
        if r.source == "project-stance" and r.context:
            by_text[r.text].add((STANCES[r.stance], max(r.labels[1:])))
    assert any({("quote", 0), ("assert", 1)} <= seen for seen in by_text.values())


def test_project_groups_never_straddle_splits():
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in _all_project_rows():
        where[(r.source, r.group)].add(r.split)
    assert all(len(s) == 1 for s in where.values())


def test_background_negatives_only_where_safe():
    examples = corpora.load(["davidson", "yu2022-reddit"], root=FIXTURES)
    rows = {r.text: r for split in ("train", "calib", "test")
            for r in trainset.public_rows(examples, split, {"davidson": 10, "yu2022-reddit": 10}, seed=1)}
    hateful = rows["those people are animals and should be driven out & gone"]
    assert hateful.labels[TASKS.index("hate")] == 1
    assert hateful.labels[TASKS.index("threat")] == -1  # a hate tweet is not a safe non-threat
    assert hateful.labels[TASKS.index("election")] == 0
    assert hateful.labels[TASKS.index("claim")] == -1
    offensive = rows["this damn traffic is killing me"]
    assert offensive.labels[TASKS.index("threat")] == 0 and offensive.labels[TASKS.index("hate")] == 0
    assert "nothing yet" not in rows  # the official test row is never used
