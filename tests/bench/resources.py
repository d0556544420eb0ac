"""CPU time and peak memory for a minute of a 96 kb/s stereo room, engine vs mpv vs ffmpeg.

The three players run **concurrently** on the same mount for :data:`DURATION_S`: each needs a
few percent of one core, so on two cores they do not compete (the machine's total busy share
over the minute is reported to show it). The minute is played :data:`ROUNDS` times, fresh
processes each time, and each figure's median over the rounds is reported beside every
round's: on this VM one round's CPU time moves by up to ±25 % with whatever else the host
runs, for all three players at once. Each is a fresh process started as a user would:

* ``drivetime-unit play URL --output null --mode live`` — the engine's whole stack, with the
  null output pacing like a sound card;
* ``mpv --no-config --no-terminal --no-video --ao=null URL`` — mpv's null output is timed;
* ``ffmpeg -nostdin -loglevel error -i URL -f null -`` — decodes everything it receives.

CPU is user + system time of the process and its reaped children (``/proc/<pid>/stat``, via
psutil) just before it is killed, start-up included; the CPU time of the first
:data:`STARTUP_S` and the steady state (from :data:`STEADY_FROM_S` to the end, as a share of
one core) are reported too. Peak RSS is ``VmHWM`` from ``/proc/<pid>/status``, the worst round.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

import psutil

from tests.bench.procs import (
    CHILDREN,
    ENGINE_PLAY,
    FFMPEG_PLAY,
    MPV_PLAY,
    command,
    printable,
)
from tests.bench.rig import percentile

DURATION_S = 60.0
ROUNDS = 3
STARTUP_S = 2.0
STEADY_FROM_S = 10.0
POLL_S = 0.5
PLAYERS = ("drivetime", "mpv", "ffmpeg")


def measure(url: str) -> dict[str, object]:
    rounds = [_round(url) for _ in range(ROUNDS)]
    result: dict[str, object] = {}
    for name in PLAYERS:
        played = [r[name] for r in rounds]
        result[name] = {
            "cpu_s": percentile([p["cpu_s"] for p in played], 50),
            "cpu_s_rounds": [p["cpu_s"] for p in played],
            "startup_cpu_s": percentile([p["startup_cpu_s"] for p in played], 50),
            "steady_cpu_percent": percentile([p["steady_cpu_percent"] for p in played], 50),
            "peak_rss_mb": max(p["peak_rss_mb"] for p in played),
            "command": played[0]["command"],
        }
    result["rounds"] = ROUNDS
    result["drivetime_at_most_mpv_rounds"] = sum(
        r["drivetime"]["cpu_s"] <= r["mpv"]["cpu_s"] for r in rounds
    )
    result["machine_busy_percent_of_all_cores"] = [
        r["machine_busy_percent_of_all_cores"] for r in rounds
    ]
    result["wall_s"] = round(sum(r["wall_s"] for r in rounds), 2)
    result["concurrent"] = True
    return result


def _round(url: str) -> dict[str, Any]:
    commands = {
        "drivetime": command(ENGINE_PLAY, url=url, output="null"),
        "mpv": command(MPV_PLAY, url=url),
        "ffmpeg": command(FFMPEG_PLAY, url=url),
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        system_before = psutil.cpu_times()
        for name, cmd in commands.items():
            procs[name] = CHILDREN.spawn(cmd)
        started = time.monotonic()
        watched = {name: psutil.Process(proc.pid) for name, proc in procs.items()}
        startup_cpu: dict[str, float] = {}
        steady_cpu: dict[str, float] = {}
        steady_at = 0.0
        while (elapsed := time.monotonic() - started) < DURATION_S:
            dead = [name for name, proc in procs.items() if proc.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited early (code {procs[dead[0]].poll()})")
            if not startup_cpu and elapsed >= STARTUP_S:
                startup_cpu = {name: _cpu_s(p) for name, p in watched.items()}
            if not steady_cpu and elapsed >= STEADY_FROM_S:
                steady_at = time.monotonic()
                steady_cpu = {name: _cpu_s(p) for name, p in watched.items()}
            time.sleep(POLL_S)
        ended = time.monotonic()
        result: dict[str, Any] = {}
        for name, process in watched.items():
            cpu_s = _cpu_s(process)
            result[name] = {
                "cpu_s": round(cpu_s, 3),
                "startup_cpu_s": round(startup_cpu[name], 3),
                "steady_cpu_percent": round(
                    100 * (cpu_s - steady_cpu[name]) / (ended - steady_at), 2
                ),
                "peak_rss_mb": round(_vm_hwm_kb(process.pid) / 1024, 1),
                "command": printable(commands[name]),
            }
        system_after = psutil.cpu_times()
    finally:
        for proc in procs.values():
            CHILDREN.kill(proc)
    result["wall_s"] = round(ended - started, 2)
    busy = _busy_percent(system_before, system_after)
    result["machine_busy_percent_of_all_cores"] = round(busy, 1)
    result["concurrent"] = True
    return result


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _vm_hwm_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def _busy_percent(before: object, after: object) -> float:
    fields = before._fields  # type: ignore[attr-defined]
    deltas = {f: getattr(after, f) - getattr(before, f) for f in fields}
    total = sum(deltas.values())
    idle = deltas.get("idle", 0.0) + deltas.get("iowait", 0.0)
    return 100 * (total - idle) / total if total else 0.0
