"""Catalog refresh cost: CPU per minute for 50 live rooms with now-playing peeks.

What a refresh round costs the unit: ``CatalogService.refresh_once()`` — one Icecast
``/status-json.xsl`` fetch, the catalog's room update (SQLite), a now-playing peek of every
live room (connect, read the stream's first OpusTags, hang up; 4 at a time) and a history
write per song seen. The engine runs one round every ``catalog.refresh_s`` (60 s by default).

The 50 rooms are real live mounts: a second private Icecast (:class:`RelayIcecast`) relays
the rig's ``/live.opus`` to ``/room01.opus`` … ``/room50.opus``, so the status document is
the one Icecast itself writes and every peek reads a real Icecast burst. The directory's
room URLs are the status server's base URL plus each mount path (``listenurl`` names only
the mount), which is why the rooms cannot simply point back at the rig's server.

The rounds run in a **child process** (``python -m tests.bench.catalog_refresh BASE_URL``,
printing JSON) so that only the catalog's work is counted: the benchmark process's own
threads (room sources, proxies) would otherwise share the figure. In the child, a real
``Catalog`` on disk and a ``CatalogService`` over a player built as the engine builds it
(null output, never started) run :data:`ROUNDS` rounds :data:`ROUND_GAP_S` apart; each
round's process CPU (``getrusage(RUSAGE_SELF)``, user + system, all threads) and wall time
are taken around the ``await``. The first round inserts the 50 rooms and warms the imports;
the figure is the median of the later rounds, which is what every minute of a drive costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from device.audio.outputs import open_output
from device.catalog import Catalog
from device.config import Config
from device.core.catalog_service import CatalogService, CatalogSettings
from device.core.player_setup import build_player
from studio.icecast import Icecast

ROOMS = 50
ROUNDS = 10
ROUND_GAP_S = 1.0
CHILD_TIMEOUT_S = 180.0
RELAYS_UP_TIMEOUT_S = 30.0


class RelayIcecast(Icecast):
    """A private Icecast whose every mount is an Icecast relay of one upstream mount."""

    def __init__(self, upstream_port: int, upstream_mount: str, mounts: list[str]) -> None:
        super().__init__(max_sources=len(mounts) + 4)
        self.upstream_port = upstream_port
        self.upstream_mount = upstream_mount
        self.relay_mounts = mounts

    def config_xml(self) -> str:
        root = ET.fromstring(super().config_xml())
        for mount in self.relay_mounts:
            relay = ET.SubElement(root, "relay")
            for tag, value in (
                ("server", "127.0.0.1"),
                ("port", self.upstream_port),
                ("mount", self.upstream_mount),
                ("local-mount", mount),
                ("on-demand", 0),  # always on air, like a live room
                ("relay-shoutcast-metadata", 0),
            ):
                ET.SubElement(relay, tag).text = str(value)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode") + "\n"


def room_mounts(count: int = ROOMS) -> list[str]:
    return [f"/room{n:02d}.opus" for n in range(1, count + 1)]


# ---- the benchmark process ------------------------------------------------------------------


def measure(icecast_port: int, upstream_mount: str, tmp: Path) -> dict[str, Any]:
    """Relay the rig's room to :data:`ROOMS` mounts and run the rounds in a child process."""
    mounts = room_mounts()
    with RelayIcecast(icecast_port, upstream_mount, mounts) as relays:
        relays.wait_for_mounts(*mounts, timeout_s=RELAYS_UP_TIMEOUT_S)
        with tempfile.TemporaryDirectory(dir=tmp, prefix="refresh-") as workdir:
            db = Path(workdir) / "catalog.sqlite"
            cmd = [sys.executable, "-m", "tests.bench.catalog_refresh", relays.base_url,
                   "--db", str(db), "--rounds", str(ROUNDS)]  # fmt: skip
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                cwd=Path(__file__).resolve().parents[2],
            )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"catalog_refresh child failed ({done.returncode}):\n{done.stderr}")
    return {"rooms": ROOMS, "relayed_mount": upstream_mount, **json.loads(done.stdout)}


# ---- the child process ----------------------------------------------------------------------


async def run_rounds(base_url: str, db_path: Path, rounds: int, gap_s: float) -> dict[str, Any]:
    settings = CatalogSettings(sources=(f"icecast:{base_url}",))
    player = build_player(Config(), open_output("null"))
    catalog = Catalog(db_path)
    service = CatalogService(catalog, player, settings)
    measured: list[dict[str, Any]] = []
    try:
        for n in range(rounds):
            if n:
                await asyncio.sleep(gap_s)
            cpu_before, wall_before = _cpu_s(), time.monotonic()
            await service.refresh_once()
            cpu_s, wall_s = _cpu_s() - cpu_before, time.monotonic() - wall_before
            live = await asyncio.to_thread(catalog.live_rooms, 500, 0)
            playing = [room.url for room in live.items if catalog.now_playing(room.url)]
            measured.append({
                "cpu_s": round(cpu_s, 4), "wall_s": round(wall_s, 3),
                "live_rooms": live.total, "rooms_with_now_playing": len(playing),
            })  # fmt: skip
    finally:
        await service.close()  # closes the catalog too
    return _summary(measured, settings.refresh_s)


def _summary(measured: list[dict[str, Any]], refresh_s: float) -> dict[str, Any]:
    steady = measured[1:] or measured
    cpu_per_round = statistics.median(r["cpu_s"] for r in steady)
    return {
        "rounds": measured,
        "refresh_s": refresh_s,
        "first_round_cpu_s": measured[0]["cpu_s"],
        "cpu_s_per_round": round(cpu_per_round, 4),
        "cpu_s_per_round_max": max(r["cpu_s"] for r in steady),
        "wall_s_per_round": round(statistics.median(r["wall_s"] for r in steady), 3),
        # One round per refresh interval: at the default 60 s, CPU per minute = CPU per round.
        "cpu_s_per_min": round(cpu_per_round * 60.0 / refresh_s, 4),
        "percent_of_one_core": round(100 * cpu_per_round / refresh_s, 3),
        "min_rooms_with_now_playing": min(r["rooms_with_now_playing"] for r in steady),
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.catalog_refresh")
    parser.add_argument("base_url", help="Icecast server whose status lists the rooms")
    parser.add_argument("--db", required=True, type=Path, help="catalog SQLite file to create")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--gap-s", type=float, default=ROUND_GAP_S)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    result = asyncio.run(run_rounds(args.base_url, args.db, args.rounds, args.gap_s))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
