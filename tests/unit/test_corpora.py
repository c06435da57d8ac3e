"""The public-data registry: label mapping, context, official test rows and the deterministic split."""

from collections import Counter
from pathlib import Path

import pytest

from monitor.classify import corpora

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


def test_split_is_deterministic_and_roughly_70_10_20():
    splits = [corpora.split_of("src", f"g{i}") for i in range(5000)]
    assert splits == [corpora.split_of("src", f"g{i}") for i in range(5000)]
    share = {k: v / len(splits) for k, v in Counter(splits).items()}
    assert abs(share["train"] - 0.7) < 0.03 and abs(share["calib"] - 0.1) < 0.02 and abs(share["test"] - 0.2) < 0.03
    assert corpora.split_of("a", "g1") == corpora.split_of("a", "g1")


def test_davidson_offensive_is_not_hate_and_tweets_are_cleaned():
    ex = corpora.load(["davidson"], root=ROOT)
    assert [e.labels["hate"] for e in ex] == [1, 0, 0]
    assert ex[0].text == "those people are animals and should be driven out & gone"
    assert ex[0].licence == "MIT"


def test_davidson_neither_class_selects_background_through_the_reader(monkeypatch):
    from monitor.classify.data import load_source, parse_spec

    assert [e.tag for e in corpora.load(["davidson"], root=ROOT)] == ["hate", "offensive", "neither"]
    monkeypatch.setenv("CCT_DATASETS", str(ROOT))
    spec = parse_spec("corpus:davidson?name=bg&label=0&group_col=group&where=tag:neither", {})
    examples = load_source(spec, seed=13)
    assert [(e.text, e.label) for e in examples] == [("lovely weather for the match today", 0)]


def test_reddit_replies_keep_their_parent_and_broad_abuse_carries_no_hate_label():
    ex = corpora.load(["yu2022-reddit"], root=ROOT)
    texts = {e.text: e for e in ex}
    assert "shut up idiot" not in texts
    counter = texts["that is a bigoted generalisation and you know it"]
    assert counter.labels == {"hate": 0} and counter.context == ("they are all criminals",)
    official = texts["nothing yet"]
    assert official.official_test and official.split == "test"
    assert official not in corpora.train_examples(ex, "train") + corpora.train_examples(ex, "calib")


def test_debate_lines_have_previous_lines_as_context_and_a_debate_is_one_group():
    ex = corpora.load(["clef2019"], root=ROOT)
    line = next(e for e in ex if e.text == "That is simply wrong.")
    assert line.context == ("Good evening and welcome.", "Unemployment doubled in four years.")
    assert len({e.split for e in ex if e.group == "20990101"}) == 1
    assert next(e for e in ex if e.text == "Welcome back.").context == ()


def test_unknown_source_and_missing_root_are_clear_errors(tmp_path):
    with pytest.raises(KeyError, match="unknown data set"):
        corpora.load(["nope"], root=ROOT)
    with pytest.raises(FileNotFoundError, match="no directory"):
        corpora.load(root=tmp_path / "absent")
    with pytest.raises(ValueError, match="only 'train' and 'calib'"):
        corpora.train_examples([], "test")
