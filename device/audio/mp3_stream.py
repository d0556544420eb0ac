"""MP3 internet radio: decode a stream's bytes as they arrive into 20 ms PCM packets.

Most stations on the air send MP3 (``audio/mpeg``), not Ogg. miniaudio's MP3 decoder pulls
its input, so it runs on a thread of its own: the event loop ``feed``s bytes into a buffer,
the decoder thread reads from it (waiting when it is empty), converts to the car's 48 kHz
stereo s16 and hands each 20 ms to ``on_packet`` as an :class:`AudioPacket` whose stream is
marked ``codec="pcm"``. The playout buffer treats those like Opus packets (live and road
policies, depth, counters) and the renderer copies them as they are.

The decoder reads about 16 kB ahead before it decodes (a second at 128 kb/s), which adds to
the stream's lag; internet-radio players buffer several seconds anyway (mpv, ffmpeg: ~5 s).
An MP3 stream carries no timeline, so each connection is a new stream: after a reconnect
the playout buffer appends it, and road mode cannot splice away what Icecast sends twice.
Decoded PCM takes 192 kB a second, so a 30 s road buffer holds 5.8 MB (Opus: 0.4 MB).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

import miniaudio

from device.audio.packets import AudioPacket, StreamInfo
from device.audio.pcm import CAR_PCM

__all__ = ["Mp3StreamReader"]

log = logging.getLogger(__name__)
PACKET_FRAMES = 960  # 20 ms at 48 kHz
MAX_WAITING_BYTES = 1 << 20  # the decoder fell this far behind: the oldest bytes go
_serials = itertools.count(0x4D503300)  # "MP3\0": apart from Ogg serials in logs


class _Closed(Exception):
    """The reader was closed: the decoder thread stops."""


class _NetworkBytes(miniaudio.StreamableSource):
    """What the decoder reads: the bytes fed so far; blocks until more come or the end."""

    def __init__(self) -> None:
        self._waiting = bytearray()
        self._changed = threading.Condition()
        self._ended = False
        self.dropped = 0

    def put(self, data: bytes) -> None:
        with self._changed:
            self._waiting += data
            if len(self._waiting) > MAX_WAITING_BYTES:
                excess = len(self._waiting) - MAX_WAITING_BYTES
                del self._waiting[:excess]
                self.dropped += excess
            self._changed.notify()

    def end(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify()

    def read(self, num_bytes: int) -> bytes:
        with self._changed:
            while not self._waiting and not self._ended:
                self._changed.wait()
            taken = bytes(self._waiting[:num_bytes])
            del self._waiting[:num_bytes]
            return taken  # b"" only at the end: the decoder then finishes


class Mp3StreamReader:
    """One connection's MP3 body → PCM packets; ``close`` when the connection is done."""

    def __init__(
        self, on_packet: Callable[[AudioPacket], None], *, tags: dict[str, str] | None = None
    ) -> None:
        self._on_packet = on_packet
        self._source = _NetworkBytes()
        self._emit_lock = threading.Lock()
        self._closed = False
        self.info = StreamInfo(
            serial=next(_serials), channels=2, pre_skip=0, tags=dict(tags or {}), codec="pcm"
        )
        self.error: Exception | None = None
        self.frames_decoded = 0
        self._thread = threading.Thread(target=self._decode, name="mp3 stream", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> tuple[()]:
        """Event loop: bytes of the body as they arrive. The packets come from the decoder
        thread (``on_packet``), so nothing is returned here."""
        self._source.put(data)
        return ()

    def close(self) -> None:
        """No packet is handed over once this returns; the thread ends on its own."""
        with self._emit_lock:
            self._closed = True
        self._source.end()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)

    def _decode(self) -> None:
        try:
            pcm_chunks = miniaudio.stream_any(
                self._source,
                source_format=miniaudio.FileFormat.MP3,
                output_format=miniaudio.SampleFormat.SIGNED16,
                nchannels=CAR_PCM.channels,
                sample_rate=CAR_PCM.rate,
                frames_to_read=PACKET_FRAMES,
            )
            for chunk in pcm_chunks:
                frames = len(chunk) // CAR_PCM.channels
                if frames:
                    self._emit(chunk.tobytes(), frames)
        except _Closed:
            return
        except Exception as exc:  # a stream that is not MP3 after all, or broke the decoder
            self.error = exc
            log.warning("MP3 stream stopped decoding: %s", exc)

    def _emit(self, pcm: bytes, frames: int) -> None:
        with self._emit_lock:
            if self._closed:
                raise _Closed
            self.frames_decoded += frames
            self._on_packet(AudioPacket(self.info, pcm, self.frames_decoded, frames))
