"""``make bench``: the engine side by side with mpv and ffmpeg on the same Icecast mount.

Usage: ``python -m tests.bench [SECTION ...]`` (default: all of decode, ttfa, lag, resources,
road, catalog, library, resume, refresh, ble, ui, panel). Prints a table, writes every raw number to
``bench-results.json`` at the repository root (rewritten after each section, so a failed or
interrupted run keeps what it measured) and exits 1 if a section failed. A section that
fails is recorded and the next one runs; every child process is killed on the way out. The
methods are in each section's module and in docs/performance.md.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from tests.bench import (
    ble,
    catalog_refresh,
    catalog_search,
    lag,
    library_scan,
    panel,
    report,
    resources,
    resume,
    road,
    ttfa,
    ui,
)
from tests.bench.procs import CHILDREN
from tests.bench.rig import LIVE_MOUNT, ROAD_MOUNT, Rig, running_rig, wait_for_audio

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = REPO_ROOT / "bench-results.json"
SECTIONS = (
    "decode",
    "ttfa",
    "lag",
    "resources",
    "road",
    "catalog",
    "library",
    "resume",
    "refresh",
    "ble",
    "ui",
    "panel",
)
SUITE_TIMEOUT_S = 15 * 60
DECODE_FILE_S = 60
ROAD_BURST_READY_S = 36.0  # the road mount must hold a full burst before the road join


class SuiteTimeout(BaseException):
    """The whole suite ran past SUITE_TIMEOUT_S (a hang somewhere)."""


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "sections": {},
        "errors": {},
    }
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SUITE_TIMEOUT_S)
    try:
        with running_rig() as rig, tempfile.TemporaryDirectory(prefix="drivetime-bench-") as tmp:
            results["rig"] = rig.describe()
            for name in chosen:
                _run_section(
                    name, lambda name=name: _SECTION_RUNNERS[name](rig, Path(tmp)), results
                )
                results["rig"] = rig.describe()
                _save(results, started)
    except (KeyboardInterrupt, SuiteTimeout) as exc:
        results["errors"]["suite"] = f"interrupted: {type(exc).__name__}"
    except Exception:
        results["errors"]["suite"] = traceback.format_exc()
    finally:
        signal.alarm(0)
        CHILDREN.kill_all()
        _save(results, started)
    print()
    print(report.markdown_table(results))
    print()
    for line in report.notes(results):
        print(f"* {line}")
    print(f"\nraw results: {RESULTS_PATH} ({time.monotonic() - started:.0f} s)")
    return 1 if results["errors"] else 0


# ---- sections -------------------------------------------------------------------------------


def _decode(rig: Rig, tmp: Path) -> dict[str, Any]:
    opus = tmp / "room-60s.opus"
    studio_write = [sys.executable, "-m", "studio", "write", str(opus), "--seconds"]
    subprocess.run([*studio_write, str(DECODE_FILE_S)], check=True, timeout=120,
                   stdout=subprocess.DEVNULL, cwd=REPO_ROOT)  # fmt: skip
    # The engine's file output fsyncs, which /dev/null refuses: decode into tmpfs instead.
    sink_parent = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp
    with tempfile.TemporaryDirectory(dir=sink_parent) as sink:
        measured = subprocess.run(
            [sys.executable, "-m", "tests.bench.decode_speed", str(opus), sink],
            check=True, timeout=600, capture_output=True, text=True, cwd=REPO_ROOT,
        )  # fmt: skip
    return {
        "file": {"seconds": DECODE_FILE_S, "bytes": opus.stat().st_size},
        **json.loads(measured.stdout),
    }


def _ttfa(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)  # Icecast holds its full 64 KiB burst
    return {
        "url": rig.live_url,
        "engine": asyncio.run(ttfa.engine_in_process(rig.live_url)),
        "processes": ttfa.process_runs(rig.live_url),
        "server_first_body_byte": ttfa.server_first_body_byte(rig.live_url),
    }


def _lag(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)
    return asyncio.run(lag.measure(rig.live_url, rig.live.start_monotonic))


def _resources(rig: Rig, tmp: Path) -> dict[str, Any]:
    return resources.measure(rig.live_url)


def _road(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.road, ROAD_BURST_READY_S)
    return asyncio.run(road.measure(rig.icecast.port, ROAD_MOUNT))


def _catalog(rig: Rig, tmp: Path) -> dict[str, Any]:
    return catalog_search.run()


def _library(rig: Rig, tmp: Path) -> dict[str, Any]:
    return library_scan.run()


def _resume(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)  # the room a car resumes has its full burst, as in ttfa
    return resume.measure(rig.live_url, tmp)


def _refresh(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)  # the relays get a full burst of the room they relay
    return catalog_refresh.measure(rig.icecast.port, LIVE_MOUNT, tmp)


def _ble(rig: Rig, tmp: Path) -> dict[str, Any]:
    return ble.measure(tmp)  # the unit and the phone are child processes; no rig needed


def _panel(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)
    return panel.measure(rig.live_url, tmp / "panel")


def _ui(rig: Rig, tmp: Path) -> dict[str, Any]:
    wait_for_audio(rig.live, 6.0)  # the room the touchscreen shows plays from its full burst
    return ui.measure(rig.live_url, tmp)


_SECTION_RUNNERS: dict[str, Callable[[Rig, Path], dict[str, Any]]] = {
    "decode": _decode,
    "ttfa": _ttfa,
    "lag": _lag,
    "resources": _resources,
    "road": _road,
    "catalog": _catalog,
    "library": _library,
    "resume": _resume,
    "refresh": _refresh,
    "ble": _ble,
    "ui": _ui,
    "panel": _panel,
}


# ---- plumbing -------------------------------------------------------------------------------


def _run_section(name: str, run: Callable[[], dict[str, Any]], results: dict[str, Any]) -> None:
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    print(f"bench: {name} …", file=sys.stderr, flush=True)
    try:
        results["sections"][name] = run()
    except Exception:
        results["errors"][name] = traceback.format_exc()
        print(f"bench: {name} FAILED\n{results['errors'][name]}", file=sys.stderr)
    finally:
        CHILDREN.kill_all()
    took = time.monotonic() - began
    # Other work on the machine skews every figure: keep the 1-minute load around each section.
    results.setdefault("section_meta", {})[name] = {
        "seconds": round(took, 1),
        "loadavg_1min_before": load_before,
        "loadavg_1min_after": os.getloadavg()[0],
    }
    print(f"bench: {name} done in {took:.0f} s", file=sys.stderr, flush=True)


def _save(results: dict[str, Any], started: float) -> None:
    results["duration_s"] = round(time.monotonic() - started, 1)
    RESULTS_PATH.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def _machine() -> dict[str, Any]:
    model = ""
    lscpu = _first_line(["lscpu"], containing="Model name")
    if lscpu:
        model = lscpu.split(":", 1)[1].strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "sound_card": Path("/proc/asound/cards").exists(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "mpv": _first_line(["mpv", "--version"]),
        "ffmpeg": _first_line(["ffmpeg", "-version"]),
        "opusdec": _first_line(["opusdec", "--version"]),
        "icecast": _first_line(["icecast2", "-v"]),
    }


def _first_line(cmd: list[str], containing: str = "") -> str:
    if shutil.which(cmd[0]) is None:
        return ""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = [line for line in out.splitlines() if containing in line]
    return lines[0].strip() if lines else ""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _timeout(signum: int, frame: FrameType | None) -> None:
    raise SuiteTimeout


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
