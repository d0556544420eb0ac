"""file:<path> and null specifics: pacing, durability, volume changes while playing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from device.audio.outputs import OutputError, open_output
from device.audio.volume import DEFAULT_RAMP_MS
from tests.audio.conftest_outputs import BYTES_PER_FRAME, PatternSource, ramp_pattern

BLOCK_S = 0.020


def test_paced_file_output_keeps_real_time(tmp_path: Path) -> None:
    output = open_output(f"file:{tmp_path / 'paced.raw'}")
    began = time.monotonic()
    output.start(PatternSource(25))  # 25 x 20 ms = 0.5 s of audio
    assert output.wait_done(10)
    assert time.monotonic() - began >= 0.4  # behaviour (a sound card's pace), not a speed goal
    output.stop()


def test_paced_null_output_keeps_real_time() -> None:
    output = open_output("null")
    began = time.monotonic()
    output.start(PatternSource(25))
    assert output.wait_done(10)
    assert time.monotonic() - began >= 0.4
    assert output.blocks_written == 25


def test_unpaced_file_output_finishes_well_before_real_time(tmp_path: Path) -> None:
    path = tmp_path / "fast.raw"
    output = open_output(f"file:{path}")
    source = PatternSource(250)  # 5 s of audio
    began = time.monotonic()
    output.start(source, paced=False)
    assert output.wait_done(10)
    assert time.monotonic() - began < 2.5
    assert path.read_bytes() == source.expected()


def test_the_file_is_complete_when_the_source_ends_even_before_stop(tmp_path: Path) -> None:
    path = tmp_path / "out.raw"
    output = open_output(f"file:{path}")
    source = PatternSource(7)
    output.start(source, paced=False)
    assert output.wait_done(10)
    assert path.read_bytes() == source.expected()  # flushed (and fsynced) at the end
    output.stop()
    assert path.read_bytes() == source.expected()


def test_opening_truncates_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "old.raw"
    path.write_bytes(b"\x01" * 10_000)
    output = open_output(f"file:{path}")
    output.start(PatternSource(1), paced=False)
    assert output.wait_done(10)
    assert path.read_bytes() == ramp_pattern(960)


def test_a_file_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "out.raw"
    with pytest.raises(OutputError, match=r"cannot open output file .*no-such-dir.*No such file"):
        open_output(f"file:{missing}")


def test_block_size_option_sets_the_fill_size(tmp_path: Path) -> None:
    path = tmp_path / "small.raw"
    output = open_output(f"file:{path}", frames_per_block=240)
    source = PatternSource(4)
    output.start(source, paced=False)
    assert output.wait_done(10)
    assert output.frames_per_block == 240
    assert len(path.read_bytes()) == 4 * 240 * BYTES_PER_FRAME


def test_muting_while_playing_ramps_down_then_stays_silent(tmp_path: Path) -> None:
    path = tmp_path / "mute.raw"
    output = open_output(f"file:{path}")
    source = PatternSource(None, signal_after=5)
    output.start(source)  # paced, so the change lands mid-stream
    assert source.started.wait(10)
    output.set_volume(0)
    while output.blocks_written < 15:
        time.sleep(BLOCK_S)
    output.stop()
    left = np.frombuffer(path.read_bytes(), dtype="<i2")[0::2].astype(np.int64)
    ramp_frames = round(48_000 * DEFAULT_RAMP_MS / 1000)
    # The pattern rises by 1 per frame; the fade may add at most full scale / ramp length.
    assert np.abs(np.diff(left)).max() <= 1 + 32767 / ramp_frames + 1
    last_audible = int(np.flatnonzero(left)[-1])
    assert last_audible < len(left) - 5 * 960  # silent for the last blocks
    assert last_audible >= 5 * 960  # the first five blocks played at full volume


@pytest.mark.parametrize("device", ["/dev/null", "pipe"])
def test_a_path_that_cannot_be_fsynced_still_completes(tmp_path: Path, device: str) -> None:
    # /dev/null, a pipe, /dev/fd/N: fsync raises EINVAL there; flushing is all there is.
    if device == "pipe":
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        device = f"/dev/fd/{write_fd}"
    output = open_output(f"file:{device}")
    output.start(PatternSource(3), paced=False)
    assert output.wait_done(10)
    output.stop()
    assert output.error is None
    if device.startswith("/dev/fd/"):
        assert os.read(read_fd, 1 << 16) == ramp_pattern(3 * 960)
        os.close(read_fd)
        os.close(write_fd)
