"""A live room source as a listener hears it: Ogg Opus headers, chained songs, real time."""

from __future__ import annotations

import subprocess
import time

import pytest

from device.audio.ogg import OggPageReader
from device.audio.opus_stream import OpusStreamReader, StreamStarted
from device.audio.packets import AudioPacket
from studio import pilot
from studio.chain import write_file
from studio.room_source import RoomSource
from studio.rooms import DEMO_ROOMS
from tests.support.fault_proxy import FaultProxy
from tests.support.icecast_fixture import MountListener

pytestmark = pytest.mark.icecast


def _started_links(data: bytes) -> list[StreamStarted]:
    return [e for e in OpusStreamReader().feed(data) if isinstance(e, StreamStarted)]


def test_listener_gets_opus_head_first_then_audio_pages(room_source) -> None:
    source = room_source()
    with MountListener(source.mount_url) as listener:
        assert listener.status == 200 and "application/ogg" in listener.headers
        data = listener.read_for(0.5)
    pages = OggPageReader().feed(data)
    assert pages[0].bos and pages[0].body.startswith(b"OpusHead")
    assert pages[1].body.startswith(b"OpusTags")
    assert len(pages) > 10


def test_songs_are_chained_links_with_their_own_tags(room_source) -> None:
    room = DEMO_ROOMS[1]
    source = room_source(room, song_s=1.0)
    with MountListener(source.mount_url) as listener:
        links = _started_links(listener.read_for(2.3))
    assert len(links) >= 2
    titles = [link.info.tags["TITLE"] for link in links]
    assert len(set(titles)) >= 2
    assert set(titles) <= {song.title for song in room.playlist}
    assert len({link.info.serial for link in links}) == len(links)
    tags = links[-1].info.tags
    assert tags["ARTIST"] and tags["ALBUM"] and tags["DRIVETIME_ROOM"] == room.name
    # The source's wall clock for the link's first sample: a listener can compute its lag.
    t0_s = int(tags["DRIVETIME_SOURCE_T0_NS"]) / 1e9
    assert time.time() - 5 < t0_s <= time.time()


def test_source_and_listener_see_audio_at_real_time_pace(room_source) -> None:
    source = room_source(song_s=10.0)
    with MountListener(source.mount_url) as listener:
        reader = OpusStreamReader()
        reader.feed(listener.read_for(0.3))  # headers and the burst of already-sent audio
        sent_bytes, sent_audio_s, started = source.bytes_sent, source.audio_sent_s, time.monotonic()
        # The behaviour under test is what arrives over two seconds of wall-clock time.
        heard = [e for e in reader.feed(listener.read_for(2.0)) if isinstance(e, AudioPacket)]
        elapsed = time.monotonic() - started
    assert sum(p.samples for p in heard) / 48_000 == pytest.approx(elapsed, abs=0.3)
    assert source.audio_sent_s - sent_audio_s == pytest.approx(elapsed, abs=0.3)
    # ~96 kb/s plus Ogg framing: the bytes follow the audio, no burst, no stall.
    assert 20_000 < source.bytes_sent - sent_bytes < 35_000


def test_restarted_source_takes_over_the_same_mount(icecast, room_source) -> None:
    first = room_source(DEMO_ROOMS[0])
    first.stop()
    assert first.error is None
    second = RoomSource(first.mount_url, icecast.source_password, DEMO_ROOMS[2], song_s=1.0)
    with second:
        icecast.wait_for_mounts(first.room.mount)
        with MountListener(first.mount_url) as listener:
            links = _started_links(listener.read_for(0.5))
    assert links[0].info.tags["DRIVETIME_ROOM"] == DEMO_ROOMS[2].name


def test_source_reconnects_after_the_connection_drops(icecast) -> None:
    with FaultProxy.run_in_thread("127.0.0.1", icecast.port) as proxy:
        url = f"http://127.0.0.1:{proxy.port}/reconnecting.opus"
        with RoomSource(url, icecast.source_password, DEMO_ROOMS[3], song_s=5.0) as source:
            icecast.wait_for_mounts("/reconnecting.opus")
            proxy.drop()
            deadline = time.monotonic() + 5
            while source.connections < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert source.connections == 2 and source.error is None
            icecast.wait_for_mounts("/reconnecting.opus")
            with MountListener(icecast.mount_url("/reconnecting.opus")) as listener:
                links = _started_links(listener.read_for(0.3))
    # After the reconnect the stream restarts with fresh headers, mid-song.
    assert links and links[0].info.serial == source.links[-1][0]
    assert len(source.links) == 2


def test_write_file_renders_the_programme_sample_exact(tmp_path) -> None:
    path = tmp_path / "room.opus"
    links = write_file(path, DEMO_ROOMS[0], 3.0, song_s=1.0)
    assert [song.title for _, song in links] == [s.title for s in DEMO_ROOMS[0].playlist[:3]]
    assert [e.info.tags["TITLE"] for e in _started_links(path.read_bytes())] == [
        song.title for _, song in links
    ]
    raw = tmp_path / "room.raw"
    subprocess.run(
        ["opusdec", "--quiet", "--no-dither", "--rate", "48000", str(path), str(raw)], check=True
    )
    pcm = raw.read_bytes()
    assert len(pcm) == 3 * 48_000 * 4  # padding and end trimming leave exactly the programme
    assert pilot.find_markers(pcm) == pytest.approx([0, 48_000, 96_000], abs=2)
    assert pilot.dominant_frequency(pcm) == pytest.approx(DEMO_ROOMS[0].signature_hz, abs=2)
