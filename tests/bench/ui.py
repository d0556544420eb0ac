"""The touchscreen: tap → feedback, engine event → screen, UI start → first frame, UI memory.

Kivy must be set up for offscreen rendering before it is first imported, and this benchmark
process already runs the rig's room sources on its threads, so every figure comes from a
child process:

* **frames** — ``python -m tests.bench.ui_probe`` (see there for what a frame is offscreen
  and how each sample is timed): the App on an offscreen window with a real engine on a
  thread of the same process, playing the rig's live room. :data:`TAPS` taps on the volume
  "+" button (tap → the frame drawing it pressed; lift → the frame showing the engine's new
  volume), :data:`ENGINE_EVENTS` volume changes made by the engine itself, and the room's
  song changes while those run. Goals: tap → feedback p95 ≤ :data:`TAP_GOAL_MS`, engine
  event → screen p95 ≤ :data:`EVENT_GOAL_MS`.
* **start** — the shipped UI, ``python -m device.ui --config CFG`` with
  ``SDL_VIDEODRIVER=offscreen``, started :data:`START_RUNS` times against one engine process
  (``drivetime-unit --config CFG engine --join ROOM``, ``null`` output) that plays the live
  room throughout. The UI logs ``first frame N ms after start`` at its first ``on_flip``,
  N counted from when ``device.ui.__main__`` was imported (interpreter start-up excluded);
  the time from just before the spawn to the moment that line is read from its stderr is
  measured too. The UI then stays :data:`CONNECTED_S` seconds after it logs ``engine
  connected``; its RSS (psutil) and peak RSS (VmHWM) are read then, with its CPU over those
  seconds, and it is stopped with SIGTERM as the supervisor stops it. All runs share one
  Kivy home (created by the first run, as on a unit after its first boot).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from device.control_client import ControlClient, EngineUnavailable
from device.protocol import Status
from tests.bench.procs import CHILDREN, ENGINE_CLI
from tests.bench.rig import percentile, summary_ms

REPO_ROOT = Path(__file__).resolve().parents[2]
TAPS = 200
ENGINE_EVENTS = 200
TAP_GOAL_MS = 50
EVENT_GOAL_MS = 100
START_RUNS = 5
CONNECTED_S = 10.0
PROBE_TIMEOUT_S = 600.0
ENGINE_READY_TIMEOUT_S = 20.0
UI_LOG_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
FIRST_FRAME_LINE = re.compile(r"first frame (\d+) ms after start")
CONNECTED_LINE = re.compile(r"engine connected")
OUTPUT_TAIL_CHARS = 3000
MB = 1024 * 1024


def measure(room_url: str, tmp: Path) -> dict[str, Any]:
    work = tmp / "ui"
    frames = run_probe(room_url, work / "probe")
    return {
        "goals_ms": {"tap_p95": TAP_GOAL_MS, "engine_event_p95": EVENT_GOAL_MS},
        **frames,
        "start": measure_start(room_url, work / "start"),
    }


# ---- frames ---------------------------------------------------------------------------------


def run_probe(room_url: str, workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KIVY_HOME": str(workdir / "kivy"),
        "XDG_STATE_HOME": str(workdir / "state"),
        "SDL_VIDEODRIVER": "offscreen",
    }
    cmd = [sys.executable, "-m", "tests.bench.ui_probe", room_url, str(workdir),
           "--taps", str(TAPS), "--events", str(ENGINE_EVENTS)]  # fmt: skip
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, cwd=REPO_ROOT, env=env
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the UI probe did not finish within {PROBE_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        raise RuntimeError(
            f"the UI probe failed ({done.returncode}):\n{done.stderr[-OUTPUT_TAIL_CHARS:]}"
        )
    return json.loads(done.stdout)


# ---- start and memory -----------------------------------------------------------------------


def measure_start(room_url: str, workdir: Path, runs: int = START_RUNS) -> dict[str, Any]:
    with running_engine(room_url, workdir) as config:
        starts = [start_ui(config, workdir, run) for run in range(runs)]
    rss = [run["rss_mb"] for run in starts]
    return {
        "runs": starts,
        "first_frame_logged": summary_ms([run["first_frame_logged_s"] for run in starts]),
        "spawn_to_first_frame": summary_ms([run["spawn_to_first_frame_s"] for run in starts]),
        "spawn_to_connected": summary_ms([run["spawn_to_connected_s"] for run in starts]),
        "rss_mb_p50": round(percentile(rss, 50), 1),
        "rss_mb_max": max(rss),
        "peak_rss_mb_max": max(run["peak_rss_mb"] for run in starts),
        "cpu_percent_connected_p50": round(
            percentile([run["cpu_percent_connected"] for run in starts], 50), 2
        ),
        "exit_codes_on_sigterm": [run["exit_code"] for run in starts],
    }


@contextlib.contextmanager
def running_engine(room_url: str, workdir: Path) -> Iterator[Path]:
    """``drivetime-unit engine`` playing ``room_url`` with a private state and socket; yields
    the config file a UI started against it uses. SIGTERM on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "drivetime.toml"
    socket_path = workdir / "engine.sock"
    config.write_text(
        '[audio]\noutput = "null"\n\n'
        f'[catalog]\npath = "{workdir / "catalog.sqlite"}"\nsources = []\nlibrary = []\n'
        "resume = false\n\n"
        f'[engine]\nsocket = "{socket_path}"\n',
        encoding="utf-8",
    )
    log_path = workdir / "engine.log"
    state = f"XDG_STATE_HOME={workdir / 'engine-state'}"
    with open(log_path, "wb") as log:
        proc = CHILDREN.spawn(
            ["env", state, ENGINE_CLI, "--config", str(config), "engine", "--join", room_url],
            stderr=log,
        )
    try:
        try:
            asyncio.run(_until_playing(socket_path))
        except TimeoutError:
            log_tail = log_path.read_text(errors="replace")[-OUTPUT_TAIL_CHARS:]
            raise RuntimeError(
                f"the engine never played {room_url}; its log:\n{log_tail}"
            ) from None
        yield config
    finally:
        CHILDREN.terminate(proc, STOP_TIMEOUT_S)
        CHILDREN.kill(proc)


async def _until_playing(socket_path: Path) -> None:
    deadline = time.monotonic() + ENGINE_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        client = ControlClient(socket_path)
        with contextlib.suppress(EngineUnavailable):
            await client.connect()
            try:
                reply = await client.request(Status())
            finally:
                await client.close()
            if reply.data.get("state") == "playing":
                return
        await asyncio.sleep(0.1)
    raise TimeoutError


def start_ui(config: Path, workdir: Path, run: int) -> dict[str, Any]:
    """One start of the shipped UI: its start-up figures and its memory once settled."""
    env = ["env", "SDL_VIDEODRIVER=offscreen", f"KIVY_HOME={workdir / 'kivy'}",
           f"XDG_STATE_HOME={workdir / 'ui-state'}"]  # fmt: skip
    cmd = [*env, sys.executable, "-m", "device.ui", "--config", str(config)]
    spawned_at = time.monotonic()
    # ``env`` execs the UI in place: the child's pid is the UI's, for its memory and CPU.
    proc = CHILDREN.spawn(cmd, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    assert proc.stderr is not None
    log = LogLines(proc.stderr)
    try:
        first_frame_at, first_frame = log.wait_for(FIRST_FRAME_LINE, UI_LOG_TIMEOUT_S)
        connected_at, _ = log.wait_for(CONNECTED_LINE, UI_LOG_TIMEOUT_S)
        ui = psutil.Process(proc.pid)
        cpu_before = _cpu_s(ui)
        time.sleep(max(0.0, connected_at + CONNECTED_S - time.monotonic()))
        rss_mb = ui.memory_info().rss / MB
        cpu_s = _cpu_s(ui) - cpu_before
        peak_mb = _peak_rss_mb(proc.pid)
    except (TimeoutError, psutil.Error) as exc:
        CHILDREN.kill(proc)
        raise RuntimeError(f"UI start {run + 1}: {exc}; its log:\n{log.tail()}") from None
    exit_code = CHILDREN.terminate(proc, STOP_TIMEOUT_S)
    CHILDREN.kill(proc)
    return {
        "first_frame_logged_s": int(first_frame.group(1)) / 1000,
        "spawn_to_first_frame_s": round(first_frame_at - spawned_at, 4),
        "spawn_to_connected_s": round(connected_at - spawned_at, 4),
        "rss_mb": round(rss_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "cpu_percent_connected": round(cpu_s * 100 / CONNECTED_S, 2),
        "exit_code": exit_code,
    }


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass
class LogLine:
    at: float  # monotonic, when it was read
    text: str


class LogLines:
    """A child's log, read line by line on a thread, each line timestamped as it arrives."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines: list[LogLine] = []
        self._changed = threading.Condition()
        self._ended = False
        threading.Thread(target=self._read, args=(stream,), name="ui-log", daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(ValueError, OSError):  # closed by CHILDREN.kill
            for raw in stream:
                with self._changed:
                    self._lines.append(LogLine(time.monotonic(), raw.decode(errors="replace")))
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout_s: float) -> tuple[float, re.Match[str]]:
        """When the first line matching ``pattern`` arrived, and the match."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for line in self._lines:
                    if match := pattern.search(line.text):
                        return line.at, match
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    why = "the UI exited" if self._ended else f"not within {timeout_s:g} s"
                    raise TimeoutError(f"no {pattern.pattern!r} in the UI's log ({why})")
                self._changed.wait(left)

    def tail(self) -> str:
        with self._changed:
            return "".join(line.text for line in self._lines)[-OUTPUT_TAIL_CHARS:]
