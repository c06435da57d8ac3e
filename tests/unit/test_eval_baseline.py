"""The plain baseline: fitted on the train split only, thresholded on calib, scoring every task it has."""

from __future__ import annotations

import csv
from pathlib import Path

from monitor.classify import corpora
from monitor.eval.baseline import train_baseline

HATEFUL = ["those {} are animals and should be driven out", "{} are vermin infesting our towns",
           "get rid of every one of the {}, they are filth"]
NEUTRAL = ["my {} neighbours brought soup when I was ill", "the {} choir sings at the fair on sunday",
           "a festival celebrating {} food opens downtown"]
GROUPS = ["migrants", "muslims", "roma", "jews", "refugees", "immigrants", "gypsies", "foreigners", "asians", "africans",
          "arabs", "poles", "turks", "kurds", "somalis", "syrians", "afghans", "nigerians", "albanians", "romanians"]


def write_davidson(root: Path) -> None:
    folder = root / "davidson-hate-offensive"
    folder.mkdir(parents=True)
    with open(folder / "labeled_data.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"])
        n = 0
        for group in GROUPS:
            for template, cls in [(t, 0) for t in HATEFUL] + [(t, 2) for t in NEUTRAL]:
                out.writerow([n, 3, 3 if cls == 0 else 0, 0, 0 if cls == 0 else 3, cls, template.format(group)])
                n += 1


def test_baseline_fits_on_train_rows_only_and_ranks_hate_above_neutral(tmp_path: Path) -> None:
    write_davidson(tmp_path / "data")
    baseline = train_baseline(tmp_path / "data", 0, tmp_path / "cache.sqlite")
    rows = corpora.load(["davidson"], root=tmp_path / "data")
    (head,) = baseline.heads
    assert head.task == "hate"
    assert head.train_n == sum(e.split == "train" for e in rows) and head.calib_n == sum(e.split == "calib" for e in rows)
    assert 0.2 <= head.threshold <= 0.8
    assert set(baseline.skipped) == set(corpora.TASKS) - {"hate"}
    hate, kind = baseline.score_texts(["the newcomers are vermin, drive them out", "our neighbours brought soup"])
    assert set(hate) == {"hate"} and hate["hate"] > kind["hate"]
    assert baseline.score_texts([]) == []
