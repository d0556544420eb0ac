"""The hardware-in-the-loop rig, run against a unit on this machine (``drivetime-rig local``):
the whole suite passes and reports as JUnit XML; a broken world fails the right step and
says what it heard; the rig's ear records a FIFO writer's samples exactly and in time."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from hw.rig import tones
from hw.rig.capture import FifoCapture
from hw.rig.rooms import Room, Rooms
from hw.rig.suite import STEPS, run_suite
from hw.rig.world import local_world

STEP_NAMES = ["boot", "preset", "knob", "phone", "ignition"]


@pytest.mark.icecast
@pytest.mark.slow
def test_the_whole_suite_passes_against_a_unit_on_this_machine(tmp_path):
    junit, world = tmp_path / "junit.xml", tmp_path / "world"
    done = subprocess.run(
        [sys.executable, "-m", "hw.rig", "local", "--junit", str(junit), "--workdir", str(world)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (world / "unit.log").read_text(errors="replace")[-3000:]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- unit.log ---\n{log}"

    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures")) == ("5", "0")
    cases = suite.findall("testcase")
    assert [case.get("name").split(":")[0] for case in cases] == [
        f"{number} {name}" for number, name in enumerate(STEP_NAMES, start=1)
    ]
    assert all(float(case.get("time")) > 0 for case in cases)
    assert not suite.findall(".//failure")
    measured = {
        name: case.findtext("system-out") for name, case in zip(STEP_NAMES, cases, strict=True)
    }
    assert measured["boot"].startswith("470 Hz (Late Jazz with Mara) heard")
    assert measured["preset"].startswith("610 Hz (Morning Commute Café) heard")
    assert "(expected +6.0 ± 1)" in measured["knob"]  # 5 detents x 2 % x 0.6 dB
    assert "(expected -24.0 ± 1)" in measured["phone"]  # 70 % → 30 %
    assert "power-off ran" in measured["ignition"]
    assert (world / "powered-off").exists()  # the unit's own power.poweroff_command ran

    table = done.stdout.splitlines()
    assert table[-1].startswith("5/5 steps passed")
    assert [line.split()[0] for line in table[1:6]] == ["1", "2", "3", "4", "5"]
    assert all(" PASS " in line for line in table[1:6])


@pytest.mark.icecast
@pytest.mark.slow
def test_a_preset_pointing_at_the_wrong_room_fails_step_2_naming_what_it_heard(tmp_path):
    with local_world(tmp_path) as world:
        jazz, commute = world.rooms.rooms
        # The unit is told to store "room B" in preset 2, but the URL is room A's.
        world.rooms = Rooms([jazz, Room(commute.name, jazz.url, commute.signature_hz)], "", None)
        boot, preset = run_suite(world, STEPS[:2])
    assert boot.passed, boot.detail
    assert not preset.passed
    assert preset.detail.startswith(
        "after preset 2: expected 610 Hz (Morning Commute Café), heard 470 Hz (Late Jazz with Mara)"
    )


def test_the_ear_keeps_frames_whole_across_writers_and_records_their_absence_as_silence(
    tmp_path,
):
    capture = FifoCapture(tmp_path / "line-in.fifo")
    first = np.arange(1, 4801, dtype="<i2").repeat(2).tobytes()  # 0.1 s, no zero sample
    second = (-np.arange(1, 4801, dtype="<i2")).repeat(2).tobytes()
    try:
        start = capture.ring.frames
        _write_in_odd_pieces(capture.fifo, first + b"\x01\x02")  # ends inside a frame
        time.sleep(0.3)  # nobody writes: the line is silent
        _write_in_odd_pieces(capture.fifo, second)
        assert capture.ring.wait_for(start + 48_000, timeout_s=5)
        recorded = capture.ring.since(start)
    finally:
        capture.close()
    assert first in recorded and second in recorded  # every frame, aligned
    between = recorded[recorded.index(first) + len(first) : recorded.index(second)]
    assert between == bytes(len(between)) and len(between) >= 0.2 * 48_000 * 4
    assert tones.silent_from_s(recorded[: recorded.index(first)]) == 0.0


def test_levels_compare_through_talk_pauses_and_music_around_the_tone():
    rng = np.random.default_rng(7)
    t = np.arange(3 * 48_000) / 48_000
    gate = np.ones(t.size)
    for start in (0.4, 1.3, 2.2):  # pauses mute the tone, as in the studio's talk
        gate[int(start * 48_000) : int((start + 0.45) * 48_000)] = 0
    music = sum(0.05 * np.sin(2 * np.pi * hz * t) for hz in (440.0, 587.3, 659.3))
    noise = 0.002 * rng.standard_normal(t.size)

    def pcm(gain_db: float) -> bytes:
        tone = 0.063 * np.sin(2 * np.pi * 610.0 * t) * gate
        signal = (tone + music + noise) * 10 ** (gain_db / 20)
        return np.round(signal * 32767).astype("<i2").repeat(2).tobytes()

    loud, quiet = pcm(0.0), pcm(-6.0)
    assert tones.tone_level_dbfs(loud, 610.0) == pytest.approx(-24.0, abs=0.2)
    assert tones.tone_level_dbfs(loud, 610.0) - tones.tone_level_dbfs(quiet, 610.0) == (
        pytest.approx(6.0, abs=0.2)
    )
    assert tones.heard_signature(loud[-48_000 * 4 :], [470.0, 610.0]) == 610.0
    assert tones.heard_signature(bytes(48_000 * 4), [470.0, 610.0]) is None


def _write_in_odd_pieces(fifo, data: bytes) -> None:
    def write() -> None:
        with open(fifo, "wb", buffering=0) as pipe:
            for offset in range(0, len(data), 1001):
                pipe.write(data[offset : offset + 1001])

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(5)
    assert not writer.is_alive()
