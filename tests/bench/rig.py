"""The benchmark rig: one private Icecast with two live rooms, and small statistics helpers.

* ``/live.opus`` — Icecast's default burst (64 KiB, about 5 s at 96 kb/s): what a listener
  of a typical public server gets on connect. Time to first audio, live lag and CPU/RSS are
  measured here, for the engine and the peers alike.
* ``/road.opus`` — a burst of :data:`ROAD_BURST_BYTES` (about 33 s), so a road-mode join
  fills its 30 s buffer at once from the server, as it would from a road-friendly server.

Both are fed in real time by :class:`studio.room_source.RoomSource` at 96 kb/s stereo with
8 s songs (a chained Ogg link per song), on threads of the benchmark process.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from studio.icecast import DEFAULT_BURST_SIZE_BYTES, Icecast, MountSettings
from studio.room_source import RoomSource
from studio.rooms import DEMO_ROOMS

LIVE_MOUNT = "/live.opus"
ROAD_MOUNT = "/road.opus"
LIVE_BURST_BYTES = DEFAULT_BURST_SIZE_BYTES
ROAD_BURST_BYTES = 420_000  # ≈33 s at 12.7 kB/s (96 kb/s Opus in 20 ms Ogg pages)
BITRATE = 96_000
SONG_S = 8.0


@dataclass
class Rig:
    icecast: Icecast
    live: RoomSource
    road: RoomSource

    @property
    def live_url(self) -> str:
        return self.icecast.mount_url(LIVE_MOUNT)

    @property
    def road_url(self) -> str:
        return self.icecast.mount_url(ROAD_MOUNT)

    def describe(self) -> dict[str, object]:
        return {
            "live_mount": LIVE_MOUNT,
            "live_burst_bytes": LIVE_BURST_BYTES,
            "road_mount": ROAD_MOUNT,
            "road_burst_bytes": ROAD_BURST_BYTES,
            "bitrate": BITRATE,
            "song_s": SONG_S,
            "stream_bytes_per_s": round(self.live.bytes_sent / max(self.live.audio_sent_s, 1e-9)),
        }


@contextlib.contextmanager
def running_rig() -> Iterator[Rig]:
    """Icecast plus both room sources; everything is stopped on exit."""
    mounts = {ROAD_MOUNT: MountSettings(burst_size_bytes=ROAD_BURST_BYTES)}
    with Icecast(burst_size_bytes=LIVE_BURST_BYTES, mounts=mounts) as icecast:
        sources: list[RoomSource] = []
        try:
            for mount, room in ((LIVE_MOUNT, DEMO_ROOMS[0]), (ROAD_MOUNT, DEMO_ROOMS[1])):
                source = RoomSource(
                    icecast.mount_url(mount),
                    icecast.source_password,
                    replace(room, mount=mount),
                    bitrate=BITRATE,
                    song_s=SONG_S,
                )
                sources.append(source.start())
            icecast.wait_for_mounts(LIVE_MOUNT, ROAD_MOUNT)
            yield Rig(icecast, sources[0], sources[1])
        finally:
            for source in sources:
                source.stop()


def wait_for_audio(source: RoomSource, seconds: float, timeout_s: float = 120.0) -> None:
    """Block until ``source`` has streamed ``seconds`` of programme (Icecast holds the burst)."""
    deadline = time.monotonic() + timeout_s
    while source.audio_sent_s < seconds:
        if source.error is not None:
            raise RuntimeError(f"room source {source.mount_url} failed: {source.error}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{source.mount_url} streamed only {source.audio_sent_s:.1f} s")
        time.sleep(0.1)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(values_s: Sequence[float]) -> dict[str, object]:
    """p50/p95/min/max in ms of durations given in seconds, with the raw values."""
    values_ms = [v * 1000 for v in values_s]
    return {
        "n": len(values_ms),
        "p50_ms": _r(percentile(values_ms, 50)),
        "p95_ms": _r(percentile(values_ms, 95)),
        "min_ms": _r(min(values_ms)) if values_ms else None,
        "max_ms": _r(max(values_ms)) if values_ms else None,
        "values_ms": [_r(v) for v in values_ms],
    }


def _r(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)
