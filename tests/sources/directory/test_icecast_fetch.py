"""fetch_icecast against a real Icecast on loopback, and against scripted misbehaving servers."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from device.sources.directory import DirectoryEntry, DirectoryError, fetch_icecast
from studio.icecast import Icecast
from studio.room_source import RoomSource
from studio.rooms import DEMO_ROOMS
from tests.sources.directory.fake_server import Reply, http_reply, serving
from tests.support import FaultProxy, async_test
from tests.support.icecast_fixture import MountListener, RoomSourceFactory

pytestmark = pytest.mark.icecast


def rooms_by_url(base_url: str) -> dict[str, DirectoryEntry]:
    return {entry.url: entry for entry in asyncio.run(fetch_icecast(base_url))}


def wait_for_listeners(base_url: str, url: str, count: int, timeout_s: float = 5.0) -> int:
    """Poll the directory until the room shows ``count`` listeners (Icecast counts async)."""
    deadline = time.monotonic() + timeout_s
    while (seen := rooms_by_url(base_url)[url].listeners) != count:
        if time.monotonic() > deadline:
            return seen
        time.sleep(0.02)
    return seen


def test_several_rooms_come_back_as_the_studio_describes_them(
    icecast: Icecast, room_source: RoomSourceFactory
) -> None:
    sources = [room_source(room) for room in DEMO_ROOMS]
    rooms = rooms_by_url(icecast.base_url)
    for source in sources:
        entry = rooms[source.mount_url]
        spec = source.room
        assert entry.name == spec.name
        assert entry.description == spec.description  # UTF-8, ☕ and #café intact
        assert [w for w in entry.description.split() if w.startswith("#")] == spec.hashtags
        assert entry.genres == (spec.genre,)
        assert entry.bitrate_kbps == source.bitrate // 1000
        assert entry.media_type == "application/ogg; codecs=opus"
        assert entry.source == f"icecast:{icecast.base_url}"
        assert entry.listeners == 0


def test_listener_count_follows_listeners(icecast: Icecast, room_source: RoomSourceFactory) -> None:
    url = room_source(DEMO_ROOMS[1]).mount_url
    with MountListener(url), MountListener(url):
        assert wait_for_listeners(icecast.base_url, url, 2) == 2
    assert wait_for_listeners(icecast.base_url, url, 0) == 0


def test_single_source_server_and_empty_server() -> None:
    """A server with one source writes it as an object; with none, leaves the key out."""
    with Icecast() as server:
        assert asyncio.run(fetch_icecast(server.base_url)) == []
        with RoomSource(server.mount_url("/solo.opus"), server.source_password, DEMO_ROOMS[3],
                        song_s=1.0):  # fmt: skip
            server.wait_for_mounts("/solo.opus")
            raw = urllib.request.urlopen(server.base_url + "/status-json.xsl", timeout=2).read()
            assert isinstance(json.loads(raw)["icestats"]["source"], dict)  # the quirk is real
            (entry,) = asyncio.run(fetch_icecast(server.base_url + "/"))
    assert (entry.url, entry.name) == (server.mount_url("/solo.opus"), "Folk Roads")


@async_test
async def test_room_urls_point_where_we_reached_the_server(
    icecast: Icecast, room_source: RoomSourceFactory
) -> None:
    """Reached through another address (NAT, a proxy), rooms must use that address too."""
    source = room_source(DEMO_ROOMS[2])
    proxy = FaultProxy(icecast.host, icecast.port)
    await proxy.start()
    try:
        entries = await fetch_icecast(f"http://localhost:{proxy.port}")
    finally:
        await proxy.stop()
    mount = source.mount_url.removeprefix(icecast.base_url)
    assert f"http://localhost:{proxy.port}{mount}" in {entry.url for entry in entries}


def status_body(*mounts: str) -> bytes:
    sources = [{"listenurl": f"http://localhost:8000{m}", "server_name": m} for m in mounts]
    listed = sources[0] if len(sources) == 1 else sources
    return json.dumps({"icestats": {"source": listed}}).encode()


@async_test
async def test_fetch_asks_for_the_status_document() -> None:
    async with serving(http_reply(status_body("/one"))) as server:
        (entry,) = await fetch_icecast(server.url("/"))
    assert server.paths == ["/status-json.xsl"]
    assert entry.url == server.url("/one")


@async_test
async def test_chunked_and_redirected_answers_are_read() -> None:
    body = status_body("/a", "/b")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
    chunked += b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n"

    def route(path: str) -> Reply:
        if path == "/old/status-json.xsl":
            return Reply(b"HTTP/1.1 302 Found\r\nLocation: /new/status-json.xsl\r\n\r\n")
        return Reply(head, (chunked,))

    async with serving(route) as server:
        entries = await fetch_icecast(server.url("/old"))
    assert [entry.name for entry in entries] == ["/a", "/b"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (http_reply(b"<html>Error 404</html>", "text/html", "404 File Not Found"), "HTTP 404"),
        (http_reply(b"<html><body>Welcome</body></html>", "text/html"), "HTML page"),
        (http_reply(b"<html>sneaky</html>", "application/json"), "HTML/XML page"),
        (http_reply(b'{"icestats": {"source": [{"listenurl": '), "invalid JSON"),
        (Reply(b"SSH-2.0-OpenSSH_9.2\r\n"), "not a valid HTTP answer"),
        (Reply(b"HTTP/1.0 200 OK\r\nContent-Length: 999\r\n\r\n", (b'{"ice',)), "invalid JSON"),
    ],
)
@async_test
async def test_broken_servers_give_a_clear_error(reply: Reply, reason: str) -> None:
    async with serving(reply) as server:
        with pytest.raises(DirectoryError, match=reason) as caught:
            await fetch_icecast(server.url())
    assert server.url() in str(caught.value)


@async_test
async def test_a_stalled_server_times_out() -> None:
    never_answers = Reply()
    trickles = Reply(
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n",
        (b'{"icestats":', b"{"),
        gap_s=0.05,
        hold=True,
    )
    for reply in (never_answers, trickles):
        async with serving(reply) as server:
            with pytest.raises(DirectoryError, match=r"no complete answer within 0\.3 s"):
                await fetch_icecast(server.url(), timeout_s=0.3)


@async_test
async def test_nobody_listening_is_a_clear_error() -> None:
    async with serving(Reply()) as server:
        url = server.url()
    with pytest.raises(DirectoryError, match="cannot connect"):
        await fetch_icecast(url)
