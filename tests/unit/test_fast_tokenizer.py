"""The torch-free tokenizer truncates exactly as the `tokenizers` library's own truncation does, for both
shipped exports (English WordPiece and the multilingual Unigram with its `query:` pieces), while holding one
`Tokenizer`: the pieces, masks and offsets a long chunk is embedded from are those of the source model."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer

from monitor.classify.fast_tokenizer import FastTokenizer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "languages"
EXPORTS = [pytest.param(ROOT / "models" / name / "tokenizer.json", pad, id=name)
           for name, pad in (("onnx", 0), ("onnx-multilingual", 1))]


def _texts() -> list[str]:
    lines = [line.split("\t", 1)[1] for p in sorted(FIXTURES.glob("*.tsv")) for line in p.read_text("utf-8").splitlines()]
    long = [" ".join(lines[i:i + 40]) for i in range(0, len(lines), 40)]  # well past 128 pieces
    return [*lines[:64], *long, "", "a"]


@pytest.mark.parametrize(("path", "pad_id"), EXPORTS)
@pytest.mark.parametrize("special", [True, False])
@pytest.mark.parametrize("max_length", [128, 12])
def test_truncation_matches_the_library_truncation(path: Path, pad_id: int, special: bool, max_length: int) -> None:
    if not path.is_file():
        pytest.skip(f"{path.parent.name} is not built")
    reference = Tokenizer.from_file(str(path))
    reference.no_padding()
    reference.enable_truncation(max_length=max_length)
    texts = _texts()
    want = reference.encode_batch(texts, add_special_tokens=special)
    tok = FastTokenizer(path, pad_id, ["input_ids", "attention_mask"])
    got = tok(texts, add_special_tokens=special, truncation=True, max_length=max_length, return_offsets_mapping=True)
    assert got["input_ids"] == [e.ids for e in want]
    assert got["attention_mask"] == [e.attention_mask for e in want]
    assert got["offset_mapping"] == [e.offsets for e in want]
    assert max(map(len, got["input_ids"])) == max_length, "the long texts were cut"
    untruncated = tok(texts, add_special_tokens=special)["input_ids"]
    assert max(map(len, untruncated)) > max_length, "without truncation nothing is cut"
    padded = tok(texts, add_special_tokens=special, truncation=True, max_length=max_length, padding=True,
                 return_tensors="np")
    assert padded["input_ids"].shape == (len(texts), max_length)
    assert padded["input_ids"][0, :len(want[0].ids)].tolist() == want[0].ids
