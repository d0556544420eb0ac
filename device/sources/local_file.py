"""Local Ogg Opus files (USB stick, SD card) as a packet feed for the renderer.

The file is demuxed lazily as the renderer pulls, so a long file costs no more memory than a
short one, and an unpaced output renders it as fast as decoding allows.
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

from device.audio.opus_stream import OpusStreamReader, StreamStarted
from device.audio.packets import AudioPacket, StreamInfo
from device.audio.playout import PlayoutItem, PullKind

log = logging.getLogger(__name__)
READ_BYTES = 64 * 1024


class LocalFileFeed:
    """A PacketFeed over one .opus file; chained files announce each stream as it starts."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed at end of file or close()
        self._reader = OpusStreamReader()
        self._ready: deque[PlayoutItem] = deque()
        self._announce: StreamInfo | None = None
        self._eof = False
        self.error: Exception | None = None
        try:
            # Read up to the first audio now, so a file that is not Ogg Opus is refused here,
            # with its reason, rather than on the render thread.
            while not self._ready and not self._eof:
                self._read_more()
        except BaseException:
            self._file.close()
            raise

    def pull(self) -> PlayoutItem | None:
        """Render thread. A file that turns bad or unreadable midway ends playback there."""
        try:
            while not self._ready and not self._eof:
                self._read_more()
        except (OSError, ValueError) as exc:
            log.warning("%s: playback ends early: %s", self.path, exc)
            self.error = exc
            self._eof = True
            self._file.close()
        return self._ready.popleft() if self._ready else None

    def wants_growth(self) -> bool:
        return False

    def note_stretch(self, samples: int) -> None:
        pass

    def close(self) -> None:
        self._file.close()

    def _read_more(self) -> None:
        data = self._file.read(READ_BYTES)
        events = self._reader.feed(data) if data else self._reader.feed_eof()
        if not data:
            self._eof = True
            self._file.close()
        for event in events:
            if isinstance(event, StreamStarted):
                self._announce = event.info
            elif isinstance(event, AudioPacket):
                self._ready.append(
                    PlayoutItem(
                        kind=PullKind.PACKET,
                        samples=event.samples,
                        packet=event,
                        new_stream=self._announce,
                    )
                )
                self._announce = None
