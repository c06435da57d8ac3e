"""A functional case as a tiny broadcast: its context turns, then the case chunk, as transcript records.

Each case is its own broadcast (`eval-<case id>`), so windows and cooldowns never leak between cases.
Chunks carry the fields a live audio space sends: speaker id and role, speech offsets six seconds
apart, emission time, the case's language (declared, so the pipeline trusts it rather than detecting
it), ASR confidence, audience reach and territories.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from monitor.eval.suite import FunctionalCase
from monitor.stages import SourceRecord

TOPIC = "functional-suite"
TURN_SPACING_MS = 6000
TURN_LENGTH_MS = 5500
AUDIENCE = {"listeners": 18000, "followers": 240000}
TERRITORIES = ["DE", "FR", "IE", "NL", "US"]
PLATFORM = "audio-space"


@dataclass(frozen=True, slots=True)
class CaseBroadcast:
    """The records of one case and where its own chunk is."""

    case: FunctionalCase
    records: list[SourceRecord]

    @property
    def broadcast_id(self) -> str:
        return f"eval-{self.case.id}"

    @property
    def case_seq(self) -> int:
        return len(self.case.context)


def case_broadcast(case: FunctionalCase, first_offset: int, started: dt.datetime,
                   declare_language: bool = True) -> CaseBroadcast:
    """Records for `case` (context turns first), with source offsets from `first_offset`; without
    `declare_language` the chunks carry no `language`, so the pipeline identifies it."""
    broadcast_id = f"eval-{case.id}"
    turns = [(t.speaker_role, t.text) for t in case.context] + [(case.speaker_role, case.text)]
    records = []
    for seq, (role, text) in enumerate(turns):
        start_ms = seq * TURN_SPACING_MS
        chunk = {
            "broadcast_id": broadcast_id, "seq": seq, "text": text,
            "start_ms": start_ms, "end_ms": start_ms + TURN_LENGTH_MS,
            "ts": (started + dt.timedelta(milliseconds=start_ms + TURN_LENGTH_MS)).isoformat().replace("+00:00", "Z"),
            "speaker": {"id": f"{broadcast_id}:{role}", "name": role, "role": role},
            "asr_confidence": 0.93, "is_final": True,
            "audience": AUDIENCE, "territories": TERRITORIES, "platform": PLATFORM,
            "title": f"Functional suite {case.category} / {case.case_type}",
        }
        if declare_language:
            chunk["language"] = case.language
        records.append(SourceRecord(TOPIC, 0, first_offset + seq, broadcast_id.encode(),
                                    json.dumps(chunk, ensure_ascii=False).encode("utf-8")))
    return CaseBroadcast(case, records)
