"""The multilingual stance head's data and scale (`monitor.multilingual.stance`): the non-English pairs are what
`scripts/make_stance_multilingual.py` writes, every source is split by group with its test groups held out, and the
head's score is mapped so the rules' stance cuts keep the English head's meaning."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from monitor.classify.heads import Calibration, Head
from monitor.multilingual import stance

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_pairs_are_the_generators_output(tmp_path: Path) -> None:
    shipped = stance.MULTILINGUAL.read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "make_stance_multilingual.py").read_text(encoding="utf-8")
    out = tmp_path / "stance_multilingual.jsonl"
    patched = tmp_path / "make.py"
    patched.write_text(script.replace('OUT = Path(__file__).resolve().parents[1] / "monitor" / "data" / "spoken" / '
                                      '"stance_multilingual.jsonl"', f"OUT = Path({str(out)!r})"), encoding="utf-8")
    subprocess.run([sys.executable, str(patched)], check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == shipped
    rows = [json.loads(line) for line in shipped.splitlines()]
    assert {r["language"] for r in rows} == {"de", "es", "fr", "it", "nl", "pl", "pt", "ro"}
    assert {r["stance"] for r in rows} == {"assert", "quote", "report", "deny", "condemn"}


def test_every_group_stays_in_one_split_and_each_language_is_tested() -> None:
    rows = stance.stance_rows()
    group_of = {json.loads(line)["text"]: json.loads(line)["group"]
                for line in stance.MULTILINGUAL.read_text(encoding="utf-8").splitlines()}
    splits: dict[str, set[str]] = defaultdict(set)
    for split, split_rows in rows.items():
        for r in split_rows:
            if r.source.startswith(stance.MULTILINGUAL_PREFIX):
                splits[group_of[r.text]].add(split)
    assert splits and all(len(s) == 1 for s in splits.values())
    tested = {r.source for r in rows["test"] if r.source.startswith(stance.MULTILINGUAL_PREFIX)}
    assert tested == {f"{stance.MULTILINGUAL_PREFIX}{lang}" for lang in ("de", "es", "fr", "it", "nl", "pl", "pt", "ro")}
    english = stance.stance_rows(multilingual=False)
    assert not any(r.source.startswith(stance.MULTILINGUAL_PREFIX) for split in english.values() for r in split)


def test_alignment_maps_the_calibration_splits_operating_points_to_the_rules_cuts() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1] * 200 + [0] * 200)
    x = np.concatenate([rng.normal(1.0, 1.0, 200), rng.normal(-1.0, 1.0, 200)]).reshape(-1, 1)
    head = Head(label="stance_assert", kind="lr", features="text", layers=[(np.ones((1, 1), np.float32), np.zeros(1, np.float32))],
                calibration=Calibration("platt", {"platt": np.array([1.0, 0.0])}), threshold=0.5)
    before = head.proba(x)
    points = stance.align_to_rule_cuts(head, x, y)
    after = head.proba(x)
    assert np.all(np.diff(after[np.argsort(before)]) >= -1e-9), "the map keeps the order of the scores"
    assert np.mean(after[y == 1] < stance.RULE_CUTS["drop"]) <= stance.CUT_SHARES["drop"]
    assert np.mean(after[y == 0] >= stance.RULE_CUTS["info"]) <= stance.CUT_SHARES["info"]
    assert points["drop"] < points["info"] and head.meta["rule_cut_alignment"] == points
