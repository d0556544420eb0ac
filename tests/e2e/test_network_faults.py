"""Network faults between Icecast and the engine, through a loopback fault proxy.

What a driver would notice is checked: whether audio keeps coming (the `playing` state and
the playout counters), how far behind live it is afterwards, and what the source chained.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from studio import pilot
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import start_engine
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.icecast


async def _through_proxy(icecast, source, tmp_path, output="null", **sections):
    proxy = FaultProxy("127.0.0.1", icecast.port)
    await proxy.start()
    mount = source.room.mount
    engine, recorder = await start_engine(tmp_path, output, **sections)
    await engine.player.join(f"http://127.0.0.1:{proxy.port}{mount}")
    await recorder.wait_for_state("playing")
    return proxy, engine, recorder


async def _settle(seconds: float) -> None:
    await asyncio.sleep(seconds)


def test_live_mode_skips_the_stale_backlog_after_a_stall(tmp_path, icecast, room_source):
    source = room_source(DEMO_ROOMS[0], song_s=2.0)

    async def scenario():
        proxy, engine, recorder = await _through_proxy(
            icecast, source, tmp_path, network={"stall_timeout_s": 5.0}
        )
        try:
            await _settle(1.5)
            before = engine.player.stats()
            proxy.stall()  # Icecast keeps sending into the stalled connection
            await asyncio.sleep(2.5)
            proxy.resume()  # ... and the held 2.5 s arrive at once: stale backlog
            await _settle(1.5)
            return before, engine.player.stats(), recorder
        finally:
            await engine.close()
            await proxy.stop()

    before, after, recorder = asyncio.run(scenario())
    assert after.underruns > before.underruns  # the 120 ms buffer ran dry during the stall
    assert after.skipped_ms - before.skipped_ms >= 1500  # the backlog was skipped ...
    assert 0 < after.lag_ms < 700  # ... so the driver hears live again, not 2.5 s behind
    assert recorder.states[-1].state == "playing"


@pytest.mark.parametrize("fault", ["drop", "reset"])
def test_a_broken_connection_reconnects_and_plays_on(tmp_path, icecast, room_source, fault):
    source = room_source(DEMO_ROOMS[1], song_s=2.0)

    async def scenario():
        proxy, engine, recorder = await _through_proxy(icecast, source, tmp_path)
        try:
            await _settle(1.0)
            getattr(proxy, fault)()
            await recorder.wait_for_state("reconnecting", timeout_s=3)
            await recorder.wait_for_state("playing", timeout_s=5)
            await _settle(1.0)
            return engine.player.stats(), recorder, proxy.counters()
        finally:
            await engine.close()
            await proxy.stop()

    stats, recorder, counters = asyncio.run(scenario())
    assert counters.accepted >= 2
    assert "reconnecting" in recorder.state_names
    assert recorder.states[-1].state == "playing"
    assert 0 < stats.lag_ms < 700


def test_a_slow_link_underruns_then_recovers(tmp_path, icecast, room_source):
    source = room_source(DEMO_ROOMS[2], song_s=2.0)

    async def scenario():
        proxy, engine, recorder = await _through_proxy(icecast, source, tmp_path)
        try:
            await _settle(1.0)
            before = engine.player.stats()
            proxy.slow(4_000)  # a third of the room's ~12 KB/s
            await asyncio.sleep(2.5)
            during = engine.player.stats()
            proxy.pass_through()
            await _settle(2.0)
            return before, during, engine.player.stats()
        finally:
            await engine.close()
            await proxy.stop()

    before, during, after = asyncio.run(scenario())
    assert during.underruns > before.underruns
    assert during.gap_ms > before.gap_ms
    assert 0 < after.lag_ms < 700  # caught up with live once the link recovered


def test_road_mode_bridges_an_outage_with_no_audible_gap(tmp_path, icecast, room_source):
    source = room_source(DEMO_ROOMS[3], song_s=2.0)
    time.sleep(4.0)  # Icecast holds a few seconds that it bursts to a new listener
    heard = tmp_path / "heard.raw"

    async def scenario():
        proxy, engine, recorder = await _through_proxy(
            icecast,
            source,
            tmp_path,
            f"file:{heard}",
            audio={"mode": "road"},
            road={"grow": False},  # growth stretches quiet frames, which moves markers
        )
        try:
            await _settle(1.0)
            before = engine.player.stats()
            proxy.refuse()  # a tunnel: nothing gets through, new connections fail too
            proxy.drop()
            await asyncio.sleep(2.0)
            proxy.pass_through()
            await recorder.wait_for_state("playing", timeout_s=5)
            await _settle(2.0)
            return before, engine.player.stats(), recorder
        finally:
            await engine.close()
            await proxy.stop()

    before, after, recorder = asyncio.run(scenario())
    assert before.depth_ms > 3000
    assert after.gap_ms == before.gap_ms == 0  # the buffer bridged the whole outage
    assert after.skipped_ms == 0
    assert "reconnecting" in recorder.state_names
    # On reconnect the server's burst covered the outage; splicing by granule dropped what was
    # already buffered, so the programme plays on exactly: one marker per second of source,
    # nothing repeated, nothing missed.
    assert after.missed_ms == 0
    markers = pilot.find_markers(heard.read_bytes())
    assert len(markers) >= 5
    assert [b - a for a, b in itertools.pairwise(markers)] == [48_000] * (len(markers) - 1)


def test_a_source_restart_is_followed_by_the_new_stream(tmp_path, icecast, room_source):
    room = DEMO_ROOMS[0]
    source = room_source(room, song_s=2.0)

    async def scenario():
        proxy, engine, recorder = await _through_proxy(icecast, source, tmp_path)
        try:
            await _settle(1.0)
            source.stop()  # the host's encoder restarts: listeners get EOF
            await asyncio.sleep(0.3)
            restarted = room_source(source.room, mount=source.room.mount, song_s=2.0)
            await recorder.wait_for_state("reconnecting", timeout_s=3)
            await recorder.wait_for_state("playing", timeout_s=8)
            await _settle(1.5)
            return restarted, engine.player.stats(), recorder
        finally:
            await engine.close()
            await proxy.stop()

    restarted, stats, recorder = asyncio.run(scenario())
    new_titles = {song.title for _, song in restarted.links}
    assert recorder.now_playing[-1][2] in new_titles
    assert 0 < stats.lag_ms < 700
