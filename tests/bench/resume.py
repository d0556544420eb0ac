"""Resume: engine start → first audible block of what played last, as after the ignition.

Each run is the real process a car starts, ``drivetime-unit --config CFG engine`` without
``--join``: the engine opens its output, then its catalog, finds the saved resume state and
plays it again before any UI exists. The config (one per series) sets ``audio.output =
"file:<run dir>/out.raw"`` (paced in real time like a sound card; it writes silence from the
moment it opens), ``audio.volume = 100``, a private catalog and control socket, no directory
sources. Before every run the resume state is saved with the real :class:`Catalog`, as the
previous drive would have left it (the engine rewrites it while it plays).

The figure is from just before the spawn (``t0``) to the moment a poll of the output file
(every :data:`POLL_S`, reading only the new bytes) first finds a non-zero sample: Python
start-up, imports, catalog and output set-up, the resume itself and the first audio
included. The engine is then stopped with SIGTERM, as systemd does, and its exit awaited.
The file output writes through an 8 KiB buffer in batches of three 20 ms blocks, so audio
reaches the file up to one batch after it was rendered, as it reaches a sound card.

Two series of :data:`RUNS` runs:

* **room** — the rig's live room (``ResumeState("room", url, 0, "live", 100)``), goal ≤ 1 s;
* **track** — a local 30 s FLAC in the configured library, saved at :data:`RESUME_AT_S`.
  The file is a tone that steps every second (:func:`tone_hz`: 300 Hz + 50 Hz per second),
  so the frequency of the first :data:`HEARD_WINDOW_S` heard says where playing started:
  900 Hz is second 12, 300 Hz would be a restart from the top.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.catalog import Catalog, ResumeState
from studio.pilot import dominant_frequency
from tests.bench.procs import CHILDREN, ENGINE_CLI, PCM_BYTES_PER_S
from tests.bench.rig import percentile, summary_ms

RUNS = 10
POLL_S = 0.005
FIRST_AUDIO_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
GOAL_MS = 1000
TRACK_S = 30
RESUME_AT_S = 12.0
HEARD_WINDOW_S = 0.4
FIRST_TONE_HZ = 300
TONE_STEP_HZ = 50
HEARD_BAND_HZ = (200.0, 2500.0)
BYTES_PER_FRAME = 4  # 48 kHz stereo s16le
OUTPUT_NAME = "out.raw"
LOG_NAME = "engine.log"


def tone_hz(second: int) -> int:
    """The tone the test track plays during second ``second`` (0-based)."""
    return FIRST_TONE_HZ + TONE_STEP_HZ * second


def measure(room_url: str, tmp: Path, runs: int = RUNS) -> dict[str, Any]:
    room = _series(tmp / "resume-room", ResumeState("room", room_url, 0.0, "live", 100), runs)
    music = tmp / "resume-music"
    track = make_stepped_tone_flac(music / "steps.flac")
    state = ResumeState("track", str(track), RESUME_AT_S, "live", 100)
    played = _series(tmp / "resume-track", state, runs, library=music, listen_s=HEARD_WINDOW_S)
    heard = played["heard_hz"]
    expected = tone_hz(int(RESUME_AT_S))
    return {
        "goal_ms": GOAL_MS,
        "room": {**room, "met": room["p50_ms"] is not None and room["p50_ms"] <= GOAL_MS},
        "track": {
            **played,
            "resume_at_s": RESUME_AT_S,
            "expected_hz": expected,
            "heard_hz_p50": round(percentile(heard, 50), 1),
            # Within half a step: any other second of the track is at least 50 Hz away.
            "starts_at_resume_point": all(abs(hz - expected) < TONE_STEP_HZ / 2 for hz in heard),
        },
    }


def make_stepped_tone_flac(path: Path, seconds: int = TRACK_S) -> Path:
    """A 48 kHz stereo FLAC whose tone is :func:`tone_hz` (k) during second k."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = f"0.5*sin(2*PI*({FIRST_TONE_HZ}+{TONE_STEP_HZ}*floor(t))*t)"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"aevalsrc=exprs={tone}:s=48000:d={seconds}",
         "-ac", "2", "-sample_fmt", "s16", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def _series(
    workdir: Path,
    state: ResumeState,
    runs: int,
    *,
    library: Path | None = None,
    listen_s: float = 0.0,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    catalog_path = workdir / "catalog.sqlite"  # kept across runs, like the car's
    config_path = workdir / "drivetime.toml"
    config_path.write_text(_config_toml(workdir, catalog_path, library), encoding="utf-8")
    results: list[RunResult] = []
    for _ in range(runs):
        with Catalog(catalog_path) as catalog:
            catalog.save_resume(state)
        results.append(_one_run(config_path, workdir, listen_s))
    summary: dict[str, Any] = {
        **summary_ms([r.first_audio_s for r in results]),
        # Python start-up and imports up to the output's open (the file appears): the part of
        # the figure that comes before the engine can do anything about resuming.
        "output_opened": summary_ms([r.output_opened_s for r in results]),
        "exit_codes_on_sigterm": [r.exit_code for r in results],
    }
    if listen_s:
        summary["heard_hz"] = [
            round(dominant_frequency(r.pcm, band_hz=HEARD_BAND_HZ), 1) for r in results
        ]
    return summary


def _config_toml(workdir: Path, catalog_path: Path, library: Path | None) -> str:
    folders = f'["{library}"]' if library is not None else "[]"
    return (
        f'[audio]\noutput = "file:{workdir / OUTPUT_NAME}"\nvolume = 100\n\n'
        f'[catalog]\npath = "{catalog_path}"\nsources = []\nlibrary = {folders}\n\n'
        f'[engine]\nsocket = "{workdir}/engine.sock"\n'
    )


@dataclass(frozen=True)
class RunResult:
    output_opened_s: float  # spawn → the output file exists
    first_audio_s: float  # spawn → a poll finds the first non-zero sample
    pcm: bytes  # what was heard from that sample on
    exit_code: int | None  # after SIGTERM; None if it did not exit in time


def _one_run(config_path: Path, workdir: Path, listen_s: float) -> RunResult:
    """Start the engine, time its first audible sample (then read on for ``listen_s`` of
    audio), stop it with SIGTERM."""
    out = workdir / OUTPUT_NAME
    out.unlink(missing_ok=True)  # the engine creates it when its output opens
    with open(workdir / LOG_NAME, "wb") as log:
        started = time.monotonic()
        proc = CHILDREN.spawn([ENGINE_CLI, "--config", str(config_path), "engine"], stderr=log)
        try:
            heard = _listen(out, started, listen_s, proc)
            exit_code = CHILDREN.terminate(proc, STOP_TIMEOUT_S)
        finally:
            CHILDREN.kill(proc)
    if heard is None:
        tail = (workdir / LOG_NAME).read_text(errors="replace").strip()[-1500:]
        raise RuntimeError(
            f"no audible sample within {FIRST_AUDIO_TIMEOUT_S:g} s of starting the engine "
            f"(exit code {proc.returncode}); its log ends:\n{tail or '(empty)'}"
        )
    opened_at, audible_at, pcm = heard
    return RunResult(opened_at - started, audible_at - started, pcm, exit_code)


def _listen(
    out: Path, started: float, listen_s: float, proc: subprocess.Popen[bytes]
) -> tuple[float, float, bytes] | None:
    """When ``out`` appeared and when its first non-zero sample did (monotonic), and the
    ``listen_s`` of audio from that sample on. None on a timeout or an engine that exited."""
    deadline = started + FIRST_AUDIO_TIMEOUT_S
    while not out.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(POLL_S)
    opened_at = time.monotonic()
    with open(out, "rb") as handle:
        data = bytearray()
        while True:
            data += handle.read()
            audible_at = time.monotonic()
            sound = data.lstrip(b"\0")
            if sound:
                break
            del data[: len(data) - len(data) % BYTES_PER_FRAME]  # keep frame alignment
            if proc.poll() is not None or audible_at > deadline:
                return None
            time.sleep(POLL_S)
        audible = len(data) - len(sound)
        first = audible - audible % BYTES_PER_FRAME
        wanted = first + int(listen_s * PCM_BYTES_PER_S)
        while len(data) < wanted and proc.poll() is None and time.monotonic() < deadline + 5:
            time.sleep(POLL_S)
            data += handle.read()
    return opened_at, audible_at, bytes(data[first:wanted])
