"""The rules stage's fast paths answer exactly what the plain scans answer (issue 12: rules CPU per chunk).

Real files: the shipped keyword lists and narrative sets, the bundled sample broadcast and synthetic speech."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from monitor.narratives.index import encode_queries
from monitor.narratives.loader import load_sets_or_raise, narrative_dirs
from monitor.narratives.matcher import NarrativeMatcher, shared_default_encoder
from monitor.rules_engine.leaves.keywords import KeywordMatcher, ListMatchers
from monitor.rules_engine.loader import load_or_raise
from monitor.rules_engine.view import words

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "monitor" / "data"


def _texts() -> list[str]:
    texts = []
    for path in [DATA / "sample_broadcast.jsonl", *sorted((DATA / "synthetic").glob("*.jsonl"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text")
            if text:
                texts.append(text)
    return texts


def _contains(matcher: KeywordMatcher, text: str) -> bool:
    toks = words(text)
    return matcher.contains(toks, frozenset(toks), " ".join(toks))


def test_keyword_contains_agrees_with_find_on_every_shipped_list() -> None:
    texts = _texts()
    matchers = [m for s in load_or_raise([ROOT / "rules"]) for entry in s.ruleset.keyword_lists.values()
                for m in ListMatchers(entry).languages.values()]
    hits = 0
    for matcher in matchers:
        for text in texts:
            found = bool(matcher.find(words(text)))
            assert _contains(matcher, text) == found, (matcher.find(words(text)), text)
            hits += found
    assert len(matchers) > 30 and 0 < hits < len(matchers) * len(texts)


def test_keyword_contains_prefixes_start_words_and_phrases_need_their_words_in_order() -> None:
    matcher = KeywordMatcher(["vaccin*", "stolen election", "rigged", "Café*"])
    assert _contains(matcher, "the vaccines were tested") and _contains(matcher, "CAFETERIA talk")
    assert not _contains(matcher, "they were unvaccinated"), "a prefix matches at the start of a word only"
    assert _contains(matcher, "a stolen election, they say") and not _contains(matcher, "the election was stolen")
    assert _contains(matcher, "it was Rigged!") and not _contains(matcher, "rigging")


def test_keyword_prefix_ends_any_word_of_a_phrase() -> None:
    matcher = KeywordMatcher(["conspiracy theor*", "teori* spiskow*", "anti-vax*"])
    assert matcher.find(words("Conspiracy theories about water")) == ["conspiracy theor*"]
    assert _contains(matcher, "to teorie spiskowe") and _contains(matcher, "the anti-vaxxers again")
    assert not _contains(matcher, "a theory of conspiracy"), "the words of a phrase stay in order"
    assert not _contains(matcher, "conspiracy, in theory"), "and consecutive"
    assert not _contains(matcher, "teoria o spisku"), "each prefix starts its own word"


def test_keyword_contains_answers_what_find_answers_for_phrases_of_prefixes_and_shared_words() -> None:
    """`contains` rules phrases out by their words and searches the phrases that start with a prefix in the joined
    words; `find` scans word by word. Both agree on every text, the near misses included."""
    matcher = KeywordMatcher(["stuff* the box*", "control* the media", "the big lie", "tak* back our country",
                              "rigged", "mail-in ballot*"])
    texts = ["they stuffed the boxes overnight", "stuff the box", "stuffing the", "the box was stuffed",
             "stuffthe box", "they control the media", "controlled the media outlets", "control the medias",
             "uncontrolled the media", "control media", "it is the big lie again", "the big lies", "big lie",
             "taking back our country", "take our country back", "rigged", "rig", "mail in ballots", "mail-in",
             "Stuffed THE Boxes", "the", "", "the the big big lie lie"]
    for text in texts:
        assert _contains(matcher, text) == bool(matcher.find(words(text))), text
    assert _contains(matcher, "they stuffed the boxes overnight") and not _contains(matcher, "uncontrolled the media")


def test_accents_are_stripped_as_decomposing_and_dropping_every_combining_mark() -> None:
    import unicodedata

    from monitor.rules_engine.view import strip_accents

    texts = ["Wahlbetrug, gefälscht!", "élection truquée", "wybory sfałszowane, żądamy", "alegeri fraudate, țară",
             "Ｆｕｌｌｗｉｄｔｈ ﬁ", "e\u0301 o\u0308 a\u0323\u0302", "’quoted’ — dash…", "emoji 👍🏽 ok", "plain ascii", ""]
    for text in texts * 2:  # the second time from the filled translation table
        decomposed = unicodedata.normalize("NFKD", text)
        assert strip_accents(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch)), text
    assert strip_accents("Gefälscht, élection") == "Gefalscht, election"


def test_best_per_document_is_the_best_wording_of_each_narrative() -> None:
    sets = load_sets_or_raise(narrative_dirs([ROOT / "rules"]))
    matcher = NarrativeMatcher(sets, {s.set.id for s in sets}, shared_default_encoder())
    texts = _texts()[:60]
    for index in matcher.indexes.values():
        query = encode_queries(matcher.encoder, texts, None).plain
        sims = query @ index.vectors.T
        bounds = np.cumsum([0, *(len(d.texts) for d in index.docs)])
        expected = np.stack([sims[:, a:b].max(axis=1) for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
        assert np.array_equal(index.best_per_document(query), expected)
        assert index.best_per_document(query[:0]).shape == (0, len(index.docs))


def test_a_branch_tested_label_leaves_first_answers_what_its_trace_answers() -> None:
    """`test` runs a branch's score comparisons before its other leaves (the trace keeps the written order): on every
    shipped rule, over the bundled texts at low, middling and high scores, both agree."""
    from monitor.contracts import TranscriptChunk
    from monitor.rules_engine.compile import compile_rule_sets
    from monitor.rules_engine.view import ChunkView

    sets = load_or_raise([ROOT / "rules"])
    rules = compile_rule_sets(sets, {n.set.id: n for n in load_sets_or_raise(narrative_dirs([ROOT / "rules"]))})
    labels = sorted({label for cr in rules for label in cr.labels})
    nodes = [node for cr in rules for node in (cr.when, *(n for _, n in cr.unless))]
    agreed = fired = 0
    for i, text in enumerate(_texts()[::7]):
        chunk = TranscriptChunk(broadcast_id="b", seq=i, text=text)
        for level in (0.05, 0.5, 0.95):
            view = ChunkView(chunk, {label: level for label in labels})
            for node in nodes:
                matched = node.trace(view)["matched"]
                assert node.test(view) == matched, (text, level)
                agreed += 1
                fired += matched
    assert agreed > 1000 and fired > 0


def test_regex_leaves_joined_as_one_alternation_match_what_any_of_them_matches() -> None:
    from monitor.contracts import TranscriptChunk
    from monitor.rules_engine.leaves.regex import RegexLeaf, any_of, compile_regex
    from monitor.rules_engine.view import ChunkView

    patterns = ["^vote by text", "(?-i)ID$", r"\bpolls? (?:close|closed)\b", "x{2,}y", r"\Qa)b\E"]
    leaves = [RegexLeaf(p, "chunk", compile_regex(p)) for p in patterns]
    assert any_of(leaves) is None  # \Q...\E is never joined
    joined = any_of(leaves[:4])
    assert joined is not None
    texts = ["Vote by text tonight", "you can vote by text", "bring your ID", "bring your id", "the polls closed",
             "pollster", "xxy", "xy", "nothing here", ""]
    for text in texts:
        view = ChunkView(TranscriptChunk(broadcast_id="b", seq=0, text=text), {})
        assert joined.test(view) == any(leaf.test(view) for leaf in leaves[:4]), text


def test_a_regex_leaf_tested_over_utf8_without_captures_matches_where_its_trace_matches() -> None:
    """`test` searches the view's UTF-8 text with the pattern's groups non-capturing; `trace` searches the text
    with the pattern as written: both find a match in the same texts, accented and non-Latin ones included."""
    from monitor.contracts import TranscriptChunk
    from monitor.rules_engine.leaves.regex import RegexLeaf, compile_regex
    from monitor.rules_engine.view import ChunkView

    patterns = [r"\b(13|thirteen)\s*(percent|%)?[^.]{0,20}\b(50|fifty)\b", r"(?P<w>wahl)betrug", r"^élection\b",
                r"\bżąd(amy|am)\b", "(?-i)ÉTÉ", r"\p{Greek}+", r"(a)(b)?(c)*\b"]
    texts = ["13 percent and then 50", "thirteen of them, fifty", "13. 50", "Wahlbetrug!", "élection truquée",
             "une élection", "żądamy uczciwych wyborów", "ŻĄDAM", "ÉTÉ", "été", "Ελλάδα", "abccc", "ab", "", "x"]
    for pattern in patterns:
        leaf = RegexLeaf(pattern, "chunk", compile_regex(pattern))
        for text in texts:
            view = ChunkView(TranscriptChunk(broadcast_id="b", seq=0, text=text), {})
            assert leaf.test(view) == leaf.trace(view)["matched"], (pattern, text)
