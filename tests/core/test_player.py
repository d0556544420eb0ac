"""The player's state machine and its resilience, with real outputs and a real Icecast."""

from __future__ import annotations

import asyncio

import pytest

from device.audio.outputs import open_output
from device.audio.packets import AudioPacket, StreamInfo
from device.audio.playout import PlayoutItem, PullKind
from device.audio.renderer import Renderer
from device.core.lag import LagMeter
from device.core.listener import PlayerListener
from device.core.player import Player
from device.frontends.control_socket import ControlServer, EngineAlreadyRunning
from studio.chain import write_file
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import Recorder
from tests.support.fault_proxy import FaultProxy


async def _player(output: str = "null") -> tuple[Player, Recorder]:
    player = Player(open_output(output))
    recorder = Recorder()
    player.add_listener(recorder)
    await player.start()
    return player, recorder


@pytest.mark.icecast
def test_a_refused_join_leaves_the_room_playing(room_source):
    source = room_source(DEMO_ROOMS[0])

    async def scenario():
        player, recorder = await _player()
        try:
            await player.join(source.mount_url)
            await recorder.wait_for_state("playing")
            with pytest.raises(ValueError, match="https"):
                await player.join("https://example.com/room")
            await asyncio.sleep(0.3)
            return player.snapshot()
        finally:
            await player.close()

    snapshot = asyncio.run(scenario())
    assert (snapshot.state, snapshot.room) == ("playing", source.mount_url)


@pytest.mark.icecast
def test_pause_while_connecting_stays_paused_until_resumed(room_source):
    source = room_source(DEMO_ROOMS[1])

    async def scenario():
        player, recorder = await _player()
        try:
            await player.join(source.mount_url)
            player.pause()  # before the first byte arrives
            await asyncio.sleep(1.0)  # the stream connects and streams meanwhile
            paused = player.snapshot().state
            player.resume()
            await recorder.wait_for_state("playing")
            return paused, recorder.state_names
        finally:
            await player.close()

    paused, states = asyncio.run(scenario())
    assert paused == "paused"
    assert states[-1] == "playing"


@pytest.mark.icecast
def test_a_dry_buffer_shows_as_buffering_and_recovers(icecast, room_source):
    source = room_source(DEMO_ROOMS[2])

    async def scenario():
        proxy = FaultProxy("127.0.0.1", icecast.port)
        await proxy.start()
        player, recorder = await _player()
        try:
            await player.join(f"http://127.0.0.1:{proxy.port}{source.room.mount}")
            await recorder.wait_for_state("playing")
            proxy.stall()
            await recorder.wait_for_state("buffering", timeout_s=2)
            proxy.resume()
            await recorder.wait_for_state("playing", timeout_s=3)
        finally:
            await player.close()
            await proxy.stop()

    asyncio.run(scenario())


def test_an_output_that_fails_is_an_error_state_not_silence(tmp_path):
    song = tmp_path / "song.opus"
    write_file(song, DEMO_ROOMS[0], 3.0, song_s=1.0)

    async def scenario():
        player = Player(open_output("file:/dev/full"))
        recorder = Recorder()
        ended = asyncio.Event()

        class EndListener(PlayerListener):
            def on_ended(self) -> None:
                ended.set()

        player.add_listener(recorder)
        player.add_listener(EndListener())
        await player.play_file(song)
        await player.start(paced=False)
        try:
            await asyncio.wait_for(ended.wait(), 5)
            return player.snapshot()
        finally:
            await player.close()

    snapshot = asyncio.run(scenario())
    assert snapshot.state == "error"
    assert "audio output failed" in snapshot.detail
    assert "No space left" in snapshot.detail


def test_a_listener_that_raises_does_not_silence_the_others(tmp_path):
    song = tmp_path / "song.opus"
    write_file(song, DEMO_ROOMS[0], 2.5, song_s=1.0)

    class Broken(PlayerListener):
        def on_now_playing(self, artist, title, album):
            raise BrokenPipeError("a watcher went away")

        def on_state(self, snapshot):
            raise RuntimeError("bug in a frontend")

    async def scenario():
        player = Player(open_output(f"file:{tmp_path / 'out.raw'}"))
        player.add_listener(Broken())
        recorder = Recorder()
        player.add_listener(recorder)
        await player.play_file(song)
        await player.start(paced=False)
        try:
            await recorder.wait_for_state("idle", timeout_s=5)
            return recorder
        finally:
            await player.close()

    recorder = asyncio.run(scenario())
    assert [title for _, _, title, _ in recorder.now_playing][:2] == [
        song.title for song in DEMO_ROOMS[0].playlist[:2]
    ]


def test_a_source_clock_that_lies_gives_unknown_lag_not_nonsense():
    meter = LagMeter()
    info = StreamInfo(serial=7, channels=2, pre_skip=312, tags={"DRIVETIME_SOURCE_T0_NS": "1"})
    meter.stream_started(info)
    meter.packet_played(AudioPacket(info, b"\xfc", granule_end=1272, samples=960))
    assert meter.lag_ms == -1


class _ScriptedFeed:
    def __init__(self, items):
        self.items = list(items)

    def pull(self):
        return self.items.pop(0) if self.items else None

    def wants_growth(self):
        return False

    def note_stretch(self, samples):
        pass


def test_holes_of_any_size_render_without_errors():
    # Concealment runs in 2.5 ms steps in libopus; a 41-sample hole must still render.
    feed = _ScriptedFeed(
        [
            PlayoutItem(PullKind.CONCEAL, 41),
            PlayoutItem(PullKind.CONCEAL, 960),
            PlayoutItem(PullKind.SILENCE, 7),
        ]
    )
    renderer = Renderer(feed)
    block = memoryview(bytearray(1008 * 4))
    assert renderer.fill(block) == 1008
    assert renderer.fill(block) == 0
    assert renderer.render_errors == 0


def test_a_second_engine_does_not_steal_the_control_socket(tmp_path):
    async def scenario():
        player, _ = await _player()
        path = tmp_path / "engine.sock"
        first = ControlServer(player, path)
        await first.start()
        try:
            with pytest.raises(EngineAlreadyRunning):
                await ControlServer(player, path).start()
            return path.exists()
        finally:
            await first.close()
            await player.close()

    assert asyncio.run(scenario())
