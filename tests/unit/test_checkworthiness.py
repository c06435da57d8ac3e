"""CLEF-style check-worthiness ranking: whole test debates, per-debate AP averaged, debates without a
check-worthy line skipped."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from monitor.classify import corpora
from monitor.classify.corpora import CorpusExample
from monitor.eval.checkworthiness import average_precision, debate_test_rows, ranking_metrics


def line(debate: str, text: str, worthy: int, source: str = "clef2019") -> CorpusExample:
    return CorpusExample(text=text, labels={"claim": worthy}, group=debate, source=source, licence="test")


def test_average_precision_of_a_ranking() -> None:
    # check-worthy lines ranked 1st and 3rd: (1/1 + 2/3) / 2
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(5 / 6)
    assert average_precision(np.array([0, 0, 1]), np.array([0.9, 0.8, 0.7])) == pytest.approx(1 / 3)


def test_map_averages_debates_and_skips_those_without_a_check_worthy_line() -> None:
    rows = [line("d1", "a", 1), line("d1", "b", 0), line("d2", "c", 0), line("d2", "d", 1),
            line("d3", "e", 0), line("d3", "f", 0)]
    scores = [{"claim": s} for s in (0.9, 0.1, 0.9, 0.1, 0.5, 0.5)]
    [row] = ranking_metrics(rows, scores)
    assert row["debates"] == 2 and row["lines"] == 6 and row["positives"] == 2
    assert row["map"] == pytest.approx((1.0 + 0.5) / 2)
    assert row["r_precision"] == pytest.approx(0.5)
    assert row["p_at_10"] == pytest.approx(0.1)


def _dates(split: str, n: int) -> list[str]:
    found = [f"2099{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    return [d for d in found if corpora.split_of("clef2019", d) == split][:n]


def test_debate_rows_keep_whole_test_debates_up_to_the_cap(tmp_path: Path) -> None:
    folder = tmp_path / "clef2019-checkworthiness"
    folder.mkdir()
    test_dates, train_dates = _dates("test", 3), _dates("train", 1)
    with (folder / "train.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["line_number", "speaker", "text", "label", "file_name"])
        for date in test_dates + train_dates:
            for i in range(4):
                w.writerow([i + 1, "A", f"line {i} of {date}", int(i == 0), f"{date}_debate.tsv"])
    every = debate_test_rows(tmp_path, 0)
    assert {e.group for e in every} == set(test_dates) and len(every) == 12
    capped = debate_test_rows(tmp_path, 9)
    debates = {e.group for e in capped}
    assert len(debates) == 2 and len(capped) == 8  # a third debate would pass the cap, so it is left out whole
    assert all(sum(e.group == d for e in capped) == 4 for d in debates)
