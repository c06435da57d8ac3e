"""JSONL channel: one alert per line, appended and fsynced before the batch counts as delivered (durable)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from monitor.channels.base import Channel, ChannelConfig, Envelope


class JsonlChannel(Channel):
    """Appends alerts to a file; a folded repeat is a new line with the same `alert_id` and a higher `count`."""

    kind = "jsonl"
    durable = True

    def __init__(self, config: ChannelConfig, path: str | Path) -> None:
        super().__init__(config)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def send(self, envelopes: Sequence[Envelope]) -> None:
        for env in envelopes:
            self._fh.write(env.alert.model_dump_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()
