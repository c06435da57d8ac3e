"""What the multilingual heads are trained and calibrated on (`monitor.multilingual.heads_train`): the CC0 spoken
set enters by base group, with only the other labels' rows that are safe negatives, and the election head is
calibrated to the English election head's prior; a retrained card keeps its hand-written section."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from monitor.classify.card import HAND_MARKER, hand_written
from monitor.multilingual.heads_train import STREAM_PRIORS, natural_prior, spoken_rows

SPOKEN = Path(__file__).resolve().parents[2] / "monitor" / "data" / "spoken"


def _kinds(label: str) -> dict[str, str]:
    return {json.loads(line)["text"]: json.loads(line)["kind"] for line in (SPOKEN / f"{label}.jsonl").open(encoding="utf-8")}


def test_threat_head_gets_its_own_rows_and_safe_negatives_only() -> None:
    rows = spoken_rows("threat")
    by_source = defaultdict(list)
    for _, row in rows:
        by_source[row.source].append(row)
    own = _kinds("threat")
    assert {r.y for r in by_source["spoken-threat"]} == {0, 1}
    assert all(r.y == (own[r.text] == "positive") for r in by_source["spoken-threat"])
    assert all(r.y == 0 for s, rs in by_source.items() if s not in ("spoken-threat", "spoken-ml-threat") for r in rs)
    election = _kinds("election")
    assert not [r for r in by_source["spoken-election"] if election[r.text] == "positive"], \
        "an election positive can be a threat too (a call to storm the count), so it is no threat negative"
    health = _kinds("health")
    assert [r for r in by_source["spoken-health"] if health[r.text] == "positive"], "health falsehoods are threat negatives"


def test_non_english_lines_enter_each_harm_head_as_its_own_rows_and_safe_negatives() -> None:
    ml = {rec["text"]: rec for rec in map(json.loads, (SPOKEN / "spoken_multilingual.jsonl").open(encoding="utf-8"))}
    rows = [row for _, row in spoken_rows("threat") if row.source.startswith("spoken-ml-")]
    own = [r for r in rows if r.source == "spoken-ml-threat"]
    assert {ml[r.text]["language"] for r in own if r.y} == {"de", "es", "fr", "it", "nl", "pl", "pt", "ro"}
    assert all(r.y == (ml[r.text]["kind"] == "positive") for r in own)
    others = [r for r in rows if r.source != "spoken-ml-threat"]
    assert others and all(r.y == 0 for r in others)
    assert not [r for r in others if r.source == "spoken-ml-election" and ml[r.text]["kind"] == "positive"], \
        "a call to blockade a count can be a threat too, so it is no threat negative"
    groups: dict[str, set[str]] = defaultdict(set)
    for split, row in spoken_rows("hate"):
        if row.source == "spoken-ml-hate":
            groups[ml[row.text]["group"]].add(split)
    assert groups and all(len(splits) == 1 for splits in groups.values())


def test_claim_head_reads_only_the_claim_file() -> None:
    assert {row.source for _, row in spoken_rows("claim")} == {"spoken-claim"}


def test_variants_of_one_base_stay_in_one_split() -> None:
    groups: dict[str, set[str]] = defaultdict(set)
    text_group = {json.loads(line)["text"]: json.loads(line)["group"]
                  for line in (SPOKEN / "hate.jsonl").open(encoding="utf-8")}
    for split, row in spoken_rows("hate"):
        if row.source == "spoken-hate":
            groups[text_group[row.text]].add(split)
    assert groups and all(len(splits) == 1 for splits in groups.values())
    assert {s for splits in groups.values() for s in splits} == {"train", "calib", "test"}


def test_election_is_calibrated_to_the_english_heads_prior() -> None:
    assert natural_prior([], "election") == STREAM_PRIORS["election"] == 0.05
    assert natural_prior([], "hate") is None, "no calibration rows: no prior shift"


def test_a_retrained_card_keeps_its_hand_written_section(tmp_path: Path) -> None:
    card = tmp_path / "cards" / "multilingual.md"
    card.parent.mkdir()
    hand = f"{HAND_MARKER}\n\n## Functional suite per language\n\nrecall de 0.59 -> 0.65 (one run, command beside it)\n"
    card.write_text("# Model card\n\nold generated table\n\n" + hand, encoding="utf-8")
    assert hand_written(card) == "\n" + hand
    assert hand_written(tmp_path / "cards" / "missing.md") == ""
    card.write_text("# Model card\n\nno hand-written part\n", encoding="utf-8")
    assert hand_written(card) == ""
