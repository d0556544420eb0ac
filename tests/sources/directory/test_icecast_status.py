"""Parsing Icecast's /status-json.xsl with the quirks real servers have (no network here)."""

from __future__ import annotations

import json

import pytest

from device.sources.directory import DirectoryError, parse_icecast_status
from device.sources.directory.icecast import quote_bare_values

BASE = "http://radio.example:8000"


def status(*sources: dict[str, object], single_as_dict: bool = True) -> bytes:
    stats: dict[str, object] = {"admin": "icemaster@localhost", "host": "localhost"}
    if len(sources) == 1 and single_as_dict:
        stats["source"] = sources[0]
    elif sources:
        stats["source"] = list(sources)
    return json.dumps({"icestats": stats}, ensure_ascii=False).encode()


def source(mount: str = "/jazz.opus", **fields: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "listenurl": f"http://localhost:8000{mount}",
        "server_name": "Late Jazz",
        "server_description": "Smoky #jazz",
        "genre": "Jazz",
        "listeners": 2,
        "bitrate": 96,
        "server_type": "application/ogg",
        "subtype": "Opus",
    }
    raw.update(fields)
    return raw


def test_no_source_one_source_and_several() -> None:
    assert parse_icecast_status(status(), BASE).entries == ()
    (one,) = parse_icecast_status(status(source()), BASE).entries
    assert (one.name, one.listeners, one.bitrate_kbps) == ("Late Jazz", 2, 96)
    several = parse_icecast_status(status(source("/a"), source("/b")), BASE).entries
    assert [e.url for e in several] == [f"{BASE}/a", f"{BASE}/b"]


def test_room_url_uses_the_address_we_reached_not_the_configured_hostname() -> None:
    raw = source("/live.opus?x=1", listenurl="http://localhost:8000/live.opus?x=1")
    (entry,) = parse_icecast_status(status(raw), "http://10.0.0.7:8080/").entries
    assert entry.url == "http://10.0.0.7:8080/live.opus?x=1"
    assert entry.source == "icecast:http://10.0.0.7:8080"
    # behind a reverse proxy under a path, and given as the full status URL
    listing = parse_icecast_status(status(raw), "http://example.org/ice/status-json.xsl")
    assert listing.entries[0].url == "http://example.org/ice/live.opus?x=1"


def test_fields_are_mapped() -> None:
    raw = source(genre="Jazz, Blues/Soul", listeners=7, public=0, title="Night Bus")
    (entry,) = parse_icecast_status(status(raw), BASE).entries
    assert entry.genres == ("Jazz", "Blues", "Soul")
    assert entry.media_type == "application/ogg; codecs=opus"
    assert entry.public is False
    assert entry.title == "Night Bus"


def test_numbers_and_booleans_from_the_xslt_come_back_as_text() -> None:
    # Icecast's XSLT writes text that looks like a number as a JSON number.
    body = (
        b'{"icestats":{"source":{"listenurl":"http://localhost:8000/n","server_name":1999,'
        b'"server_description":007,"genre":80,"title":true,"listeners":"3","bitrate":128.0}}}'
    )
    (entry,) = parse_icecast_status(body, BASE).entries
    assert (entry.name, entry.genres, entry.title) == ("1999", ("80",), "true")
    assert (entry.listeners, entry.bitrate_kbps) == (3, 128)


@pytest.mark.parametrize(
    ("fields", "kbps"),
    [
        ({"bitrate": 128}, 128),
        ({"bitrate": None, "ice-bitrate": "64"}, 64),
        ({"bitrate": "Quality 0", "audio_bitrate": 128000}, 128),
        ({"bitrate": None, "audio_info": "ice-samplerate=48000;bitrate=96;ice-channels=2"}, 96),
        ({"bitrate": None}, None),
        ({"bitrate": -5}, None),
    ],
)
def test_bitrate_variants(fields: dict[str, object], kbps: int | None) -> None:
    (entry,) = parse_icecast_status(status(source(**fields)), BASE).entries
    assert entry.bitrate_kbps == kbps


def test_placeholders_and_missing_fields() -> None:
    raw = {"listenurl": "http://localhost:8000/bare.mp3", "server_name": "Unspecified name",
           "server_description": "Unspecified description", "title": " - "}  # fmt: skip
    (entry,) = parse_icecast_status(status(raw), BASE).entries
    assert entry.name == "bare.mp3"
    assert (entry.description, entry.genres, entry.listeners) == ("", (), 0)
    assert (entry.bitrate_kbps, entry.title, entry.public) == (None, "", True)


def test_latin1_source_headers_are_read_as_latin1() -> None:
    body = status(source(server_name="NAME")).replace(b"NAME", "Caf\xe9 Mus\xefk".encode("latin-1"))
    (entry,) = parse_icecast_status(body, BASE).entries
    assert entry.name == "Café Musïk"


def test_utf8_and_hashtags_survive() -> None:
    raw = source(server_description="Türkçe #Müzik #lo-fi #80s ☕", server_name="Morning Café")
    (entry,) = parse_icecast_status(status(raw), BASE).entries
    assert entry.description == "Türkçe #Müzik #lo-fi #80s ☕"


def test_bad_sources_are_skipped_and_reported() -> None:
    body = status(source("/ok"), {"server_name": "no mount"}, "junk", source("/ok"))  # type: ignore[arg-type]
    listing = parse_icecast_status(body, BASE)
    assert [e.url for e in listing.entries] == [f"{BASE}/ok"]
    assert len(listing.problems) == 3
    assert "source #2" in listing.problems[0] and "listed twice" in listing.problems[2]


@pytest.mark.parametrize(
    "broken",
    [
        b'"title": -,',  # Icecast 2.4: a value written bare
        b'"title":.5,',  # number() accepted it, JSON does not
        b'"title":,',  # empty value
        b'"title": Rock, Pop,',  # bare text with a comma
        b'"title":"tab\there",',  # raw control character in a string
    ],
)
def test_invalid_json_from_icecast_is_repaired(broken: bytes) -> None:
    body = (
        b'{"icestats":{"source":[{"listenurl":"http://localhost:8000/a",' + broken
        + b'"server_name":"A","listeners":1},{"listenurl":"http://localhost:8000/b",'
        b'"server_name":"B","listeners":2}]}}'
    )  # fmt: skip
    listing = parse_icecast_status(body, BASE)
    assert [(e.name, e.listeners) for e in listing.entries] == [("A", 1), ("B", 2)]


def test_quote_bare_values_leaves_valid_json_alone() -> None:
    valid = '{"a": [1, -2.5e3, true, null, "x, \\"y\\""], "b": {"c": false}}'
    assert quote_bare_values(valid) == valid
    assert json.loads(quote_bare_values('{"a": -, "b": [x, 1]}')) == {"a": "-", "b": ["x", 1]}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>404 - not found</body></html>", "HTML"),
        (b"", "empty"),
        (b'{"icestats": {"source": [', "invalid JSON"),
        (b"\x00\x01binary", "invalid JSON"),
        (b'{"hello": "world"}', "icestats"),
        (b'{"icestats": {"source": "x"}}', "neither an object nor a list"),
    ],
)
def test_unusable_documents_raise_a_clear_error(body: bytes, reason: str) -> None:
    with pytest.raises(DirectoryError, match=reason) as caught:
        parse_icecast_status(body, BASE)
    assert BASE in str(caught.value)
