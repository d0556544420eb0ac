"""The private Icecast: starts on loopback, lists rooms, enforces sources, bursts as set."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from studio.icecast import Icecast, IcecastError, MountSettings
from studio.room_source import MountBusyError, RoomSource, SourceAuthError
from studio.rooms import DEMO_ROOMS
from tests.support.icecast_fixture import MountListener

pytestmark = pytest.mark.icecast


def test_directory_lists_rooms_with_utf8_descriptions_and_genres(icecast, room_source) -> None:
    sources = {room.name: room_source(room) for room in DEMO_ROOMS[:3]}
    listed = icecast.sources()
    for source in sources.values():
        mount = source.room.mount
        assert listed[mount]["server_name"] == source.room.name
        assert listed[mount]["server_description"] == source.room.description
        assert listed[mount]["genre"] == source.room.genre
        assert listed[mount]["listenurl"].endswith(mount)
    descriptions = " ".join(entry["server_description"] for entry in listed.values())
    assert "#jazz" in descriptions and "#café ☕" in descriptions


def test_status_lists_a_single_source_as_a_list() -> None:
    # Icecast writes one source as an object, several as a list: status() hides the quirk.
    with Icecast() as server:
        assert server.status()["icestats"]["source"] == []
        source = RoomSource(
            server.mount_url("/only.opus"), server.source_password, DEMO_ROOMS[0], song_s=1.0
        )
        with source:
            server.wait_for_mounts("/only.opus")
            assert [s["server_name"] for s in server.status()["icestats"]["source"]] == [
                DEMO_ROOMS[0].name
            ]


def test_bad_password_is_a_clear_error(icecast) -> None:
    source = RoomSource(icecast.mount_url("/bad-password.opus"), "wrong", DEMO_ROOMS[0], song_s=1.0)
    with pytest.raises(SourceAuthError, match=r"password.*/bad-password.opus.*401"):
        source.start()
    assert "/bad-password.opus" not in icecast.sources()


def test_second_source_on_a_busy_mount_is_a_clear_error(icecast, room_source) -> None:
    first = room_source()
    second = RoomSource(first.mount_url, icecast.source_password, DEMO_ROOMS[1], song_s=1.0)
    with pytest.raises(MountBusyError, match=r"403.*already has a source"):
        second.start()
    assert icecast.sources()[first.room.mount]["server_name"] == first.room.name


def test_port_in_use_fails_with_the_error_log(icecast) -> None:
    with pytest.raises(IcecastError, match=r"(?s)exited.*error.log.*"):
        Icecast(port=icecast.port, start_timeout_s=3).start()
    assert icecast.status()  # the running server is untouched


def test_stop_frees_the_port_and_the_server_is_gone() -> None:
    server = Icecast().start()
    url = server.base_url + "/status-json.xsl"
    assert urllib.request.urlopen(url, timeout=2).status == 200
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_burst_size_decides_how_much_a_new_listener_gets_at_once() -> None:
    mounts = {"/no-burst.opus": MountSettings(burst_size_bytes=0)}
    with Icecast(burst_size_bytes=65_536, mounts=mounts) as server:
        sources = [
            RoomSource(
                server.mount_url(m), server.source_password, DEMO_ROOMS[0], song_s=2.0
            ).start()
            for m in ("/no-burst.opus", "/big-burst.opus")
        ]
        try:
            server.wait_for_mounts("/no-burst.opus", "/big-burst.opus")
            # 1.5 s of audio at ~12 kB/s is ~18 kB: all of it fits a 64 kB burst.
            time.sleep(1.5)  # let audio accumulate on the server
            received = {}
            for mount in ("/no-burst.opus", "/big-burst.opus"):
                with MountListener(server.mount_url(mount)) as listener:
                    received[mount] = len(listener.read_for(0.15))
        finally:
            for source in sources:
                source.stop()
    assert received["/big-burst.opus"] > 15_000
    assert received["/no-burst.opus"] < 8_000  # headers plus ~150 ms of live pages


def test_config_refuses_a_burst_bigger_than_the_queue() -> None:
    with pytest.raises(ValueError, match="queue"):
        Icecast(burst_size_bytes=10_000, queue_size_bytes=5_000)
    with pytest.raises(ValueError, match="mount"):
        Icecast(mounts={"no-slash": MountSettings()})
