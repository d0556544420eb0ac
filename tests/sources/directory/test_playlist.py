"""M3U and PLS playlists: both formats, broken entries reported (not raised), local and HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.sources.directory import DirectoryError, load_playlist, parse_playlist
from tests.sources.directory.fake_server import Reply, http_reply, serving
from tests.support import async_test

M3U = """#EXTM3U
#EXTINF:-1,Late Jazz with Mara
http://radio.example:8000/jazz.opus

# a comment, then a line that is not a URL
just some words
#EXTINF:-1 tvg-logo="http://x/logo.png" group-title="News, Talk",Morning Café ☕
http://radio.example:8000/commute.opus
mms://old.example/stream
#EXTINF:120,Orphan title with no URL after it
#EXTINF:-1,Synth Highway
icy://radio.example:8000/synth
http://radio.example:8000/jazz.opus
C:\\Music\\song.mp3
https://secure.example/folk
"""


def test_m3u_entries_titles_and_problems() -> None:
    listing = parse_playlist(M3U.encode(), "http://lists.example/rooms.m3u")
    rooms = [(e.url, e.name, e.genres) for e in listing.entries]
    assert rooms == [
        ("http://radio.example:8000/jazz.opus", "Late Jazz with Mara", ()),
        ("http://radio.example:8000/commute.opus", "Morning Café ☕", ("News", "Talk")),
        ("http://radio.example:8000/synth", "Synth Highway", ()),
        ("https://secure.example/folk", "secure.example/folk", ()),
    ]
    assert listing.source == "playlist:http://lists.example/rooms.m3u"
    assert all(e.source == listing.source and e.public for e in listing.entries)
    problems = "\n".join(listing.problems)
    assert len(listing.problems) == 5, problems
    assert "line 6: 'just some words' skipped: not a URL" in problems
    assert "line 9: 'mms://old.example/stream' skipped: mms: URLs are not supported" in problems
    assert "line 10: #EXTINF without a URL" in problems
    assert "line 13: http://radio.example:8000/jazz.opus skipped: same as line 3" in problems
    assert "line 14: 'C:\\\\Music\\\\song.mp3' skipped: a local file" in problems


def test_relative_entries_resolve_against_the_playlist_url() -> None:
    data = b"stations/jazz.opus\n/root.opus\n//other.example/x.opus\nnested.pls\n"
    listing = parse_playlist(data, "http://lists.example/dir/rooms.m3u")
    assert [e.url for e in listing.entries] == [
        "http://lists.example/dir/stations/jazz.opus",
        "http://lists.example/root.opus",
        "http://other.example/x.opus",
    ]
    assert listing.problems == ("line 4: 'nested.pls' skipped: a playlist inside the playlist "
                                "(not followed)",)  # fmt: skip


def test_local_files_in_a_local_playlist_are_not_rooms(tmp_path: Path) -> None:
    data = b"song.mp3\n/media/usb/other.flac\nhttp://radio.example/live\n"
    listing = parse_playlist(data, str(tmp_path / "mixed.m3u"))
    assert [e.url for e in listing.entries] == ["http://radio.example/live"]
    assert len(listing.problems) == 2 and "local file" in listing.problems[0]


PLS = """[playlist]
NumberOfEntries=5
File1=http://radio.example/one
Title1=Station One
Length1=-1
Title2=Station Two without a file
File3=http://radio.example/three
File3=http://radio.example/three-again
garbage line
File4=not a url at all
File5=relative/five.mp3
Title5=Five
Version=2
"""


def test_pls_entries_and_problems() -> None:
    listing = parse_playlist(PLS.encode(), "http://lists.example/a/rooms.pls")
    assert [(e.url, e.name) for e in listing.entries] == [
        ("http://radio.example/one", "Station One"),
        ("http://radio.example/three", "radio.example/three"),
        ("http://lists.example/a/relative/five.mp3", "Five"),
    ]
    problems = "\n".join(listing.problems)
    assert "line 6: entry 2 has no File2" in problems
    assert "line 8: file3 repeated" in problems
    assert "line 9: 'garbage line' is not KEY=value" in problems
    assert "line 10: 'not a url at all' skipped: not a URL" in problems
    assert "NumberOfEntries says 5, the file has 4" in problems


def test_pls_is_recognised_by_content_and_keys_are_case_insensitive() -> None:
    listing = parse_playlist(b"\xef\xbb\xbf\r\nFILE1=http://a.example/x\r\ntitle1=A\r\n", "x.m3u")
    assert [(e.url, e.name) for e in listing.entries] == [("http://a.example/x", "A")]


def test_encodings_utf8_latin1_per_line_and_utf16() -> None:
    data = "#EXTINF:-1,Café Müzik\nhttp://a.example/1\n".encode()
    data += "#EXTINF:-1,Caf\xe9 Latin\nhttp://a.example/2\n".encode("latin-1")
    listing = parse_playlist(data, "http://lists.example/l.m3u")
    assert [e.name for e in listing.entries] == ["Café Müzik", "Café Latin"]
    assert listing.problems == ("line 3 not UTF-8: read as Latin-1",)
    utf16 = "[playlist]\nFile1=http://a.example/ü\nTitle1=Ümlaut\n".encode("utf-16")
    (entry,) = parse_playlist(utf16, "x.pls").entries
    assert entry.name == "Ümlaut"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"OggS\x00\x02" + bytes(100), "an audio file"),
        (b"ID3\x04" + bytes(100), "an audio file"),
        (b"\x00\x01\x02\x03garbage", "binary data"),
        (b'<?xml version="1.0"?><playlist version="1"/>', "XSPF and ASX"),
        (b"<html><head></head></html>", "XSPF and ASX"),
    ],
)
def test_things_that_are_not_playlists_raise(data: bytes, reason: str) -> None:
    with pytest.raises(DirectoryError, match=reason):
        parse_playlist(data, "http://lists.example/x.m3u")


def test_empty_playlist_is_an_empty_listing() -> None:
    listing = parse_playlist(b"#EXTM3U\n\n", "http://lists.example/x.m3u")
    assert (listing.entries, listing.problems) == ((), ())


@async_test
async def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rooms.pls"
    path.write_bytes(PLS.encode())
    listing = await load_playlist(str(path))
    assert listing.source == f"playlist:{path}"
    assert [e.name for e in listing.entries] == ["Station One", "radio.example/three"]
    with pytest.raises(DirectoryError, match="no such file"):
        await load_playlist(str(tmp_path / "missing.m3u"))
    with pytest.raises(DirectoryError, match="is a folder"):
        await load_playlist(str(tmp_path))


@async_test
async def test_load_over_http_resolves_against_the_final_url() -> None:
    def route(path: str) -> Reply:
        if path == "/old.m3u":
            return Reply(b"HTTP/1.0 301 Moved\r\nLocation: /lists/rooms.m3u\r\n\r\n")
        return http_reply(b"#EXTM3U\njazz.opus\n", "audio/x-mpegurl")

    async with serving(route) as server:
        listing = await load_playlist(server.url("/old.m3u"))
    assert [e.url for e in listing.entries] == [server.url("/lists/jazz.opus")]
    assert listing.source == f"playlist:{server.url('/old.m3u')}"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n", (bytes(5000),), hold=True),
         "an audio stream"),
        (http_reply(b"<html>hi</html>", "text/html"), "a web page"),
        (http_reply(b"gone", "text/plain", "404 Not Found"), "HTTP 404"),
    ],
)  # fmt: skip
@async_test
async def test_http_playlists_that_are_not_playlists(reply: Reply, reason: str) -> None:
    async with serving(reply) as server:
        with pytest.raises(DirectoryError, match=reason):
            await load_playlist(server.url("/x.m3u"), timeout_s=2.0)
