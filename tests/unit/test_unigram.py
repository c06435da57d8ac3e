"""The lean Unigram model gives the `tokenizers` library's ids, masks and offsets for the multilingual export, in
every call form the encoders use, on the bundled non-English texts and on odd input (added tokens written in
the text, their full-width look-alikes, control and zero-width characters, emoji, scripts the pieces do not
cover, ties between two segmentations), while the English WordPiece export keeps the library's model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from monitor.classify.fast_tokenizer import FastTokenizer
from monitor.classify.unigram import LeanUnigram, LeanUnsupported

ROOT = Path(__file__).resolve().parents[2]
MULTILINGUAL = ROOT / "models" / "onnx-multilingual" / "tokenizer.json"
ENGLISH = ROOT / "models" / "onnx" / "tokenizer.json"

ODD = [
    "", " ", "   ", "\n\n", "\x01", "\x01\x02 a", "<s>", " <s> ", "<s><s>", "a<s>b", "hallo </s></s> welt",
    "<unk><unk>", "<pad>x<mask>", "＜ｓ＞ voll breit ＜/ｓ＞", "<s", "s>", "<<s>>", "\u200b", "\u2581", "\u2581\u2581 x",
    "\ufeffBOM am Anfang", "e\u0301té", "ﬁnale ① ℌ Ⅻ ㎞ ½ x²", "\U0001F600 \U0001F468\u200d\U0001F469\u200d\U0001F467 🇩🇪",
    "日本語 한국어 עברית العربية ไทย", "\u0378\U000E0041 ｱｲｳﾊﾟ", "tab\there\r\nline\u2028sep\x85 \xa0nbsp",
    "query: schon ein Präfix", "und dann.... sagte er aber.... nein..... das war es nicht.... hahahahahha",
    "---------------------------------------------------------------------------- ende",
    " ".join(["wir reden heute über die wahl, die stimmen und die briefwahl"] * 12) + " und.... dann....",
]


def _bundled() -> list[str]:
    texts = [line.split("\t", 1)[1] for p in sorted((ROOT / "tests" / "fixtures" / "languages").glob("*.tsv"))
             for line in p.read_text("utf-8").splitlines()]
    for path in sorted((ROOT / "tests" / "functional" / "languages").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    spoken = ROOT / "monitor" / "data" / "spoken" / "spoken_multilingual.jsonl"
    texts += [json.loads(line)["text"] for line in spoken.read_text("utf-8").splitlines() if line.strip()]
    return texts


@pytest.fixture(scope="module")
def library() -> Tokenizer:
    if not MULTILINGUAL.is_file():
        pytest.skip("models/onnx-multilingual is not built")
    reference = Tokenizer.from_file(str(MULTILINGUAL))
    reference.no_padding()
    return reference


@pytest.fixture(scope="module")
def lean() -> FastTokenizer:
    tok = FastTokenizer(MULTILINGUAL, 1, ["input_ids", "attention_mask"])
    assert tok._lean is not None, "the multilingual export is run by the lean model"
    return tok


@pytest.mark.parametrize("special", [True, False])
@pytest.mark.parametrize("max_length", [None, 128, 12])
def test_lean_unigram_gives_the_library_pieces(library: Tokenizer, lean: FastTokenizer, special: bool,
                                                max_length: int | None) -> None:
    texts = _bundled() + ODD
    if max_length is None:
        library.no_truncation()
    else:
        library.enable_truncation(max_length=max_length)
    want = library.encode_batch(texts, add_special_tokens=special)
    got = lean(texts, add_special_tokens=special, truncation=max_length is not None, max_length=max_length,
               return_offsets_mapping=True)
    for i, text in enumerate(texts):
        assert (got["input_ids"][i], got["offset_mapping"][i]) == (want[i].ids, want[i].offsets), repr(text)
        assert got["attention_mask"][i] == want[i].attention_mask


def test_a_word_seen_again_in_another_text_keeps_its_pieces(library: Tokenizer, lean: FastTokenizer) -> None:
    """Words are cached across texts; a tie ("...." is "." + "..." or "..." + "." at equal score) is decided from
    the text's own running score, wherever the word stands."""
    library.no_truncation()
    texts = ["nein....", "aber nein.... doch", " ".join(["lange rede"] * 40) + " nein.... kurz", "nein...."]
    want = library.encode_batch(texts, add_special_tokens=False)
    got = lean(texts, add_special_tokens=False, return_offsets_mapping=True)
    assert got["input_ids"] == [e.ids for e in want]
    assert got["offset_mapping"] == [e.offsets for e in want]


def test_other_models_keep_the_library() -> None:
    if not ENGLISH.is_file():
        pytest.skip("models/onnx is not built")
    with pytest.raises(LeanUnsupported, match="not Unigram"):
        LeanUnigram(json.loads(ENGLISH.read_text("utf-8")))
    assert FastTokenizer(ENGLISH, 0, ["input_ids"])._lean is None


def test_a_piece_holding_the_word_mark_inside_is_refused(library: Tokenizer) -> None:
    """Words are segmented on their own only because no piece spans a word boundary."""
    config = json.loads(MULTILINGUAL.read_text("utf-8"))
    config["model"]["vocab"].append(["a\u2581b", -20.0])
    with pytest.raises(LeanUnsupported, match="holds it after its start"):
        LeanUnigram(config)
