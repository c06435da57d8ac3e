"""The project-written spoken training set: well formed, reproducible from its bases, and held out from the suite."""

from __future__ import annotations

import json
import random

import pytest

from monitor.classify import spoken
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.eval.suite import load_suite


@pytest.fixture(scope="module")
def rows() -> dict[str, list[spoken.SpokenRow]]:
    return {label: spoken.read_rows(label) for label in spoken.FILES}


@pytest.fixture(scope="module")
def suite() -> list[str]:
    return spoken.suite_texts(load_suite())


def test_every_shipped_row_is_a_variant_of_its_base(rows: dict[str, list[spoken.SpokenRow]]) -> None:
    for label, shipped in rows.items():
        built = {(r.text, r.group, r.label, r.kind) for r in spoken.expand(label)}
        assert shipped, label
        assert all((r.text, r.group, r.label, r.kind) in built for r in shipped), label
        assert {r.label for r in shipped} == {0, 1}


def _training_texts(rows: dict[str, list[spoken.SpokenRow]]) -> list[str]:
    """Every shipped spoken row and every stance pair the stance heads (English and multilingual) are trained on."""
    pairs = [line for name in ("stance_pairs.jsonl", "stance_multilingual.jsonl")
             for line in (spoken.SPOKEN_DIR / name).read_text(encoding="utf-8").splitlines()]
    return [r.text for shipped in rows.values() for r in shipped] + [json.loads(line)["text"] for line in pairs]


def test_no_training_row_shares_six_words_with_the_suite(rows: dict[str, list[spoken.SpokenRow]], suite: list[str]) -> None:
    assert not any(spoken.shared_ngram(_training_texts(rows), suite))


@pytest.mark.timeout(900)  # ~6,000 texts through the torch encoder: half a minute on 2 quiet cores, far more when shared
def test_no_training_row_is_a_near_duplicate_of_a_suite_utterance(
    rows: dict[str, list[spoken.SpokenRow]], suite: list[str]
) -> None:
    encoder = Encoder(EncoderConfig())
    texts = _training_texts(rows)
    assert spoken.max_cosine(encoder.encode(texts), encoder.encode(suite)).max() < spoken.MAX_COSINE


def test_shared_ngram_finds_a_copied_sequence_through_case_and_punctuation() -> None:
    suite = ["The polls, they say, close at noon on Sunday this year."]
    assert spoken.shared_ngram(["i heard they say close at noon on sunday ok", "close at noon"], suite) == [True, False]


def test_asr_noise_is_lower_case_without_punctuation() -> None:
    noisy = spoken.asr_noise("Bring YOUR ballot, then the polls!", random.Random(1))
    assert noisy == noisy.lower() and "," not in noisy and "!" not in noisy
    assert "ballet" in noisy or "poles" in noisy


def test_a_malformed_base_line_is_named(tmp_path) -> None:
    (tmp_path / "election.txt").write_text("+ plain | fine line\n? plain | bad kind\n", encoding="utf-8")
    with pytest.raises(ValueError, match="election.txt:2"):
        spoken.read_bases("election", tmp_path)
    (tmp_path / "election.txt").write_text("+ plain | vote in {nowhere}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown slot"):
        spoken.read_bases("election", tmp_path)
