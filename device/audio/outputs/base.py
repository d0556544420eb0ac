"""The output interface: where rendered 48 kHz stereo PCM blocks go (sound card, file, nowhere).

An output owns a render thread that pulls fixed-size blocks from a ``BlockSource``, applies the
volume ramp, and delivers them at the device's pace. The engine sees only this interface; the
concrete output is chosen by a spec string (see ``device.audio.outputs.open_output``).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from device.audio.pcm import CAR_PCM, PcmFormat
from device.audio.volume import VolumeRamp

log = logging.getLogger(__name__)

DEFAULT_FRAMES_PER_BLOCK = 960
"""20 ms at 48 kHz."""


class OutputError(Exception):
    """An output could not be opened or failed while playing."""


class OutputSpecError(OutputError, ValueError):
    """The output spec string (or an option given with it) is not valid or names no device."""


class BlockSource(Protocol):
    def fill(self, block: memoryview) -> int:
        """Fill ``block`` (frames_per_block * 4 bytes of 48 kHz stereo s16le) completely and
        return how many frames of it are audio: all of them while the source plays; fewer when
        the source ended inside this block (the rest is silence; a file output writes only
        the audio, so a decoded file keeps its exact length); 0 once it has ended for good.

        Called from an output-owned thread, never from the PortAudio callback; may take up to
        about a block's duration; MUST NOT block on the network.
        """
        ...


class AudioOutput(ABC):
    """Plays blocks pulled from a source. Single use: ``start`` once, ``stop`` any number of times.

    Attributes read by the engine (written by the output's own threads, so read them as
    snapshots): ``blocks_written`` counts source blocks delivered to the file, or to the
    device's ring (pyaudio: a ``stop`` discards the few blocks still in the ring);
    ``first_block_monotonic`` is ``time.monotonic()`` when the first block reached it (for
    time-to-first-audio); ``latency_ms`` is the output latency the device reports (null and
    file, paced: how far ahead of its turn a block is rendered on average); ``error`` holds
    the exception that ended playback early, if any.
    """

    spec: str
    format: PcmFormat = CAR_PCM

    def __init__(self, spec: str, *, frames_per_block: int, volume: int = 100) -> None:
        if frames_per_block <= 0:
            raise OutputSpecError(f"frames_per_block must be positive, got {frames_per_block}")
        self.spec = spec
        self.frames_per_block = frames_per_block
        self.latency_ms = 0.0
        self.blocks_written = 0
        self.first_block_monotonic: float | None = None
        self.error: BaseException | None = None
        try:
            self._volume = VolumeRamp(
                max_frames=frames_per_block,
                channels=self.format.channels,
                rate=self.format.rate,
                percent=volume,
            )
        except ValueError as exc:
            raise OutputSpecError(str(exc)) from None
        # The render thread's block: one buffer for the whole life of the output.
        self._block = bytearray(frames_per_block * self.format.bytes_per_frame)
        self._block_view = memoryview(self._block)
        self._block_samples = np.frombuffer(self._block, dtype="<i2")
        self._source: BlockSource | None = None
        self._finished = threading.Event()  # set when playback is over, for whatever reason
        self._completed = False  # the source ended and everything was written/played

    @abstractmethod
    def start(self, source: BlockSource, *, paced: bool = True) -> None:
        """Begin pulling blocks from ``source`` on the output's own thread; returns at once.

        ``paced=False`` lets outputs that are not sound cards run as fast as ``fill`` allows.
        """

    @abstractmethod
    def stop(self) -> None:
        """Stop playback and release the device or file. Idempotent; returns promptly (within
        about one block); nothing is appended to the device or file after it returns."""

    def wait_done(self, timeout: float | None = None) -> bool:
        """Block until playback is over. True only if the source ended and every block was
        written/played; False on timeout, after ``stop()``, or after an error (see ``error``)."""
        return self._finished.wait(timeout) and self._completed

    def set_volume(self, percent: int) -> None:
        """Set the volume, 0..100 %; the change ramps in over ~30 ms. Any thread."""
        self._volume.set_percent(percent)

    def _claim_source(self, source: BlockSource) -> None:
        if self._source is not None:
            raise OutputError(f"output {self.spec!r} was already started; open a new one")
        self._source = source

    def _render_block(self) -> int:
        """Render thread: fill the block from the source and apply the volume ramp.

        Returns the frames of audio in the block; 0 when the source has ended (the block is
        then not to be played).
        """
        assert self._source is not None
        frames = int(self._source.fill(self._block_view))
        if frames:
            self._volume.apply(self._block_samples)
        return frames

    def _finish(self, *, completed: bool) -> None:
        self._completed = completed
        self._finished.set()

    def _fail(self, exc: BaseException) -> None:
        log.error("output %s stopped: %s", self.spec, exc, exc_info=exc)
        self.error = exc
        self._finish(completed=False)

    def __enter__(self) -> AudioOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec!r}>"
