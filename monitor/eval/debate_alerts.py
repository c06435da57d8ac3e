"""What the rules raise on real political debates: the whole test debates that the check-worthiness ranking
reads, streamed through the monitor's pipeline as live broadcasts (one chunk per transcript line, in order,
so windows, cooldowns and the turns before work as on air).

Debates and speeches are lawful political speech at a large audience: an alert above `info` on them is
almost always a false alarm (a reviewer paged for a candidate's policy line), which the functional suite's
short cases cannot show at this scale. `info` entries of the fact-check queue are scored against the
debates' check-worthy labels instead. Every line is a `guest` with 100,000 listeners in EU territories (the
transcripts name the speaker but not the role), dated now so every rule set is in force.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from monitor.alert import SEVERITIES
from monitor.classify.corpora import CorpusExample
from monitor.eval.broadcast import TERRITORIES
from monitor.eval.functional import unsupported_language_warnings_off
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.settings import PipelineSettings
from monitor.stages import Classifier, RuleEngine, SourceRecord

TOPIC = "debate-replay"
LINES_PER_BATCH = 64
LINE_SPACING_MS = 5000
AUDIENCE = {"listeners": 100_000, "followers": 500_000}
CLAIM_RULESET = "fact-check"
EXAMPLES_PER_RULE = 3


def debate_records(debates: Sequence[CorpusExample], started: dt.datetime) -> list[SourceRecord]:
    """One transcript record per debate line, each debate its own broadcast, lines in transcript order."""
    seqs: Counter[str] = Counter()
    records = []
    for offset, e in enumerate(debates):
        broadcast_id = f"debate-{e.source}-{e.group}"
        seq = seqs[broadcast_id]
        seqs[broadcast_id] += 1
        start_ms = seq * LINE_SPACING_MS
        speaker = e.speaker or "speaker"
        chunk = {
            "broadcast_id": broadcast_id, "seq": seq, "text": e.text, "start_ms": start_ms,
            "end_ms": start_ms + LINE_SPACING_MS - 100,
            "ts": (started + dt.timedelta(milliseconds=start_ms)).isoformat().replace("+00:00", "Z"),
            "speaker": {"id": f"{broadcast_id}:{speaker}", "name": speaker.title(), "role": "guest"},
            "asr_confidence": 0.95, "is_final": True, "audience": AUDIENCE, "territories": TERRITORIES,
            "language": "en", "title": f"{e.source} {e.group}",
        }
        records.append(SourceRecord(TOPIC, 0, offset, broadcast_id.encode(), json.dumps(chunk).encode("utf-8")))
    return records


def debate_alerts(debates: Sequence[CorpusExample], classifier: Classifier | None, engine: RuleEngine,
                  settings: PipelineSettings) -> dict[str, Any]:
    """Firings of enforce-mode rules on the debates: by rule and severity, above info per 1,000 lines, the
    claim queue against the check-worthy labels, and a few example lines per rule."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    records = debate_records(debates, started)
    pipeline = Pipeline(settings, Metrics(CollectorRegistry()), classifier, engine)
    by_rule: Counter[tuple[str, str, str]] = Counter()
    check_worthy: Counter[tuple[str, str, str]] = Counter()
    examples: dict[str, list[str]] = {}
    queued = queued_worthy = 0
    with unsupported_language_warnings_off():
        for start in range(0, len(records), LINES_PER_BATCH):
            batch = pipeline.process(records[start : start + LINES_PER_BATCH])
            if batch.dead_letters:
                raise ValueError(f"debate line rejected: {batch.dead_letters[0].reason}: {batch.dead_letters[0].detail}")
            for decision in batch.decisions:
                line = debates[decision.item.record.offset]
                worthy = line.labels.get("claim", 0)
                fired = [f for f in decision.firings if f["mode"] == "enforce"]
                for f in fired:
                    key = (f["ruleset"], f["rule_id"], f["severity"])
                    by_rule[key] += 1
                    check_worthy[key] += worthy
                    if f["severity"] != "info" or f["ruleset"] == CLAIM_RULESET:
                        examples.setdefault(f["rule_id"], [])
                        if len(examples[f["rule_id"]]) < EXAMPLES_PER_RULE:
                            examples[f["rule_id"]].append(line.text)
                if any(f["ruleset"] == CLAIM_RULESET for f in fired):
                    queued += 1
                    queued_worthy += worthy
    above_info = sum(n for (_, _, sev), n in by_rule.items() if sev != "info")
    return {
        "lines": len(records), "debates": len({(e.source, e.group) for e in debates}),
        "check_worthy": sum(e.labels.get("claim", 0) for e in debates),
        "firings": [{"ruleset": rs, "rule": rule, "severity": sev, "n": n, "check_worthy": check_worthy[(rs, rule, sev)]}
                    for (rs, rule, sev), n in sorted(by_rule.items(), key=lambda kv: (-SEVERITIES.index(kv[0][2]), -kv[1]))],
        "above_info": above_info,
        "above_info_per_1000": round(1000 * above_info / len(records), 2) if records else None,
        "claim_queue": {"lines": queued, "check_worthy": queued_worthy},
        "examples": examples,
    }
