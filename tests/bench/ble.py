"""Bluetooth LE: command round trip, pairing, bonded reconnect and relay, on the virtual radio.

The virtual radio (bumble's ``LocalLink``) moves packets between controllers at once, so
every figure here is the Python overhead of both stacks and the engine: a real radio adds
its connection interval (phones pick 15 to 50 ms) to each exchange, and air time to the relay.

Both sides are separate processes, as they are in a car, and neither is the benchmark
process (whose threads feed the rig's live rooms and would share the GIL and the CPU
figures): the unit is the shipped ``drivetime-unit --config CFG engine`` with
``link.transport = "virtual"`` on a free ``phone_port``, its own state directory
(``XDG_STATE_HOME``: bonds, identity) and control socket; the phone is
``python -m tests.bench.ble_phone`` (see there for how each figure is timed), which prints
its figures as JSON. The phone's *virtual controller* runs inside the unit's process (the
radio's TCP gateway gives each phone process a controller on the unit's link), so the
unit's CPU figure includes the link layer of both ends; a real phone does that in its chip.

* **controls** — unit with the ``null`` output: pairing of :data:`tests.bench.ble_phone.PAIRINGS`
  new phones, bonded reconnects, ``Volume`` → state event and ``Status`` → reply round trips.
* **relay** — a 30 s file at about 64 kb/s: ``python -m studio write`` renders the room at
  96 kb/s, so it is decoded to WAV by ffmpeg and encoded again with
  ``opusenc --bitrate 64 --cvbr --max-delay 20`` (see :data:`OPUSENC`). The unit runs in
  road mode with ``road.grow = false`` (no stretched frames) and a ``file:`` output; after
  the relay it is stopped with SIGTERM and its output must contain ``drivetime-unit play
  FILE``'s direct decode byte for byte. Nothing is lost exactly when it does; the unit's
  ``stats`` counters (concealed ms, underruns) say how much went missing otherwise. The link
  session's own frame counters live inside the unit's process, which this benchmark does not
  reach into.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.procs import CHILDREN, ENGINE_CLI
from tests.bench.rig import percentile

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUND_TRIP_GOAL_MS = 5.0
RELAY_SECONDS = 30
RELAY_KBPS = 64
RELAY_KBPS_TOLERANCE = 0.15  # a VBR file within 15 % of 64 kb/s is "about 64 kb/s"
# Constrained VBR: opusenc's default (free) VBR spent ~90 kb/s on this programme at
# "--bitrate 64"; 20 ms pages, as a room's stream arrives (the default 1 s pages would send
# the relay in bursts).
OPUSENC = ["opusenc", "--quiet", "--bitrate", str(RELAY_KBPS), "--cvbr", "--max-delay", "20"]
OGG_HEADER_BYTES = 27  # before the page's lacing table
PHONE_TIMEOUT_S = 240.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 1500


def measure(tmp: Path) -> dict[str, Any]:
    work = tmp / "ble"
    return {
        "radio": "virtual (bumble LocalLink): Python overhead only, no connection interval",
        "controls": measure_controls(work / "controls"),
        "relay": measure_relay(work / "relay"),
    }


# ---- controls -------------------------------------------------------------------------------


def measure_controls(workdir: Path) -> dict[str, Any]:
    with running_unit(workdir, output="null", mode="live") as unit:
        raw = run_phone("controls", unit, state_dir=workdir / "phones", timeout_s=PHONE_TIMEOUT_S)
    pairings = raw["pairings"]
    round_trip = latency_ms(raw["volume_round_trips_s"])
    p99 = round_trip["p99_ms"]
    return {
        "round_trip": {
            **round_trip,
            "events_missing": raw["volume_events_missing"],
            "goal_p99_ms": ROUND_TRIP_GOAL_MS,
            "met": p99 is not None and p99 <= ROUND_TRIP_GOAL_MS,
        },
        "status": latency_ms(raw["status_round_trips_s"]),
        "pair": {
            **latency_ms([p["connect_s"] + p["pair_s"] for p in pairings]),
            "connect": latency_ms([p["connect_s"] for p in pairings]),
            "pairing": latency_ms([p["pair_s"] for p in pairings]),
            "driver_prompts": raw["driver_prompts"],
        },
        "reconnect": latency_ms(raw["reconnects_s"]),
        "command_gap_ms": raw["command_gap_s"] * 1000,
        "warm_up": raw["warm_up"],
        "att_mtu": raw["mtu"],
        "unit_exit_code": unit.exit_code,
    }


def latency_ms(values_s: Sequence[float]) -> dict[str, Any]:
    """p50/p95/p99/max in ms (0.01 ms) of durations in seconds, with the raw values."""
    values = [v * 1000 for v in values_s]

    def at(q: float) -> float | None:
        return round(percentile(values, q), 2) if values else None

    return {
        "n": len(values),
        "p50_ms": at(50),
        "p95_ms": at(95),
        "p99_ms": at(99),
        "max_ms": round(max(values), 2) if values else None,
        "values_ms": [round(v, 3) for v in values],
    }


# ---- relay ----------------------------------------------------------------------------------


def measure_relay(workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    song, encoding = make_relay_file(workdir)
    direct = workdir / "direct.raw"
    subprocess.run(
        [ENGINE_CLI, "play", str(song), "--output", f"file:{direct}"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    heard = workdir / "heard.raw"
    with running_unit(workdir, output=f"file:{heard}", mode="road") as unit:
        raw = run_phone(
            "relay", unit, state_dir=workdir / "phone", timeout_s=PHONE_TIMEOUT_S,
            extra=["--file", str(song), "--unit-pid", str(unit.proc.pid)],
        )  # fmt: skip
    reference = direct.read_bytes()
    if not reference:
        raise RuntimeError(f"the direct decode of {song} is empty")
    wall_s = raw["relay_wall_s"]
    relaying = raw["unit_stats_at_relay_end"] or {}
    return {
        "file": {"seconds": RELAY_SECONDS, "bytes": song.stat().st_size, **encoding},
        "room": raw["room"],
        "frames_sent": raw["frames_sent"],
        "bytes_sent": raw["bytes_sent"],
        "relay_wall_s": round(wall_s, 2),
        "kbps_over_the_air": round(raw["bytes_sent"] * 8 / 1000 / wall_s, 1),
        "identical": reference in heard.read_bytes(),
        "direct_decode_bytes": len(reference),
        # The last stats event before the last frame left the phone: what went missing while
        # audio was still coming (afterwards the buffer runs dry at the end of the file).
        "concealed_ms_while_relaying": relaying.get("concealed_ms"),
        "underruns_while_relaying": relaying.get("underruns"),
        "unit_stats_at_relay_end": relaying,
        "unit_stats_after_playout": raw["unit_stats_after_playout"],
        "cpu_s": {"unit": round(raw["unit_cpu_s"], 3), "phone": round(raw["phone_cpu_s"], 3)},
        "cpu_s_per_min": {
            "unit": round(raw["unit_cpu_s"] * 60 / wall_s, 2),
            "phone": round(raw["phone_cpu_s"] * 60 / wall_s, 2),
        },
        "att_mtu": raw["mtu"],
        "unit_exit_code": unit.exit_code,
    }


def make_relay_file(workdir: Path) -> tuple[Path, dict[str, Any]]:
    """A :data:`RELAY_SECONDS` room programme at about :data:`RELAY_KBPS` kb/s, and how it
    was made. ``studio write`` is used as it is when it already writes that bitrate."""
    studio = workdir / "studio.opus"
    subprocess.run(
        [sys.executable, "-m", "studio", "write", str(studio), "--seconds", str(RELAY_SECONDS)],
        check=True, capture_output=True, timeout=120, cwd=REPO_ROOT,
    )  # fmt: skip
    studio_kbps = opus_kbps(studio, RELAY_SECONDS)
    if abs(studio_kbps - RELAY_KBPS) <= RELAY_KBPS * RELAY_KBPS_TOLERANCE:
        song, made_by = studio, "python -m studio write"
    else:
        wav, song = workdir / "studio.wav", workdir / "song.opus"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(studio), str(wav)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run([*OPUSENC, str(wav), str(song)], check=True, capture_output=True,
                       timeout=120)  # fmt: skip
        made_by = f"python -m studio write → ffmpeg WAV → {' '.join(OPUSENC)}"
    return song, {
        "opus_kbps": opus_kbps(song, RELAY_SECONDS),
        "with_ogg_kbps": round(song.stat().st_size * 8 / 1000 / RELAY_SECONDS, 1),
        "studio_write_opus_kbps": studio_kbps,
        "made_by": made_by,
    }


def opus_kbps(path: Path, seconds: float) -> float:
    """The Opus bitrate of an Ogg/Opus file: its packets' bytes, without the Ogg pages."""
    data = path.read_bytes()
    payload, position = 0, 0
    while position + OGG_HEADER_BYTES <= len(data):
        if data[position : position + 4] != b"OggS":
            raise ValueError(f"{path}: no Ogg page at byte {position}")
        segments = data[position + OGG_HEADER_BYTES - 1]
        table = position + OGG_HEADER_BYTES
        body = sum(data[table : table + segments])
        payload += body
        position = table + segments + body
    return round(payload * 8 / 1000 / seconds, 1)


# ---- the two processes ----------------------------------------------------------------------


@dataclass
class Unit:
    proc: subprocess.Popen[bytes]
    phone_port: int
    socket_path: Path
    log_path: Path
    exit_code: int | None = None  # after SIGTERM; None while running or if it hung

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace").strip()[-LOG_TAIL_CHARS:]
        return ""


@contextlib.contextmanager
def running_unit(workdir: Path, *, output: str, mode: str) -> Iterator[Unit]:
    """``drivetime-unit engine`` on the virtual radio with a private state; SIGTERM on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_tcp_port()
    config = workdir / "drivetime.toml"
    socket_path = workdir / "engine.sock"
    config.write_text(unit_config(workdir, output, mode, port, socket_path), encoding="utf-8")
    log_path = workdir / "engine.log"
    # ``env`` execs the engine in place: the child's pid is the engine's, for its CPU.
    state = f"XDG_STATE_HOME={workdir / 'unit-state'}"
    with open(log_path, "wb") as log:
        proc = CHILDREN.spawn(
            ["env", state, ENGINE_CLI, "--config", str(config), "engine"], stderr=log
        )
    unit = Unit(proc, port, socket_path, log_path)
    try:
        yield unit
    finally:
        unit.exit_code = CHILDREN.terminate(proc, STOP_TIMEOUT_S)
        CHILDREN.kill(proc)


def unit_config(workdir: Path, output: str, mode: str, port: int, socket_path: Path) -> str:
    return (
        f'[audio]\noutput = "{output}"\nvolume = 100\nmode = "{mode}"\n\n'
        "[road]\ngrow = false\n\n"  # no stretched frames: the relayed samples must match
        f'[catalog]\npath = "{workdir / "catalog.sqlite"}"\nsources = []\nlibrary = []\n\n'
        f'[engine]\nsocket = "{socket_path}"\n\n'
        f'[link]\ntransport = "virtual"\nphone_port = {port}\n'
    )


def run_phone(
    scenario: str,
    unit: Unit,
    *,
    state_dir: Path,
    timeout_s: float,
    extra: Sequence[str] = (),
) -> dict[str, Any]:
    """Run the phone process against ``unit``; its JSON, or an error with both sides' say."""
    cmd = [sys.executable, "-m", "tests.bench.ble_phone", scenario,
           "--port", str(unit.phone_port), "--socket", str(unit.socket_path),
           "--state-dir", str(state_dir), *extra]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"the phone ({scenario}) did not finish within {timeout_s:g} s; the unit's log "
            f"ends:\n{unit.log_tail() or '(empty)'}"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"the phone ({scenario}) failed ({done.returncode}):\n{done.stderr[-3000:]}\n"
            f"the unit's log ends:\n{unit.log_tail() or '(empty)'}"
        )
    return json.loads(done.stdout)


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
