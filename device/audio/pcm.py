"""Units of the audio path: the PCM format every stage agrees on."""

from __future__ import annotations

from dataclasses import dataclass

OPUS_RATE = 48_000
"""Opus always decodes at 48 kHz here; granule positions count 48 kHz samples per channel."""


@dataclass(frozen=True)
class PcmFormat:
    rate: int = OPUS_RATE
    channels: int = 2
    sample_width: int = 2  # bytes, signed little-endian

    @property
    def bytes_per_frame(self) -> int:
        return self.channels * self.sample_width

    def frames_to_ms(self, frames: int) -> float:
        return frames * 1000.0 / self.rate

    def ms_to_frames(self, ms: float) -> int:
        return round(ms * self.rate / 1000.0)


CAR_PCM = PcmFormat()
"""What the engine renders: 48 kHz stereo s16le."""
