"""The contract every output keeps, run against null, file and real PortAudio (through ALSA).

What a listener (or the engine) would notice: every sample the source produced comes out,
bit-exact and in order; playback ends when the source ends; stop() is prompt and final;
volume is applied the same way by every output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.audio.outputs import AudioOutput, OutputError, open_output
from device.audio.volume import percent_to_gain
from tests.audio.conftest_outputs import (
    BYTES_PER_FRAME,
    PacedCapture,
    PatternSource,
    open_capture,
    ramp_pattern,
    split_silence,
)

BLOCKS = 10
DONE_TIMEOUT_S = 10.0  # hang guard only; 10 blocks play in 0.1-0.2 s


@dataclass
class Harness:
    kind: str
    open: Callable[..., AudioOutput]
    _read: Callable[[AudioOutput], bytes] | None

    @property
    def captures(self) -> bool:
        return self._read is not None

    def audible(self, output: AudioOutput) -> bytes:
        """What reached the listener, in order, without the device's own silence.

        Stops the output first when it must (PortAudio: the last bytes are still in the pipe).
        Silence a device inserts for ring underruns is removed and checked against the
        output's own underrun counter (which also counts underruns at the very start or end,
        where the silence cannot be told apart from the device's), so a drop, a duplicate or an
        unreported gap still fails. Underruns happen here only when the machine is overloaded.
        """
        assert self._read is not None
        captured = self._read(output)
        if self.kind == "file":
            return captured
        pyaudio_output: Any = output
        slot_bytes = pyaudio_output.device_frames_per_buffer * BYTES_PER_FRAME
        audio, gaps = split_silence(captured, slot_bytes)
        assert gaps <= pyaudio_output.underruns
        return audio


def make_harness(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """Yields a Harness for ``kind``; afterwards stops every output it opened."""
    opened: list[AudioOutput] = []
    capture: PacedCapture | None = None

    def opener(spec: str) -> Callable[..., AudioOutput]:
        def open_(**options: Any) -> AudioOutput:
            output = open_output(spec, **options)
            opened.append(output)
            return output

        return open_

    if kind == "null":
        yield Harness("null", opener("null"), None)
    elif kind == "file":
        path = tmp_path / "out.raw"
        yield Harness("file", opener(f"file:{path}"), lambda _output: path.read_bytes())
    else:
        capture = open_capture(tmp_path, monkeypatch)

        def read_capture(output: AudioOutput) -> bytes:
            output.stop()
            capture.close()
            return capture.captured()

        yield Harness("pyaudio", opener("pyaudio"), read_capture)
    for output in opened:
        output.stop()
    if capture is not None:
        capture.close()


@pytest.fixture(params=["null", "file", "pyaudio"])
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    yield from make_harness(request.param, tmp_path, monkeypatch)


@pytest.fixture(params=["file", "pyaudio"])
def capturing_harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    """The outputs whose audio can be read back."""
    yield from make_harness(request.param, tmp_path, monkeypatch)


class TestOutputContract:
    def test_every_block_comes_out_bit_exact_and_in_order(self, harness: Harness) -> None:
        output = harness.open()
        source = PatternSource(BLOCKS)
        output.start(source)
        assert output.wait_done(DONE_TIMEOUT_S)
        assert output.error is None
        assert output.blocks_written == BLOCKS
        if harness.captures:
            assert harness.audible(output) == source.expected()
            assert source.frames_played == BLOCKS * output.frames_per_block

    def test_first_block_time_is_set_when_audio_starts(self, harness: Harness) -> None:
        output = harness.open()
        assert output.first_block_monotonic is None
        started = time.monotonic()
        output.start(PatternSource(BLOCKS))
        assert output.wait_done(DONE_TIMEOUT_S)
        first = output.first_block_monotonic
        assert first is not None
        assert started <= first <= time.monotonic()

    def test_stop_is_prompt_and_final(self, harness: Harness) -> None:
        output = harness.open()
        source = PatternSource(None, signal_after=3)
        output.start(source)
        assert source.started.wait(DONE_TIMEOUT_S)
        began = time.monotonic()
        output.stop()
        assert time.monotonic() - began < 1.0  # hang guard: one block is 10-20 ms
        fills, written = source.fills, output.blocks_written
        heard = harness.audible(output) if harness.captures else b""
        time.sleep(0.1)  # five blocks' time: a still-running output would have moved on
        assert (source.fills, output.blocks_written) == (fills, written)
        assert written >= 1
        if harness.captures:
            assert harness.audible(output) == heard
            assert heard == ramp_pattern(len(heard) // BYTES_PER_FRAME)  # a clean prefix
        assert not output.wait_done(0)  # stopped before the source ended

    def test_stop_is_idempotent_and_allowed_before_start(self, harness: Harness) -> None:
        never_started = harness.open()
        never_started.stop()
        never_started.stop()
        assert not never_started.wait_done(0)
        output = harness.open()
        output.start(PatternSource(2))
        assert output.wait_done(DONE_TIMEOUT_S)
        output.stop()
        output.stop()
        assert output.wait_done(0)  # finishing first, then stopping, still counts as done

    def test_wait_done_is_false_while_the_source_plays_on(self, harness: Harness) -> None:
        output = harness.open()
        source = PatternSource(None)
        output.start(source)
        assert source.started.wait(DONE_TIMEOUT_S)
        assert not output.wait_done(0.05)
        output.stop()

    def test_an_output_starts_only_once(self, harness: Harness) -> None:
        output = harness.open()
        output.start(PatternSource(1))
        with pytest.raises(OutputError, match="already started"):
            output.start(PatternSource(1))

    def test_volume_is_applied_by_the_output(self, capturing_harness: Harness) -> None:
        harness = capturing_harness
        output = harness.open(volume=50)
        # From frame 1000 on, no sample rounds to 0 at -30 dB (silence is the device's own).
        source = PatternSource(BLOCKS, first_frame=1000)
        output.start(source)
        assert output.wait_done(DONE_TIMEOUT_S)
        expected = np.frombuffer(source.expected(), dtype="<i2") * percent_to_gain(50)
        heard = np.frombuffer(harness.audible(output), dtype="<i2")
        np.testing.assert_array_equal(heard, np.rint(expected).astype("<i2"))
