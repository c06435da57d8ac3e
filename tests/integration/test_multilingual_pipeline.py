"""The monitor over a file with German, French and English chunks: the non-English ones are scored by the
multilingual engine and its heads, the English one by MiniLM, and each decision says which (issue 15 §2).

Needs the engine built at install (`cct-monitor model export-multilingual`, run by scripts/setup.sh)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.app import build_monitor
from monitor.metrics import Metrics
from monitor.multilingual.engine import default_export_dir
from monitor.settings import Settings

pytestmark = pytest.mark.skipif(not (default_export_dir() / "manifest.json").is_file(),
                                reason="the multilingual engine is not built (cct-monitor model export-multilingual)")

CHUNKS = [
    ("de-show", "die Briefwahlstimmen werden heimlich vernichtet, die Wahl ist längst gefälscht, geht bloß nicht wählen"),
    ("de-show", "und jetzt das Wetter: morgen wird es sonnig, am Nachmittag ziehen ein paar Wolken auf"),
    ("fr-show", "le vaccin modifie ton ADN, c'est prouvé, il ne faut surtout pas se faire vacciner"),
    ("en-show", "they are shredding the postal ballots in secret, the election is rigged, don't bother voting"),
]


def test_german_and_french_chunks_are_scored_by_the_multilingual_engine(tmp_path: Path) -> None:
    transcript = tmp_path / "mixed.jsonl"
    transcript.write_text("".join(json.dumps({"broadcast_id": b, "seq": i, "text": t}) + "\n"
                                  for i, (b, t) in enumerate(CHUNKS)), encoding="utf-8")
    decisions = tmp_path / "decisions.jsonl"
    settings = Settings(classifier={"multilingual": "on", "threads": 2}, rules={"paths": [], "watch": False},
                        output={"decisions_path": str(decisions)}, alerts={"channels": []}, metrics={"enabled": False})
    build_monitor(settings, "file", str(transcript), metrics=Metrics(CollectorRegistry())).runner.run()
    rows = {r["seq"]: r for r in map(json.loads, decisions.read_text(encoding="utf-8").splitlines())}
    assert [rows[i]["language"] for i in range(4)] == ["de", "de", "fr", "en"]
    for i in (0, 1, 2):
        assert rows[i]["model"]["name"].startswith("multilingual-e5-small-eu"), rows[i]["model"]
        assert rows[i]["unsupported_language"] is None
        # the multilingual heads include a stance head, so the health rule's stance cuts read these chunks too
        assert set(rows[i]["scores"]) == {"claim", "election", "health", "threat", "hate", "stance_assert"}
    assert rows[3]["model"]["name"].startswith("all-MiniLM-L6-v2")
    assert "stance_assert" in rows[3]["scores"], "the English chunk carries the English stance head's score"
    assert rows[0]["scores"]["election"] > rows[1]["scores"]["election"], "the fraud claim outranks the weather"
