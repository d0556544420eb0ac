"""The paced sink (tests/support/paced_sink.py): a child process playing through plain PyAudio
is heard in the capture bit-exact, in real time, at the wall-clock time it played it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from device.audio.pcm import CAR_PCM
from tests.support.paced_sink import (
    PacedSink,
    PacedSinkError,
    paced_sink_fixture,  # noqa: F401 - fixture paced_sink
)

RATE = CAR_PCM.rate
CLICK_TIMES_S = (0.5, 1.5)
CLICK_FRAMES = 48
CLICK_LEVEL = 32_000
SIGNAL_S = 2.0
PAD_S = 0.15  # the ALSA pulse plugin drops the last ~36 ms when the stream completes
DEVICE_FRAMES_PER_BUFFER = 480  # 10 ms, like the unit's PyAudio output

# Plain PyAudio in callback mode, default output device: plays argv[1] (s16le 48 kHz stereo),
# prints what PortAudio reported and when (time.monotonic is system-wide on Linux).
PLAYER = """
import json, sys, time
import pyaudio

pcm = open(sys.argv[1], "rb").read()
frames_per_buffer = int(sys.argv[2])
position = 0

def on_buffer(in_data, frame_count, time_info, status):
    global position
    chunk = pcm[position : position + frame_count * 4]
    position += frame_count * 4
    if len(chunk) < frame_count * 4:
        return chunk + bytes(frame_count * 4 - len(chunk)), pyaudio.paComplete
    return chunk, pyaudio.paContinue

pa = pyaudio.PyAudio()
device = pa.get_default_output_device_info()
stream = pa.open(format=pyaudio.paInt16, channels=2, rate=48000, output=True, start=False,
                 frames_per_buffer=frames_per_buffer, stream_callback=on_buffer)
started = time.monotonic()
stream.start_stream()
while stream.is_active():
    time.sleep(0.005)
ended = time.monotonic()
report = {"device": device["name"], "latency_s": stream.get_output_latency(),
          "started": started, "ended": ended}
stream.close()
pa.terminate()
print(json.dumps(report))
"""


def tone_with_clicks() -> np.ndarray:
    """Frames x 2 int16: a 1 kHz tone (right = -left) with full-scale clicks at CLICK_TIMES_S."""
    t = np.arange(round(SIGNAL_S * RATE)) / RATE
    left = np.round(0.25 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    for click_s in CLICK_TIMES_S:
        start = round(click_s * RATE)
        left[start : start + CLICK_FRAMES] = CLICK_LEVEL
    return np.column_stack([left, -left]).astype("<i2")


def click_starts(frames: np.ndarray) -> list[int]:
    loud = np.flatnonzero(frames[:, 0] >= CLICK_LEVEL)
    return [int(i) for i in loud if i == loud[0] or frames[i - 1, 0] < CLICK_LEVEL]


def play_in_child(sink: PacedSink, pcm: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PLAYER, str(pcm), str(DEVICE_FRAMES_PER_BUFFER)],
        env=sink.env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_child_pyaudio_is_captured_bit_exact_in_real_time(
    paced_sink: PacedSink,
    tmp_path: Path,
) -> None:
    signal = tone_with_clicks()
    pcm = tmp_path / "signal.raw"
    pcm.write_bytes(signal.tobytes() + bytes(round(PAD_S * RATE) * CAR_PCM.bytes_per_frame))

    with paced_sink.capture(tmp_path / "out.raw") as capture:
        report = play_in_child(paced_sink, pcm)
    captured = np.frombuffer(capture.pcm(), dtype="<i2").reshape(-1, 2)

    clicks = click_starts(captured)
    assert len(clicks) == 2, f"clicks at frames {clicks}"
    assert abs((clicks[1] - clicks[0]) / RATE - 1.0) <= 0.030
    offset = clicks[0] - round(CLICK_TIMES_S[0] * RATE)
    assert not captured[:offset].any(), "sound before the player started"
    assert captured[offset : offset + len(signal)].tobytes() == signal.tobytes()

    # Paced: the ALSA file plugin "plays" these 2.15 s in ~1 ms.
    wall_s = float(report["ended"]) - float(report["started"])
    assert 0.9 * SIGNAL_S <= wall_s <= 1.5 * (SIGNAL_S + PAD_S), f"played in {wall_s:.3f} s"
    # The capture's clock is the wall clock: the first click is heard when it was played,
    # plus the output latency PortAudio reports (give or take a ~21 ms PipeWire quantum).
    heard_late_s = capture.time_of_frame(clicks[0]) - (float(report["started"]) + 0.5)
    assert -0.05 <= heard_late_s <= float(report["latency_s"]) + 0.25, heard_late_s
    assert report["device"] == "default"


def test_capture_without_a_player_is_silence(
    paced_sink: PacedSink,
    tmp_path: Path,
) -> None:
    with paced_sink.capture(tmp_path / "quiet.raw", tail_ms=200) as capture:
        pass
    pcm = capture.pcm()
    assert len(pcm) > 0 and len(pcm) % CAR_PCM.bytes_per_frame == 0
    assert pcm == bytes(len(pcm))


def test_stop_kills_every_process_and_removes_its_files(tmp_path: Path) -> None:
    sink = PacedSink().start()
    sink.start_capture(tmp_path / "left-running.raw")  # never stopped by the test
    pids = sink.pids
    runtime_dir = Path(sink.env_overrides["PULSE_COOKIE"]).parent
    assert len(pids) == 3 and runtime_dir.is_dir()

    sink.stop()

    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not runtime_dir.exists()


def test_missing_packages_fail_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PacedSinkError, match=r"apt-get install .*wireplumber"):
        PacedSink().start()
