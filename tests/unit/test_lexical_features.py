"""Hashed word n-gram features and the heads that read them beside the embedding (the stance head)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.heads import Calibration, Head, head_inputs, load_head
from monitor.classify.lexical import LexicalFeatures

LEX = LexicalFeatures(ngram_max=3, n_features=2**12, weight=1.0)


def test_features_depend_on_the_words_only_not_on_case_punctuation_or_the_instance() -> None:
    a = LEX.transform(["It's a MYTH that garlic cures the flu!"])
    b = LexicalFeatures(3, 2**12, 1.0).transform(["it's a myth that garlic cures the flu"])
    assert np.array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == (1, 2**12)
    assert np.isclose(np.linalg.norm(a), 1.0)


def test_a_framing_phrase_lights_the_same_columns_wherever_it_stands() -> None:
    phrase, framed, bare = LEX.transform(["it's a myth that", "honestly it's a myth that raw milk cures asthma",
                                          "raw milk cures asthma"])
    assert set(np.flatnonzero(phrase)) <= set(np.flatnonzero(framed))
    assert not set(np.flatnonzero(phrase)) <= set(np.flatnonzero(bare))


def test_weight_scales_the_block_and_a_text_without_words_is_zeros() -> None:
    rows = LexicalFeatures(2, 2**10, 0.5).transform(["someone in the chat says so", "?!"])
    assert np.isclose(np.linalg.norm(rows[0]), 0.5) and not rows[1].any()


@pytest.mark.parametrize("params", [(0, 16, 1.0), (2, 0, 1.0), (2, 16, 0.0)])
def test_nonsense_parameters_are_refused(params: tuple[int, int, float]) -> None:
    with pytest.raises(ValueError, match="lexical features"):
        LexicalFeatures(*params)


def _lexical_head(emb_dim: int = 4) -> Head:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(emb_dim + LEX.n_features, 1)).astype(np.float32)
    return Head("stance_assert", "lr", "text+lexical", [(w, np.zeros(1, np.float32))],
                Calibration("platt", {"platt": np.array([1.0, 0.0])}), lexical=LEX)


def test_a_lexical_head_round_trips_through_its_files_and_reads_the_texts(tmp_path: Path) -> None:
    head = _lexical_head()
    head.save(tmp_path)
    assert json.loads((tmp_path / "stance_assert.json").read_text())["lexical"] == {
        "ngram_max": 3, "n_features": 2**12, "weight": 1.0}
    loaded = load_head(tmp_path / "stance_assert.json")
    assert loaded.lexical == LEX and loaded.feature_dim(4) == 4 + 2**12
    emb = np.ones((2, 4), np.float32) / 2
    texts = ["a caller says the jab has a chip", "the jab has a chip"]
    x = head_inputs(loaded, emb, None, texts)
    dense = x.dense()
    assert dense.shape == (2, 4 + 2**12) and np.array_equal(dense[:, 4:], LEX.transform(texts))
    p = loaded.proba(x)
    assert np.allclose(p, head.proba(dense), atol=1e-6) and p[0] != p[1]


def test_a_lexical_head_given_no_texts_or_a_bad_spec_is_a_clear_error(tmp_path: Path) -> None:
    head = _lexical_head()
    with pytest.raises(ValueError, match="reads the texts"):
        head_inputs(head, np.zeros((2, 4), np.float32), None, ["only one"])
    with pytest.raises(ValueError, match="disagree"):
        Head("x", "lr", "text", head.layers, head.calibration, lexical=LEX)
    head.save(tmp_path)
    spec = json.loads((tmp_path / "stance_assert.json").read_text())
    spec["lexical"]["stemmer"] = "porter"
    (tmp_path / "stance_assert.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match=r"stance_assert\.json: lexical features: unknown keys \['stemmer'\]"):
        load_head(tmp_path / "stance_assert.json")


def test_the_columns_and_values_are_scikit_learns_hashing_vectorizer() -> None:
    """The head was fitted with these features: they must stay the library's, column for column, though serving
    computes them without importing it."""
    from sklearn.feature_extraction.text import HashingVectorizer

    texts = ["It's a MYTH that garlic cures the flu!", "the the the vote vote", "", "?!", "5G towers spread it, 100%",
             "Die Briefwahl ist gefälscht, naïve café rôle", "someone in the chat says the jab has a microchip in it",
             "i'm telling you, they rigged the count in ward 4 overnight and nobody's asking"]
    for params in ((3, 2**14, 1.0), (2, 2**10, 0.5), (1, 7, 2.0)):
        ours = LexicalFeatures(*params)
        ref = HashingVectorizer(lowercase=True, token_pattern=r"[a-z0-9']+", ngram_range=(1, params[0]),
                                n_features=params[1], alternate_sign=False, binary=True, norm="l2", dtype=np.float32)
        expected = ref.transform(texts).toarray() * np.float32(params[2])
        assert np.allclose(ours.transform(texts), expected, atol=1e-7), params


def test_character_ngrams_add_scikit_learns_char_wb_columns_to_the_word_columns() -> None:
    """With char_ngrams the block lights the union of the library's word and char_wb columns (binary, one
    L2 norm over the row), so hashtags and outlet names reach the head even where they are one token."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from monitor.classify.lexical import _word_char_columns

    texts = ["It's a MYTH that #COVID19 cures   the flu!", "a", "", "?!", "naïve café rôle, via @WHO_news",
             "the flu, the FLU: cures"]
    lex = LexicalFeatures(3, 2**12, 2.0, (2, 5))
    _word_char_columns.cache_clear()
    rows = lex.sparse(texts)  # words hashed as they come, the last text's words from the cache
    assert _word_char_columns.cache_info().hits > 0 and (lex.sparse(texts) != rows).nnz == 0
    kw = {"n_features": 2**12, "alternate_sign": False, "binary": True, "norm": None}
    words = HashingVectorizer(token_pattern=r"[a-z0-9']+", ngram_range=(1, 3), **kw).transform(texts)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **kw).transform(texts)
    for i in range(len(texts)):
        expected = set(words[i].indices) | set(chars[i].indices)
        assert set(rows[i].indices) == expected
        assert np.isclose(np.linalg.norm(rows[i].toarray()), 2.0 if expected else 0.0)
    assert LexicalFeatures.from_json(lex.to_json()) == lex and lex.to_json()["char_ngrams"] == [2, 5]
    assert "char_ngrams" not in LEX.to_json()
    with pytest.raises(ValueError, match="char_ngrams"):
        LexicalFeatures(3, 16, 1.0, (3, 2))


def test_a_blend_head_adds_its_dense_layers_on_the_embedding_to_its_linear_term_on_the_whole_row(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    emb_dim, hidden = 4, 3
    lex = LexicalFeatures(2, 2**8, 1.0, (2, 4))
    layers = [(rng.normal(size=(emb_dim, hidden)).astype(np.float32), rng.normal(size=hidden).astype(np.float32)),
              (rng.normal(size=(hidden, 1)).astype(np.float32), np.array([0.1], np.float32))]
    linear = (rng.normal(size=(emb_dim + lex.n_features, 1)).astype(np.float32), np.array([-0.2], np.float32))
    head = Head("health", "blend", "text+lexical", layers, Calibration("platt", {"platt": np.array([1.0, 0.0])}),
                lexical=lex, linear=linear)
    head.save(tmp_path)
    loaded = load_head(tmp_path / "health.json")
    assert loaded.in_dim == loaded.feature_dim(emb_dim) == emb_dim + 2**8
    assert set(loaded.calibration.params) == {"platt"}
    emb = rng.normal(size=(2, emb_dim)).astype(np.float32)
    texts = ["drink bleach #cure", "wash your hands"]
    full = np.concatenate([emb, lex.transform(texts)], axis=1)
    mlp = np.maximum(emb @ layers[0][0] + layers[0][1], 0) @ layers[1][0] + layers[1][1]
    expected = (mlp + full @ linear[0] + linear[1])[:, 0]
    assert np.allclose(loaded.raw(head_inputs(loaded, emb, None, texts)), expected, atol=1e-5)
    with pytest.raises(ValueError, match="blend"):
        loaded.raw(emb)
    with pytest.raises(ValueError, match="linear term"):
        Head("health", "blend", "text+lexical", layers, head.calibration, lexical=lex,
             linear=(linear[0][:-1], linear[1]))

