"""Local music files other than Opus (Ogg Vorbis, FLAC, MP3, WAV) as a feed of decoded PCM.

miniaudio (the only module importing it) decodes the file and converts it to what the car
plays — 48 kHz stereo s16le, resampling 44.1 kHz files and copying mono to both channels —
so the renderer copies the PCM as it is. The file is opened and probed when the feed is made,
so a bad file is refused there with its reason; the render thread only ever sees a feed that
ends, with ``error`` set when the file broke midway.

Decoding runs in chunks of several 20 ms blocks (one C call per chunk), and ``pull()`` hands
out 20 ms slices of the current chunk: the render thread does no per-block allocation beyond
the item itself. Each chunk is a fresh buffer, so an item's PCM stays valid after later pulls.

MP3s made by LAME or ffmpeg carry their encoder delay and padding in a LAME/Info header and
play sample-exact; an MP3 without that header starts with ~25 ms of encoder delay (silence)
and ends ~13 ms long.
"""

from __future__ import annotations

import array
import itertools
import logging
import os
import threading
from collections.abc import Callable, Generator
from pathlib import Path

import miniaudio

from device.audio.packets import StreamInfo
from device.audio.pcm import CAR_PCM
from device.audio.playout import PlayoutItem, PullKind

__all__ = ["SUPPORTED_SUFFIXES", "MusicFileError", "MusicFileFeed"]

log = logging.getLogger(__name__)

BLOCK_FRAMES = 960  # 20 ms at 48 kHz: one item per pull
CHUNK_BLOCKS = 8  # decode 160 ms per C call
SHORT_END_TOLERANCE_FRAMES = BLOCK_FRAMES  # resampling may round the last block away
_BLOCK_BYTES = BLOCK_FRAMES * CAR_PCM.bytes_per_frame
_PCM = PullKind.PCM
_serials = itertools.count(1)

# suffix → (name for messages, miniaudio's probe for that format)
_FORMATS: dict[str, tuple[str, Callable[[str], miniaudio.SoundFileInfo]]] = {
    ".ogg": ("Ogg Vorbis", miniaudio.vorbis_get_file_info),
    ".oga": ("Ogg Vorbis", miniaudio.vorbis_get_file_info),
    ".flac": ("FLAC", miniaudio.flac_get_file_info),
    ".mp3": ("MP3", miniaudio.mp3_get_file_info),
    ".wav": ("WAV", miniaudio.wav_get_file_info),
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)


class MusicFileError(ValueError):
    """A music file that cannot be played: missing, unreadable, not audio, unsupported."""


class MusicFileFeed:
    """A PacketFeed of decoded PCM from one music file (see module doc).

    ``tags`` (TITLE/ARTIST/ALBUM) are announced with the first item; without them the title
    is the file name. ``start_frame`` (48 kHz frames) resumes where an earlier play stopped;
    at or past the end the feed is simply empty. ``pull`` runs on the render thread; ``close``
    may be called from any thread.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        tags: dict[str, str] | None = None,
        start_frame: int = 0,
    ) -> None:
        if start_frame < 0:
            raise ValueError(f"start_frame must be >= 0, got {start_frame}")
        self.path = Path(path)
        self.error: Exception | None = None
        self.frames_played = start_frame
        self.duration_frames = self._probe()
        self._lock = threading.Lock()  # the decoder is not to be closed while it decodes
        self._chunk = memoryview(b"")
        self._offset = 0  # bytes of _chunk already handed out
        self._announce: StreamInfo | None = StreamInfo(
            serial=next(_serials),
            channels=CAR_PCM.channels,
            pre_skip=0,
            tags=dict(tags) if tags is not None else {"TITLE": self.path.stem},
            codec="pcm",
        )
        self._opened = False  # until then a failure is raised to the caller, not logged
        self._stream = self._open_stream(start_frame)
        if self._stream is not None:
            self._decode_first_chunk()
        self._opened = True

    def pull(self) -> PlayoutItem | None:
        """Render thread: the next 20 ms (the last item may be shorter); None at the end."""
        chunk, offset = self._chunk, self._offset  # one read: close() may swap the chunk
        if offset >= len(chunk):
            chunk, offset = self._decode_chunk(), 0
            if not chunk:
                return None
        end = min(offset + _BLOCK_BYTES, len(chunk))
        frames = (end - offset) // CAR_PCM.bytes_per_frame
        self._offset = end
        self.frames_played += frames
        item = PlayoutItem(
            kind=_PCM, samples=frames, pcm=chunk[offset:end], new_stream=self._announce
        )
        self._announce = None
        return item

    def wants_growth(self) -> bool:
        return False  # a local file never runs dry: nothing to grow

    def note_stretch(self, samples: int) -> None:
        pass

    def close(self) -> None:
        """End the feed and release the decoder and the file (a stick can then be
        unmounted); idempotent."""
        with self._lock:
            self._close_stream()
            self._chunk = memoryview(b"")  # what is decoded but not handed out is dropped

    # ---- opening (caller's thread: may raise)

    def _probe(self) -> int:
        """Check the file is there and is the audio its name says; its 48 kHz length
        (0 when the file does not say, e.g. a cut-short Ogg Vorbis)."""
        suffix = self.path.suffix.lower()
        if suffix not in _FORMATS:
            raise MusicFileError(
                f"{self.path}: unsupported file type {suffix or '(no suffix)'!r}; "
                f"music files play as {', '.join(SUPPORTED_SUFFIXES)}"
            )
        name, probe = _FORMATS[suffix]
        try:
            with open(self.path, "rb"):
                pass  # the OS's reason (missing, no permission, a folder) beats the decoder's
        except OSError as exc:
            raise MusicFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from exc
        if os.path.getsize(self.path) == 0:
            raise MusicFileError(f"{self.path}: the file is empty")
        try:
            info = probe(str(self.path))
        except miniaudio.MiniaudioError as exc:
            raise MusicFileError(
                f"{self.path}: not a playable {name} file (damaged, or not {name} inside)"
            ) from exc
        if info.sample_rate <= 0 or info.nchannels <= 0:
            raise MusicFileError(f"{self.path}: {name} file without audio format details")
        return info.num_frames * CAR_PCM.rate // info.sample_rate

    def _open_stream(self, start_frame: int) -> Generator[array.array, int, None] | None:
        if self.duration_frames and start_frame >= self.duration_frames:
            return None  # resuming at (or past) the end: nothing left to play
        try:
            return miniaudio.stream_file(
                str(self.path),
                output_format=miniaudio.SampleFormat.SIGNED16,
                nchannels=CAR_PCM.channels,
                sample_rate=CAR_PCM.rate,
                frames_to_read=BLOCK_FRAMES * CHUNK_BLOCKS,
                seek_frame=start_frame,  # in output (48 kHz) frames
            )
        except (miniaudio.MiniaudioError, OSError) as exc:
            where = f" at {start_frame / CAR_PCM.rate:.1f} s" if start_frame else ""
            raise MusicFileError(f"{self.path}: cannot start decoding{where} ({exc})") from exc

    def _decode_first_chunk(self) -> None:
        """Decode the first audio now: a file whose header is fine but whose audio is not
        is refused here rather than ending on the render thread."""
        if not self._decode_chunk() and self.error is not None:
            raise self.error

    # ---- decoding (render thread: never raises)

    def _decode_chunk(self) -> memoryview:
        """Decode the next chunk and make it current; empty at the end (``error`` set if
        the file broke)."""
        with self._lock:
            samples = self._next_samples()
            self._chunk = memoryview(samples).cast("B") if samples else memoryview(b"")
            self._offset = 0
            return self._chunk

    def _next_samples(self) -> array.array | None:
        stream = self._stream
        if stream is None:
            return None
        try:
            samples = next(stream, None)
        except Exception as exc:  # the render thread must never see a bad file's error
            self._end(exc)
            return None
        if not samples:
            self._end(None)
        return samples

    def _end(self, exc: Exception | None) -> None:
        self._close_stream()
        reason = self._early_end_reason(exc)
        if reason is None:
            return
        if self._opened:
            what = f"playback ends early at {self.frames_played / CAR_PCM.rate:.1f} s"
        else:
            what = "no audio could be decoded"
        self.error = MusicFileError(f"{self.path}: {what}: {reason}")
        self.error.__cause__ = exc
        if self._opened:
            log.warning("%s", self.error)

    def _early_end_reason(self, exc: Exception | None) -> str | None:
        if exc is not None:
            return f"reading or decoding failed ({exc.__cause__ or exc})"
        missing = self.duration_frames - self.frames_played
        if self.duration_frames and missing > SHORT_END_TOLERANCE_FRAMES:
            total = self.duration_frames / CAR_PCM.rate
            return f"the file is cut short or could not be read (it should last {total:.1f} s)"
        if not self.duration_frames and not self.path.exists():
            return "the file went away while playing"
        return None

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()  # uninitialises the decoder, closing the file
