"""Directory spec strings from the config, and reading a directory by its spec."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from device.sources.directory import (
    DirectorySpec,
    DirectorySpecError,
    fetch_directory,
    parse_directory_spec,
)
from tests.sources.directory.fake_server import http_reply, serving
from tests.support import async_test


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("icecast:http://radio.local:8000", "icecast", "http://radio.local:8000"),
        (" ICECAST : http://radio.local:8000/ ", "icecast", "http://radio.local:8000"),
        ("icecast:http://radio.local/ice/status-json.xsl", "icecast", "http://radio.local/ice"),
        ("playlist:http://lists.example/r.pls", "playlist", "http://lists.example/r.pls"),
        ("playlist:/media/usb/radio.m3u", "playlist", "/media/usb/radio.m3u"),
        ("playlist:file:///media/usb/My%20Radio.m3u", "playlist", "/media/usb/My Radio.m3u"),
        ("playlist:~/radio.m3u", "playlist", os.path.expanduser("~/radio.m3u")),
    ],
)
def test_specs_parse_to_a_canonical_form(text: str, kind: str, target: str) -> None:
    spec = parse_directory_spec(text)
    assert spec == DirectorySpec(kind, target)
    assert str(spec) == f"{kind}:{target}"
    assert parse_directory_spec(str(spec)) == spec  # canonical forms are stable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("icecst:http://radio.local:8000", "did you mean icecast:http://radio.local:8000?"),
        ("playlst:/a.m3u", "did you mean playlist:/a.m3u?"),
        ("http://radio.local:8000", "did you mean icecast:http://radio.local:8000?"),
        ("http://lists.example/r.pls", "did you mean playlist:http://lists.example/r.pls?"),
        ("/media/usb/radio.m3u", "no directory kind .*did you mean playlist:/media/usb/radio"),
        ("shoutcast:http://x", "unknown directory kind 'shoutcast'"),
        ("", "empty directory spec"),
        ("icecast:", "needs a base URL"),
        ("playlist:  ", "needs a path or URL"),
        ("icecast:https://radio.example", "https"),
        ("icecast:http://radio.local:99999", "invalid port"),
        ("icecast:radio.local:8000", "must start with http://"),
    ],
)
def test_bad_specs_say_how_to_fix_them(text: str, message: str) -> None:
    with pytest.raises(DirectorySpecError, match=message) as caught:
        parse_directory_spec(text)
    assert isinstance(caught.value, ValueError)


@async_test
async def test_fetch_directory_reads_either_kind_and_tags_entries_with_the_spec(
    tmp_path: Path,
) -> None:
    playlist = tmp_path / "rooms.m3u"
    playlist.write_text("#EXTINF:-1,Jazz\nhttp://radio.example/jazz\n", encoding="utf-8")
    listing = await fetch_directory(f"playlist:{playlist}")
    assert [(e.name, e.source) for e in listing.entries] == [("Jazz", f"playlist:{playlist}")]

    body = {"icestats": {"source": {"listenurl": "http://localhost/a", "server_name": "A"}}}
    async with serving(http_reply(json.dumps(body).encode())) as server:
        spec = parse_directory_spec(f"icecast:{server.url('/')}")
        listing = await fetch_directory(spec)
    assert [(e.url, e.source) for e in listing.entries] == [(server.url("/a"), str(spec))]
