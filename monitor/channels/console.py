"""Console channel: the readable multi-line rendering of each alert, on stderr by default. With `replay` (the
file source: a recording replayed) it gives latency relative to the replay instead of to the original speech."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from monitor.channels.base import Channel, ChannelConfig, Envelope
from monitor.channels.render import console_text


class ConsoleChannel(Channel):
    """Prints alerts for a person watching the terminal (best-effort)."""

    kind = "console"
    durable = False
    routed = False

    def __init__(self, config: ChannelConfig, stream: IO[str] | None = None, replay: bool = False) -> None:
        super().__init__(config)
        self.stream = stream or sys.stderr
        self.replay = replay

    def send(self, envelopes: Sequence[Envelope]) -> None:
        for env in envelopes:
            self.stream.write(console_text(env.alert, self.replay) + "\n")
        self.stream.flush()
