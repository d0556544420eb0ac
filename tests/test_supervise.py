"""`drivetime-unit run`: a real engine and a real UI (offscreen), crashed on purpose.

The supervisor's log names each child's pid as it starts, which is how the tests find the
processes to kill. What is asserted is what the driver would notice: the music keeps coming
out (the file output grows in real time, ``status`` says playing), a screen comes back and
shows the unit, the engine answers again, and a unit that cannot start says why and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from device.cli.supervise import (
    CANNOT_START_STATUS,
    FIRST_DELAY_S,
    GIVE_UP_AFTER,
    HEALTHY_AFTER_S,
    MAX_DELAY_S,
    Backoff,
)
from device.control_client import ControlClient, EngineUnavailable
from device.protocol import Command, PlayerState, Queue, Status
from tests.support.music_files import make_track

UNIT = [sys.executable, "-m", "device"]
BYTES_PER_S = 48_000 * 4  # the file output: 48 kHz stereo s16le


class Supervisor:
    """``drivetime-unit run`` as a process, its output (and its children's) in a file."""

    def __init__(self, tmp_path: Path, config: Path, *options: str) -> None:
        self.log_path = tmp_path / "unit.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")  # offscreen
        }
        env.update(
            XDG_STATE_HOME=str(tmp_path / "state"),
            XDG_RUNTIME_DIR=str(tmp_path / "run"),
            KIVY_HOME=str(tmp_path / "kivy"),
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*UNIT, "--config", str(config), "run", *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, child: str) -> list[int]:
        return [int(pid) for pid in re.findall(rf"{child} started \(pid (\d+)\)", self.log)]

    def wait_for(self, what: str, condition: Callable[[], object], timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"no {what} within {timeout_s} s; log:\n{self.log[-3000:]}")
            time.sleep(0.05)

    def wait_for_start(self, child: str, count: int = 1) -> int:
        """The pid of the ``count``-th start of ``child``."""
        self.wait_for(f"{child} start #{count}", lambda: len(self.pids(child)) >= count)
        return self.pids(child)[count - 1]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    def kill_everything(self) -> None:
        """Whatever a failed test left running."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for pid in self.pids("engine") + self.pids("ui"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A minute of tone: plays through every test without ending."""
    path = tmp_path_factory.mktemp("music") / "long.opus"
    return make_track(path, "opus", seconds=60, freq_hz=440.0, tags={})


@pytest.fixture
def unit(tmp_path):
    started: list[Supervisor] = []

    def start(output: str, *options: str) -> Supervisor:
        supervisor = Supervisor(tmp_path, _config(tmp_path, output), *options)
        started.append(supervisor)
        return supervisor

    yield start
    for supervisor in started:
        supervisor.kill_everything()


def _config(tmp_path: Path, output: str) -> Path:
    path = tmp_path / "unit.toml"
    path.write_text(
        f'[audio]\noutput = "{output}"\nvolume = 100\n'
        f'[engine]\nsocket = "{tmp_path / "run" / "engine.sock"}"\n'
        f'[catalog]\npath = "{tmp_path / "catalog.sqlite"}"\nlibrary = []\n'
    )
    return path


def _request(tmp_path: Path, command: Command) -> dict[str, Any]:
    async def ask() -> dict[str, Any]:
        client = ControlClient(tmp_path / "run" / "engine.sock")
        try:
            await client.connect()
            return (await client.request(command)).data
        finally:
            await client.close()

    return asyncio.run(ask())


def _state(tmp_path: Path) -> str:
    """The player's state, or "" while no engine answers."""
    try:
        return PlayerState(**_request(tmp_path, Status())).state  # defaults are left out
    except EngineUnavailable:
        return ""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_a_killed_ui_comes_back_and_the_music_never_stops(tmp_path, unit, song):
    out = tmp_path / "out.raw"
    shots = tmp_path / "screens"
    supervisor = unit(f"file:{out}", "--screenshots", str(shots))
    engine_pid = supervisor.wait_for_start("engine")
    first_ui = supervisor.wait_for_start("ui")
    _request(tmp_path, Queue(kind="track", target=str(song)))
    supervisor.wait_for("playing", lambda: _state(tmp_path) == "playing")
    # The screen, offscreen, saved for whoever has no display to look at.
    screen = shots / "now.png"
    supervisor.wait_for("a screenshot", screen.exists)
    assert _png_size(screen) == (800, 480)

    os.kill(first_ui, signal.SIGKILL)
    before, killed_at = out.stat().st_size, time.monotonic()
    second_ui = supervisor.wait_for_start("ui", 2)
    supervisor.wait_for(
        "the new UI on the engine", lambda: supervisor.log.count("engine connected") == 2
    )
    time.sleep(max(0.0, 1.5 - (time.monotonic() - killed_at)))
    grown_s = (out.stat().st_size - before) / BYTES_PER_S

    assert second_ui != first_ui
    assert f"ui (pid {first_ui}) was killed by SIGKILL" in supervisor.log
    assert "restarting it in 0.5 s" in supervisor.log
    assert grown_s > 1.0, f"the output grew by only {grown_s:.2f} s of audio around the crash"
    assert _state(tmp_path) == "playing"
    assert supervisor.pids("engine") == [engine_pid]  # the engine was never touched


def test_a_killed_engine_comes_back_playing_and_sigterm_stops_both(tmp_path, unit, song):
    out = tmp_path / "out.raw"
    supervisor = unit(f"file:{out}")
    first_engine = supervisor.wait_for_start("engine")
    ui = supervisor.wait_for_start("ui")
    supervisor.wait_for("the UI on the engine", lambda: "engine connected" in supervisor.log)
    _request(tmp_path, Queue(kind="track", target=str(song)))
    supervisor.wait_for("playing", lambda: _state(tmp_path) == "playing")

    os.kill(first_engine, signal.SIGKILL)
    second_engine = supervisor.wait_for_start("engine", 2)
    # The new engine resumes the track, and the new output file fills again.
    supervisor.wait_for("playing again", lambda: _state(tmp_path) == "playing")
    supervisor.wait_for("audio again", lambda: out.stat().st_size > BYTES_PER_S // 2)
    supervisor.wait_for("the UI back", lambda: supervisor.log.count("engine connected") == 2)

    assert second_engine != first_engine
    assert f"engine (pid {first_engine}) was killed by SIGKILL" in supervisor.log
    assert supervisor.pids("ui") == [ui]  # the screen stayed up and reconnected by itself

    assert supervisor.stop() == 0
    assert _gone(ui) and _gone(second_engine)
    log = supervisor.log
    assert log.index(f"ui (pid {ui}) stopped") < log.index(f"engine (pid {second_engine}) stopped")
    assert not (tmp_path / "run" / "engine.sock").exists()


def test_an_engine_that_cannot_start_makes_the_unit_give_up_saying_why(tmp_path, unit):
    supervisor = unit("speakers", "--no-ui")  # a config that loads; the engine refuses it
    status = supervisor.process.wait(timeout=30)
    log = supervisor.log
    assert status == CANNOT_START_STATUS
    assert log.count("unknown output 'speakers'") == GIVE_UP_AFTER
    assert log.strip().splitlines()[-1] == (
        f"drivetime-unit run: the engine exited with status 2 {GIVE_UP_AFTER} times in a row "
        "right after starting: it cannot run as configured (its own message above says why); "
        "giving up"
    )
    assert "Traceback" not in log


def test_a_config_that_does_not_load_stops_the_unit_before_anything_starts(tmp_path):
    config = tmp_path / "unit.toml"
    config.write_text('[audio]\noutptu = "null"\n')
    result = subprocess.run(
        [*UNIT, "--config", str(config), "run"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "unknown key audio.outptu (did you mean audio.output?)" in result.stderr
    assert "started (pid" not in result.stderr


def test_restarts_back_off_from_half_a_second_to_ten_and_reset_after_a_healthy_run():
    backoff = Backoff()
    delays = [backoff.after_exit(1, uptime_s=0.2) for _ in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert (FIRST_DELAY_S, MAX_DELAY_S) == (0.5, 10.0)
    assert backoff.after_exit(1, uptime_s=HEALTHY_AFTER_S) == FIRST_DELAY_S
    assert backoff.after_exit(1, uptime_s=0.2) == 1.0


def test_only_a_run_of_cannot_start_exits_gives_up():
    backoff = Backoff()
    for _ in range(GIVE_UP_AFTER - 1):
        assert backoff.after_exit(2, uptime_s=0.3) is not None
    assert backoff.after_exit(1, uptime_s=0.3) is not None  # a crash: not a config problem
    for _ in range(GIVE_UP_AFTER - 1):
        assert backoff.after_exit(2, uptime_s=0.3) is not None
    assert backoff.after_exit(2, uptime_s=HEALTHY_AFTER_S) is not None  # ran fine for a while
    for _ in range(GIVE_UP_AFTER - 2):
        assert backoff.after_exit(2, uptime_s=0.3) is not None
    assert backoff.after_exit(2, uptime_s=0.3) is None
