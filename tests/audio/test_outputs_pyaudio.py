"""PortAudio output specifics: resampling for devices without 48 kHz, underruns, the callback's
allocation-free hot path, rate choice. Real PortAudio through ALSA (see conftest_outputs)."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.audio.outputs import OutputError, open_output
from device.audio.outputs.pyaudio_output import choose_device_rate, match_device
from device.audio.resample import LinearResampler
from tests.audio.conftest_outputs import (
    BYTES_PER_FRAME,
    PatternSource,
    alsa_config,  # noqa: F401 - fixture
    open_capture,
    split_silence,
)


def resampled(pcm: bytes, rate: int, *, block_frames: int) -> bytes:
    resampler = LinearResampler(48_000, rate, channels=2, max_in_frames=block_frames)
    samples = np.frombuffer(pcm, dtype="<i2")
    step = block_frames * 2
    return b"".join(
        resampler.process(samples[i : i + step]).tobytes() for i in range(0, len(samples), step)
    )


def test_a_device_opened_at_44k1_plays_the_resampled_stream_bit_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = open_capture(tmp_path, monkeypatch, rate=44_100)
    output: Any = open_output("pyaudio", device_rate=44_100)
    try:
        assert (output.device_rate, output.device_frames_per_buffer) == (44_100, 441)
        source = PatternSource(10)
        output.start(source)
        assert output.wait_done(10)
    finally:
        output.stop()
        capture.close()
    heard, gaps = split_silence(capture.captured(), 441 * BYTES_PER_FRAME)
    assert gaps <= output.underruns  # none unless the machine is overloaded
    expected = resampled(source.expected(), 44_100, block_frames=960)
    # The device plays whole buffers: the last one is padded with silence, which the capture
    # strips along with the device's own silence.
    assert heard == expected.rstrip(b"\0")
    # 9600 frames in, ceil(9599 * 44100 / 48000) = 8820 out: none lost to rounding.
    assert len(expected) // BYTES_PER_FRAME == 8820


class StallingSource(PatternSource):
    """Takes far longer than its budget once (a contract breach the output must survive)."""

    def __init__(self, blocks: int, *, stall_at: int, stall_s: float) -> None:
        super().__init__(blocks)
        self.stall_at = stall_at
        self.stall_s = stall_s

    def fill(self, block: memoryview) -> int:
        if self.fills + 1 == self.stall_at:
            time.sleep(self.stall_s)
        return super().fill(block)


def test_a_ring_underrun_plays_silence_counts_it_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = open_capture(tmp_path, monkeypatch)
    output: Any = open_output("pyaudio")
    try:
        source = StallingSource(12, stall_at=6, stall_s=0.15)  # the ring holds 60 ms
        output.start(source)
        assert output.wait_done(10)
    finally:
        output.stop()
        capture.close()
    slot_bytes = output.device_frames_per_buffer * BYTES_PER_FRAME
    heard, gaps = split_silence(capture.captured(), slot_bytes)
    assert 5 <= gaps <= output.underruns  # ~90 ms of the stall ran dry, in 10 ms buffers
    assert heard == source.expected()


@pytest.mark.usefixtures("alsa_config")
def test_the_callback_hot_path_allocates_nothing() -> None:
    """Play, underrun and end paths, called as PyAudio calls them, under tracemalloc."""
    output: Any = open_output("pyaudio")  # opened, never started: we are the device here
    try:
        ring = output._ring
        callback = output._on_device_buffer
        frames = output.device_frames_per_buffer
        time_info: dict[str, float] = {}
        playable = ring.capacity_slots - 1
        ring.write(bytes(ring.capacity_slots * ring.slot_bytes))
        callback(None, frames, time_info, 0)  # the first block sets first_block_monotonic
        results: list[object] = [None] * (playable + 100 + 1)
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            call = 0  # a while loop with small ints: a for loop would allocate its iterator
            while call < playable + 100:
                results[call] = callback(None, frames, time_info, 0)
                call += 1
            output._render_ended = True
            results[call] = callback(None, frames, time_info, 0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak - baseline == 0
        assert all(result in output._play_results for result in results[:playable])
        assert all(result is output._silence_result for result in results[playable:-1])
        assert output.underruns == 100
        assert results[-1] is output._complete_result
    finally:
        output.stop()


@pytest.mark.usefixtures("alsa_config")
def test_latency_is_what_portaudio_reports() -> None:
    output: Any = open_output("pyaudio")
    try:
        assert output.latency_ms == pytest.approx(output._stream.get_output_latency() * 1000)
        assert 0 < output.latency_ms < 200
    finally:
        output.stop()


def test_48k_is_preferred_then_the_device_default_then_common_rates() -> None:
    assert choose_device_rate(lambda rate: True, 44_100.0) == 48_000
    assert choose_device_rate(lambda rate: rate in (44_100, 32_000), 32_000.0) == 32_000
    assert choose_device_rate(lambda rate: rate == 44_100, 8_000.0) == 44_100
    with pytest.raises(OutputError, match="supports none of the rates"):
        choose_device_rate(lambda rate: False, 48_000.0)


def test_device_names_match_exactly_first_then_by_substring() -> None:
    devices = [
        {"name": "USB Audio Device (hw:1,0)", "maxOutputChannels": 2},
        {"name": "USB Audio", "maxOutputChannels": 2},
        {"name": "USB Microphone", "maxOutputChannels": 0},
    ]
    assert match_device(devices, "usb audio")["name"] == "USB Audio"
    assert match_device(devices, "hw:1")["name"] == "USB Audio Device (hw:1,0)"
    with pytest.raises(OutputError, match="available output devices: 'USB Audio Device"):
        match_device(devices, "Microphone")  # an input-only device is not an output


def test_stop_from_another_thread_while_playing_is_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = open_capture(tmp_path, monkeypatch)
    output: Any = open_output("pyaudio")
    try:
        source = PatternSource(None, signal_after=4)
        output.start(source)
        assert source.started.wait(10)
        stopper = threading.Thread(target=output.stop)
        began = time.monotonic()
        stopper.start()
        stopper.join(5)
        assert not stopper.is_alive()
        assert time.monotonic() - began < 1.0  # hang guard
        assert not output.wait_done(0)
    finally:
        output.stop()
        capture.close()
