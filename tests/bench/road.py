"""Road mode: what a listener hears through 5, 10 and 20 s network outages with a 30 s buffer.

The engine (road mode, ``road.target_ms = 30000``, a paced ``file:`` output, all network
settings at their defaults) joins ``/road.opus`` through a loopback
:class:`~tests.support.fault_proxy.FaultProxy`. That mount bursts about 33 s on connect, so
the buffer is full at once, as it would be from a road-friendly server. Once the depth is
at least :data:`FULL_DEPTH_MS`, each outage is:

1. ``refuse()`` + ``drop()``: the open connection is closed and every reconnection attempt
   is closed at once, so nothing at all gets through (a tunnel; a stall would hold data);
2. wait the outage; ``pass_through()``;
3. wait until the engine's next attempt is let through (its backoff decides when), then let
   it play on for :data:`PLAY_ON_S` — more than the 10 s after which the stream client resets
   its backoff, so each outage starts from the same state.

Reported per outage: the audible gap (increase of ``stats().gap_ms``: concealment or silence
heard since first audio), the audio truly missed (``missed_ms``: streamed by the source but
never received, spliced out), the lowest depth reached and the depth after reconnecting.
The peers join through the same proxy just before the first outage, playing as a user would
(mpv's default cache, ffmpeg to its null output); what is recorded is whether they are still
playing afterwards and when they stopped. Independently of the engine's counters, the pilot
markers in what the engine wrote must stay exactly one second apart across every outage
(:func:`~tests.bench.markers.spacing_report`).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from device.core.listener import PlayoutStats
from device.core.player import Player
from tests.bench.engine_inproc import running_engine
from tests.bench.markers import find_markers_long, spacing_report
from tests.bench.procs import CHILDREN, FFMPEG_PLAY, MPV_PLAY, ExitWatch, command
from tests.support.fault_proxy import FaultProxy, ThreadedFaultProxy

OUTAGES_S = (5.0, 10.0, 20.0)
ROAD_TARGET_MS = 30_000
FULL_DEPTH_MS = 28_000
FILL_TIMEOUT_S = 20.0
RECONNECT_TIMEOUT_S = 45.0
PLAY_ON_S = 11.0
POLL_S = 0.1
PEERS = (("mpv", MPV_PLAY), ("ffmpeg", FFMPEG_PLAY))


async def measure(icecast_port: int, mount: str) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="drivetime-bench-road-") as tmp,
        FaultProxy.run_in_thread("127.0.0.1", icecast_port) as proxy,
    ):
        url = f"http://127.0.0.1:{proxy.port}{mount}"
        capture = Path(tmp) / "heard.raw"
        async with running_engine(
            f"file:{capture}", mode="road", road_target_ms=ROAD_TARGET_MS
        ) as engine:
            player = engine.player
            joined_at = time.monotonic()
            await player.join(url)
            depth_ms = await _wait_for_depth(player, FULL_DEPTH_MS, FILL_TIMEOUT_S)
            fill_s = time.monotonic() - joined_at
            stretched_at_fill_ms = player.stats().stretched_ms
            peers = {name: ExitWatch(CHILDREN.spawn(command(t, url=url))) for name, t in PEERS}
            await asyncio.sleep(2.0)
            first_drop = time.monotonic()
            outages = [await _outage(player, proxy, seconds) for seconds in OUTAGES_S]
            final = player.stats()
        spacing = spacing_report(find_markers_long(capture.read_bytes()))
    return {
        "road_target_ms": ROAD_TARGET_MS,
        "fill": {"depth_ms": depth_ms, "seconds_to_depth": round(fill_s, 2)},
        "outages": outages,
        "stats_at_end": dict(final.__dict__),
        "heard_marker_spacing": spacing,
        # Growth stretches the engine counted while the markers were being heard: the
        # lengthening found in the markers should be exactly this (a missing marker would
        # show up as 1000 ms more; anything else would be audio added that was not growth).
        "stretched_ms_counted": final.stretched_ms - stretched_at_fill_ms,
        "lengthening_not_counted_ms": round(
            spacing["lengthened_total_ms"] - (final.stretched_ms - stretched_at_fill_ms), 1
        ),
        "peers": {name: watch.report(first_drop) for name, watch in peers.items()},
    }


async def _wait_for_depth(player: Player, depth_ms: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while (depth := player.stats().depth_ms) < depth_ms:
        if time.monotonic() > deadline:
            raise TimeoutError(f"road buffer reached only {depth} ms in {timeout_s} s")
        await asyncio.sleep(POLL_S)
    return depth


async def _outage(player: Player, proxy: ThreadedFaultProxy, seconds: float) -> dict:
    before = player.stats()
    counters_before = proxy.counters()
    await asyncio.to_thread(proxy.refuse)
    await asyncio.to_thread(proxy.drop)
    lowest = [before.depth_ms]

    async def watch_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            lowest[0] = min(lowest[0], player.stats().depth_ms)
            await asyncio.sleep(POLL_S)
        return True

    outage_end = time.monotonic() + seconds
    await watch_until(lambda: time.monotonic() >= outage_end, seconds + 1)
    await asyncio.to_thread(proxy.pass_through)
    restored_at = time.monotonic()
    reconnected = await watch_until(
        lambda: proxy.counters().accepted > counters_before.accepted, RECONNECT_TIMEOUT_S
    )
    reconnect_s = time.monotonic() - restored_at
    await asyncio.sleep(1.0)
    depth_after_ms = player.stats().depth_ms
    await asyncio.sleep(max(0.0, PLAY_ON_S - 1.0))
    after = player.stats()
    return {
        "outage_s": seconds,
        "gap_ms": after.gap_ms - before.gap_ms,
        "missed_ms": after.missed_ms - before.missed_ms,
        "skipped_ms": after.skipped_ms - before.skipped_ms,
        "concealed_ms": after.concealed_ms - before.concealed_ms,
        "underruns": after.underruns - before.underruns,
        "depth_before_ms": before.depth_ms,
        "lowest_depth_ms": lowest[0],
        "depth_1s_after_reconnect_ms": depth_after_ms,
        "reconnected": reconnected,
        "reconnect_after_restore_s": round(reconnect_s, 2),
        "refused_attempts": proxy.counters().refused - counters_before.refused,
        "stats_after": _stats(after),
    }


def _stats(stats: PlayoutStats) -> dict[str, int]:
    return dict(stats.__dict__)
