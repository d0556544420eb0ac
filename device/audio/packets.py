"""What the demuxer hands to the playout buffer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamInfo:
    """One logical stream: an Ogg Opus chain link (a song, a show segment), or a local music
    file another decoder turns into PCM (``codec`` "pcm": nothing for the Opus decoder)."""

    serial: int
    channels: int
    pre_skip: int
    output_gain_q8: int = 0
    vendor: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    codec: str = "opus"

    @property
    def now_playing(self) -> dict[str, str]:
        """ARTIST/TITLE/ALBUM as lower-case keys, only those present."""
        return {k.lower(): v for k, v in self.tags.items() if k in ("ARTIST", "TITLE", "ALBUM")}


@dataclass(frozen=True)
class AudioPacket:
    """One Opus packet placed on its stream's timeline.

    ``granule_end`` is the Ogg granule position (48 kHz samples, pre-skip included) at the end
    of this packet; ``samples`` its duration from the TOC. ``trim_start``/``trim_end`` are the
    samples the renderer drops from the decoded frame (pre-skip at the start of a stream, end
    trimming on its last page).
    """

    stream: StreamInfo
    data: bytes
    granule_end: int
    samples: int
    trim_start: int = 0
    trim_end: int = 0

    @property
    def granule_start(self) -> int:
        return self.granule_end - self.samples
