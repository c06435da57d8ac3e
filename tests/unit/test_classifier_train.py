"""`cct-monitor train` trains a head reproducibly from a CSV and writes a model card with held-out metrics."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from monitor.classify import corpora
from monitor.classify.card import licence_of, research_only_sources
from monitor.classify.data import load_source, parse_spec
from monitor.classify.encoder import file_sha256
from monitor.classify.heads import load_head
from monitor.classify.train import split_groups
from monitor.cli import cli

FIXTURE_DATASETS = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"

WEATHER = [
    "the forecast says heavy rain across the north tomorrow",
    "expect sunshine and light winds over the weekend",
    "temperatures will drop below freezing tonight in the hills",
    "a storm warning is in place for the coast until friday",
    "it will be mild and cloudy with a chance of drizzle",
    "snow is likely on high ground by monday morning",
]
SPORT = [
    "the striker scored twice in the second half",
    "the home side won the cup final on penalties",
    "she finished the marathon in under three hours",
    "the coach was sacked after five straight defeats",
    "the tennis final went to a deciding set",
    "they signed a new goalkeeper on a three year deal",
]


def _write_csv(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sentence", "topic", "show"])
        for n in range(4):
            for i, text in enumerate(WEATHER):
                w.writerow([f"{text} {'' if n == 0 else f'(update {n})'}".strip(), "weather", f"w{i}"])
            for i, text in enumerate(SPORT):
                w.writerow([f"{text} {'' if n == 0 else f'(update {n})'}".strip(), "sport", f"s{i}"])


def _train(data: Path, out: Path, cache: Path, seed: int, *extra: str) -> dict:
    result = CliRunner().invoke(
        cli,
        ["train", "--label", "weather", "--data", str(data), "--text-col", "sentence", "--label-col", "topic",
         "--positive", "weather", "--group-col", "show", "--out", str(out), "--seed", str(seed), "--no-int8",
         "--cache", str(cache), "--threads", "2", *extra],
        env={"HF_HUB_OFFLINE": "1"},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_is_reproducible_and_writes_head_and_card(tmp_path: Path) -> None:
    data = tmp_path / "topics.csv"
    _write_csv(data)
    first = _train(data, tmp_path / "a", tmp_path / "cache.sqlite", seed=7)
    second = _train(data, tmp_path / "b", tmp_path / "cache.sqlite", seed=7)
    weights_a = tmp_path / "a" / "heads" / "weather.safetensors"
    weights_b = tmp_path / "b" / "heads" / "weather.safetensors"
    assert file_sha256(weights_a) == file_sha256(weights_b)
    assert first["test"] == second["test"]
    assert first["test"]["roc_auc"] >= 0.9
    head = load_head(tmp_path / "a" / "heads" / "weather.json")
    assert head.label == "weather" and head.meta["encoder"]["name"] == "all-MiniLM-L6-v2"
    card = (tmp_path / "a" / "cards" / "weather.md").read_text()
    for needed in ("PR-AUC", "baseline-lr", "Training command", "cct-monitor train", file_sha256(weights_a), "calibration"):
        assert needed in card


def test_lexical_candidate_is_fitted_reported_and_the_head_reads_what_the_card_says(tmp_path: Path) -> None:
    data = tmp_path / "topics.csv"
    _write_csv(data)
    summary = _train(data, tmp_path / "m", tmp_path / "cache.sqlite", 7, "--lexical")
    card = (tmp_path / "m" / "cards" / "weather.md").read_text()
    assert "| lr+lex " in card and "## Lexical features" in card and "--lexical" in card
    head = load_head(tmp_path / "m" / "heads" / "weather.json")
    used = head.meta["lexical_selection"]["used"]
    assert (summary["chosen"] == "lr+lex") is used
    assert (head.features == "text+lexical") is used and (head.lexical is not None) is used
    assert head.in_dim == head.feature_dim(384 * 6)


def test_split_keeps_groups_together_and_spreads_positives(tmp_path: Path) -> None:
    data = tmp_path / "topics.csv"
    _write_csv(data)
    examples = load_source(parse_spec(f"{data}?text_col=sentence&label_col=topic&positive=weather&group_col=show", {}), 1)
    splits = split_groups(examples, seed=1)
    by_group: dict[str, set[str]] = {}
    for ex, s in zip(examples, splits):
        by_group.setdefault(ex.group, set()).add(s)
    assert all(len(s) == 1 for s in by_group.values())
    for name in ("train", "calib", "test"):
        labels = {ex.label for ex, s in zip(examples, splits) if s == name}
        assert labels == {0, 1}


def test_spec_options_select_rows_and_context(tmp_path: Path) -> None:
    path = tmp_path / "talk.jsonl"
    rows = [
        {"text": "first line", "show": "a", "kind": "x", "y": "no"},
        {"text": "second line", "show": "a", "kind": "y", "y": "yes"},
        {"text": "third line", "show": "a", "kind": "x", "y": "maybe"},
        {"text": "other show", "show": "b", "kind": "x", "y": "yes"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = parse_spec(f"{path}?label_col=y&positive=yes&negative=no&group_col=show&context=previous&context_n=1", {})
    got = [(e.text, e.label, e.context) for e in load_source(spec, 0)]
    assert got == [("first line", 0, ()), ("second line", 1, ("first line",)), ("other show", 1, ())]
    spec = parse_spec(f"{path}?label=0&where=kind:x", {})
    assert [e.text for e in load_source(spec, 0)] == ["first line", "third line", "other show"]


def test_corpus_spec_reads_only_the_groups_eval_does_not_test_on(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "threatgram101-en"
    folder.mkdir()
    texts = [f"reply number {n} about the traitors" for n in range(60)]
    with open(folder / "threatgram101_labeled.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["replyDate", "reply", "telegramChannel", "Label"])
        w.writerows([n, t, "c.json", str(n % 3)] for n, t in enumerate(texts))
    monkeypatch.setenv("CCT_DATASETS", str(tmp_path))
    public = corpora.load(["threatgram"])
    tested = {e.text for e in public if e.split == "test"}
    assert tested, "the fixture needs rows in the public test split"
    got = load_source(parse_spec("corpus:threatgram?name=tg&label_col=threat&weight=2", {}), 0)
    assert {e.text for e in got} == {e.text for e in public} - tested
    assert all(e.label == int(texts.index(e.text) % 3 == 2) and e.weight == 2 and e.source == "tg" for e in got)


def test_corpus_spec_reads_a_registered_data_set_without_its_public_test_split(monkeypatch) -> None:
    monkeypatch.setenv("CCT_DATASETS", str(FIXTURE_DATASETS))
    spec = parse_spec("corpus:yu2022-reddit?label_col=hate&group_col=group&context=context", {})
    got = [(e.text, e.label, e.context) for e in load_source(spec, 0)]
    # "nothing yet" is the official test split, "shut up idiot" carries no hate label (broad abuse)
    assert got == [("that is a bigoted generalisation and you know it", 0, ("they are all criminals",)),
                   ("seven I think", 0, ("what time is the game",))]
    spec = parse_spec("corpus:davidson?label_col=hate&group_col=group", {})
    # the offensive tweet's group falls in the split `cct-monitor eval` scores, so training never sees it
    assert [(e.text, e.label) for e in load_source(spec, 0)] == [
        ("those people are animals and should be driven out & gone", 1), ("lovely weather for the match today", 0)]
    assert licence_of("davidson", "corpus:davidson") == "MIT (davidson-hate-offensive)"
    assert "RESEARCH ONLY" in licence_of("yu2022-reddit", "corpus:yu2022-reddit")
    sources = [{"name": "reddit", "path": "corpus:yu2022-reddit"}, {"name": "tweets", "path": "corpus:davidson"},
               {"name": "mine", "path": "monitor/data/spoken/hate.jsonl"}]
    assert research_only_sources(sources) == ["reddit"]


def test_a_row_without_a_value_for_the_label_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "labelled", "hate": "1"}\n{"text": "not annotated", "hate": null}\n')
    assert [e.text for e in load_source(parse_spec(f"{path}?label_col=hate", {}), 0)] == ["labelled"]


def test_a_blend_is_fitted_when_asked_and_the_head_is_what_the_card_reports(tmp_path: Path) -> None:
    from monitor.classify.train import BLEND_GRID

    data = tmp_path / "topics.csv"
    _write_csv(data)
    summary = _train(data, tmp_path / "m", tmp_path / "cache.sqlite", 7, "--lexical", "--lexical-chars", "2,4",
                     "--lexical-features", "4096", "--blend")
    card = (tmp_path / "m" / "cards" / "weather.md").read_text()
    assert "| blend " in card and "--blend" in card and "--lexical-chars 2,4" in card
    head = load_head(tmp_path / "m" / "heads" / "weather.json")
    chosen_blend = summary["chosen"] == "blend"
    assert (head.kind == "blend") is chosen_blend and (head.linear is not None) is chosen_blend
    if chosen_blend:
        assert head.meta["lexical_selection"]["blend"]["mlp_share"] in BLEND_GRID
        assert head.lexical.char_ngrams == (2, 4) and head.in_dim == head.feature_dim(384 * 6) == 384 * 6 + 4096


def test_a_blend_without_lexical_features_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "topics.csv"
    _write_csv(data)
    result = CliRunner().invoke(cli, ["train", "--label", "weather", "--data", str(data), "--out", str(tmp_path / "m"),
                                      "--blend"])
    assert result.exit_code != 0 and "a blend needs --lexical" in result.output


def test_calibration_method_can_be_set_and_both_brier_scores_are_reported_either_way() -> None:
    import numpy as np

    from monitor.classify.train import fit_calibration

    rng = np.random.default_rng(0)
    y = (rng.random(600) < 0.2).astype(int)
    raw = rng.normal(2.0 * y, 1.0)
    auto, scores = fit_calibration(raw, y, 13)
    assert auto.method == ("isotonic" if scores["isotonic"] < scores["platt"] else "platt")
    for method in ("platt", "isotonic"):
        forced, forced_scores = fit_calibration(raw, y, 13, method=method)
        assert forced.method == method and forced_scores == scores
    # Platt is strictly increasing: distinct raw scores keep distinct probabilities, unlike isotonic's steps.
    platt = fit_calibration(raw, y, 13, method="platt")[0]
    assert len(np.unique(platt(raw))) == len(np.unique(raw))
