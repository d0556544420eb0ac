"""How far behind its source a room plays, when the source says when it started.

The project's room source writes ``DRIVETIME_SOURCE_T0_NS`` (wall clock at granule 0 of each
chained stream) into OpusTags. A listener on a synchronised clock can then tell its lag from
the granule it is playing. Written on the render thread, read on the event loop: a single
float assignment, which is atomic under the GIL.
"""

from __future__ import annotations

import time

from device.audio.packets import AudioPacket, StreamInfo
from device.audio.pcm import OPUS_RATE

SOURCE_T0_TAG = "DRIVETIME_SOURCE_T0_NS"
MAX_BELIEVABLE_LAG_MS = 10 * 60 * 1000


class LagMeter:
    def __init__(self, output_latency_ms: float = 0.0) -> None:
        self._output_latency_ms = output_latency_ms
        self._t0_ns: dict[int, int] = {}
        self._lag_ms = -1.0

    def stream_started(self, info: StreamInfo) -> None:
        value = info.tags.get(SOURCE_T0_TAG, "")
        if value.isdigit():
            self._t0_ns[info.serial] = int(value)
            if len(self._t0_ns) > 64:  # a long drive through many songs
                self._t0_ns.pop(next(iter(self._t0_ns)))

    def packet_played(self, packet: AudioPacket) -> None:
        t0_ns = self._t0_ns.get(packet.stream.serial)
        if t0_ns is None:
            return
        produced_ns = t0_ns + (packet.granule_start - packet.stream.pre_skip) * 1e9 / OPUS_RATE
        lag_ms = (time.time_ns() - produced_ns) / 1e6 + self._output_latency_ms
        # A source whose clock or tag is wrong says nothing useful: unknown, not absurd.
        self._lag_ms = lag_ms if 0 <= lag_ms <= MAX_BELIEVABLE_LAG_MS else -1.0

    @property
    def lag_ms(self) -> int:
        return round(self._lag_ms) if self._lag_ms >= 0 else -1
