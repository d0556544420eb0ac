"""``pyaudio`` / ``pyaudio:<device name substring>``: plays through PortAudio. The only module
that imports pyaudio.

Two threads share one lock-free ``SlotRing`` (see ring.py for the memory-ordering argument):

* the **render thread** (ours) pulls blocks from the source, applies the volume ramp, resamples
  when the device cannot run at 48 kHz, and keeps the ring about ``ahead_blocks`` blocks ahead;
* the **PortAudio callback** MUST NOT block and allocates no buffers: each ring slot is exactly
  one callback's worth of frames and has a prebuilt ``(ctypes view of the slot, paContinue)``
  result tuple, so the callback only advances the read index and returns that tuple; PyAudio
  then memcpys the slot into PortAudio's buffer. (PyAudio itself still builds its argument
  objects — frame count, time-info dict — for every call; that is the floor with its API.)
  A ring underrun plays a prebuilt silent buffer and counts ``underruns``.

Playback starts once the ring is full, so the burst of callbacks PortAudio makes to fill its
host buffer does not underrun.

Real time only: ``paced=False`` is ignored, a sound card sets the pace.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pyaudio

from device.audio.outputs.base import (
    DEFAULT_FRAMES_PER_BLOCK,
    AudioOutput,
    BlockSource,
    OutputError,
    OutputSpecError,
)
from device.audio.outputs.ring import MAX_SLOTS, SlotRing
from device.audio.outputs.sound_library_log import route_sound_library_messages_to_log
from device.audio.resample import LinearResampler

log = logging.getLogger(__name__)

DEVICE_BUFFER_MS = 10.0
"""PortAudio callback size; independent of the source's block size. Small buffers keep the
device latency low; the ring (``ahead_blocks`` source blocks) absorbs the bursts of callbacks
PortAudio makes when it fills its host buffer (3-4 back to back at start, seen with ALSA)."""

FALLBACK_RATES = (44_100, 96_000, 88_200, 32_000, 16_000)
"""Tried, after 48 kHz and the device's default rate, for devices that cannot run 48 kHz."""

STOP_JOIN_S = 1.0

_NO_DEVICE_HINT = (
    "PortAudio found no output device (no sound card, or ALSA not configured). "
    "Use the 'null' output to run without sound, or 'file:<path>' to capture the audio."
)


def choose_device_rate(
    is_supported: Callable[[int], bool], default_rate: float, preferred: int = 48_000
) -> int:
    """The rate to open the device at: ``preferred`` if supported, else the device's default,
    else the first supported of ``FALLBACK_RATES``."""
    candidates = [preferred, round(default_rate), *FALLBACK_RATES]
    for rate in dict.fromkeys(candidates):  # ordered, without repeats
        if rate > 0 and is_supported(rate):
            return rate
    raise OutputError(f"the output device supports none of the rates {sorted(set(candidates))}")


def output_device_names() -> list[str]:
    """The names of PortAudio's output devices, in its order (empty when it finds none)."""
    route_sound_library_messages_to_log()
    pa = pyaudio.PyAudio()
    try:
        devices = [pa.get_device_info_by_index(i) for i in range(pa.get_device_count())]
    finally:
        pa.terminate()
    return [str(d["name"]) for d in devices if d.get("maxOutputChannels", 0) > 0]


def match_device(devices: Iterable[dict[str, Any]], name: str) -> dict[str, Any]:
    """The output device whose name equals ``name`` or else contains it (case-insensitive)."""
    outputs = [d for d in devices if d.get("maxOutputChannels", 0) > 0]
    if not outputs:
        raise OutputError(_NO_DEVICE_HINT)
    wanted = name.casefold()
    exact = [d for d in outputs if d["name"].casefold() == wanted]
    partial = [d for d in outputs if wanted in d["name"].casefold()]
    if exact or partial:
        return (exact or partial)[0]
    available = ", ".join(repr(d["name"]) for d in outputs)
    raise OutputSpecError(
        f"no PortAudio output device matches {name!r}; available output devices: {available}"
    )


class PyAudioOutput(AudioOutput):
    def __init__(
        self,
        device_name: str | None = None,
        *,
        frames_per_block: int = DEFAULT_FRAMES_PER_BLOCK,
        volume: int = 100,
        device_buffer_ms: float = DEVICE_BUFFER_MS,
        device_rate: int | None = None,
        ahead_blocks: int = 3,
    ) -> None:
        """Open the device (stream created, not started). ``device_rate`` forces the device
        rate instead of choosing one (for devices that misreport, and for tests). The ring holds
        ``ahead_blocks`` source blocks; playback starts once it is full (or the source ended)."""
        spec = "pyaudio" if device_name is None else f"pyaudio:{device_name}"
        super().__init__(spec, frames_per_block=frames_per_block, volume=volume)
        if ahead_blocks < 1:
            raise OutputSpecError(f"ahead_blocks must be at least 1, got {ahead_blocks}")
        if device_buffer_ms <= 0:
            raise OutputSpecError(f"device_buffer_ms must be positive, got {device_buffer_ms}")
        self.underruns = 0
        self._stop_requested = threading.Event()
        self._stream_lock = threading.Lock()  # guards stream start/poll/close, never the callback
        self._stream_started = False
        self._closed = False
        self._render_ended = False
        self._stopping = False  # plain bools: the callback reads them without locks
        self._thread: threading.Thread | None = None
        route_sound_library_messages_to_log()
        self._pa = pyaudio.PyAudio()
        try:
            device = self._select_device(device_name)
            self.device_name: str = device["name"]
            self.device_rate = device_rate or choose_device_rate(
                lambda rate: self._supports(device["index"], rate), device["defaultSampleRate"]
            )
            self._build_render_path(ahead_blocks, device_buffer_ms)
            self._stream = self._open_stream(device["index"])
        except BaseException:
            self._pa.terminate()
            raise
        self.latency_ms = self._stream.get_output_latency() * 1000.0

    # -- opening -------------------------------------------------------------------------------

    def _select_device(self, device_name: str | None) -> dict[str, Any]:
        pa = self._pa
        devices = [pa.get_device_info_by_index(i) for i in range(pa.get_device_count())]
        if device_name is not None:
            return match_device(devices, device_name)
        try:
            return pa.get_default_output_device_info()
        except OSError:
            return match_device(devices, "")  # no default: the first output device, if any

    def _supports(self, device_index: int, rate: int) -> bool:
        try:
            return bool(
                self._pa.is_format_supported(
                    rate,
                    output_device=device_index,
                    output_channels=self.format.channels,
                    output_format=pyaudio.paInt16,
                )
            )
        except ValueError:  # PyAudio's way of saying "unsupported"
            return False

    def _build_render_path(self, ahead_blocks: int, device_buffer_ms: float) -> None:
        rate = self.device_rate
        self._resampler: LinearResampler | None = None
        max_rendered_frames = self.frames_per_block
        if rate != self.format.rate:
            self._resampler = LinearResampler(
                self.format.rate,
                rate,
                channels=self.format.channels,
                max_in_frames=self.frames_per_block,
            )
            max_rendered_frames = self._resampler.max_out_frames
        self.device_frames_per_buffer = max(1, round(device_buffer_ms * rate / 1000.0))
        bytes_per_frame = self.format.bytes_per_frame
        self._max_rendered_bytes = max_rendered_frames * bytes_per_frame
        capacity = math.ceil(ahead_blocks * max_rendered_frames / self.device_frames_per_buffer)
        if capacity + 1 > MAX_SLOTS:
            raise OutputSpecError(
                f"{ahead_blocks} blocks of {self.frames_per_block} frames need {capacity + 1} "
                f"device buffers of {device_buffer_ms} ms; at most {MAX_SLOTS} are supported"
            )
        self._ring = SlotRing(
            slot_bytes=self.device_frames_per_buffer * bytes_per_frame, slot_count=capacity + 1
        )
        slot_type = ctypes.c_char * self._ring.slot_bytes
        # PyAudio accepts any buffer without a release hook; ctypes views qualify, and these
        # share the ring's memory, so handing one out copies nothing.
        self._play_results = tuple(
            (
                slot_type.from_buffer(self._ring.buffer, self._ring.slot_offset(i)),
                pyaudio.paContinue,
            )
            for i in range(self._ring.slot_count)
        )
        silence = bytes(self._ring.slot_bytes)
        self._silence_result = (silence, pyaudio.paContinue)
        self._complete_result = (silence, pyaudio.paComplete)

    def _open_stream(self, device_index: int) -> Any:
        try:
            return self._pa.open(
                rate=self.device_rate,
                channels=self.format.channels,
                format=pyaudio.paInt16,
                output=True,
                output_device_index=device_index,
                frames_per_buffer=self.device_frames_per_buffer,
                stream_callback=self._on_device_buffer,
                start=False,
            )
        except OSError as exc:
            raise OutputError(
                f"cannot open PortAudio device {self.device_name!r} at {self.device_rate} Hz: {exc}"
            ) from exc

    # -- PortAudio callback thread ---------------------------------------------------------------

    def _on_device_buffer(
        self, in_data: None, frame_count: int, time_info: dict[str, float], status: int
    ) -> tuple[Any, int]:
        # MUST NOT block or allocate buffers. frame_count always equals device_frames_per_buffer:
        # PortAudio guarantees the frames_per_buffer a stream was opened with. Read the end flags
        # BEFORE take(): a slot published before _render_ended was set is then surely seen.
        ended = self._render_ended or self._stopping
        slot = self._ring.take()
        if slot >= 0:
            if self.first_block_monotonic is None:
                self.first_block_monotonic = time.monotonic()
            return self._play_results[slot]
        if ended:
            return self._complete_result
        self.underruns += 1
        return self._silence_result

    # -- render thread ---------------------------------------------------------------------------

    def start(self, source: BlockSource, *, paced: bool = True) -> None:
        self._claim_source(source)
        self._thread = threading.Thread(target=self._run, name=f"output {self.spec}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._render_all():
                self._await_drained()
        except Exception as exc:
            self._render_ended = True  # let the device finish what it has instead of underrunning
            self._fail(exc)

    def _render_all(self) -> bool:
        """Keep the ring filled until the source ends (True) or stop is requested (False)."""
        idle_s = self.device_frames_per_buffer / self.device_rate / 2  # the ring holds several
        while not self._stop_requested.is_set():
            if self._ring.writable_bytes() < self._max_rendered_bytes:
                self._start_stream_once()
                self._stop_requested.wait(idle_s)
                continue
            if not self._render_block():
                self._ring.publish_partial()
                self._render_ended = True
                self._start_stream_once()  # a source shorter than the ring
                return True
            if self._resampler is None:
                self._ring.write(self._block_view)
            else:
                self._ring.write(self._resampler.process(self._block_samples))
            self.blocks_written += 1
        return False

    def _start_stream_once(self) -> None:
        with self._stream_lock:
            if not self._stream_started and not self._closed:
                self._stream_started = True
                self._stream.start_stream()

    def _await_drained(self) -> None:
        """After the last block: wait until PortAudio has played it (the callback returned
        paComplete and the stream went inactive)."""
        poll_s = self.device_frames_per_buffer / self.device_rate
        while not self._stop_requested.wait(poll_s):
            with self._stream_lock:
                if self._closed:
                    return
                active = self._stream.is_active()
            if not active:
                self._finish(completed=True)
                return

    # -- any thread ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping = True  # no underruns are counted for the silence after this
        self._stop_requested.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_JOIN_S)
        with self._stream_lock:
            if not self._closed:
                self._closed = True
                try:
                    if self._stream_started:
                        self._stream.stop_stream()
                    self._stream.close()
                except OSError as exc:  # the device vanished (USB unplugged): still release it
                    log.warning("closing %s: %s", self.spec, exc)
                finally:
                    self._pa.terminate()
        self._finish(completed=self._completed)
