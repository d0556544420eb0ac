"""DirectoryEntry: what a directory record must look like before the catalog sees it."""

from __future__ import annotations

import pytest

from device.sources.directory import DirectoryEntry, split_genres


def entry(**overrides: object) -> DirectoryEntry:
    fields: dict[str, object] = {
        "url": "http://radio.example:8000/jazz.opus",
        "name": "Late Jazz",
        "description": "Smoky standards #jazz",
        "genres": ("Jazz",),
        "listeners": 3,
        "bitrate_kbps": 96,
        "public": True,
        "source": "icecast:http://radio.example:8000",
    }
    fields.update(overrides)
    return DirectoryEntry(**fields)  # type: ignore[arg-type]


def test_text_is_normalised_and_unicode_and_hashtags_survive() -> None:
    made = entry(
        url="  http://radio.example/x  ",
        name="  Morning\tCommute \u202eCafe\u0301 ",  # a bidi override, a combining accent
        description="Traffic,\r\n headlines #café #Müzik ☕ 👨\u200d👩\u200d👧",
    )
    assert made.url == "http://radio.example/x"
    assert made.name == "Morning Commute Café"  # NFC: one code point for é
    assert made.description == "Traffic, headlines #café #Müzik ☕ 👨\u200d👩\u200d👧"


def test_long_text_is_capped() -> None:
    made = entry(name="N" * 500, description="d " * 5000)
    assert len(made.name) == 200 and made.name.endswith("…")
    assert len(made.description) <= 2000


def test_genres_are_cleaned_and_deduplicated_case_insensitively() -> None:
    made = entry(genres=(" Jazz ", "jazz", "Blues", "", "unknown", "BLUES", "Lo-Fi"))
    assert made.genres == ("Jazz", "Blues", "Lo-Fi")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"url": "ftp://radio.example/x"}, ValueError),
        ({"url": "radio.example/x"}, ValueError),
        ({"url": "http:///x"}, ValueError),
        ({"url": "http://radio.example:99999/x"}, ValueError),
        ({"url": "http://radio.example/a b"}, ValueError),
        ({"name": " \u200b\t "}, ValueError),
        ({"genres": "Jazz"}, TypeError),  # a bare string would become J, a, z, z
        ({"listeners": -1}, ValueError),
        ({"listeners": "3"}, TypeError),
        ({"listeners": True}, TypeError),
        ({"bitrate_kbps": 0}, ValueError),
        ({"public": 1}, TypeError),
        ({"source": " "}, ValueError),
    ],
)
def test_bad_records_are_refused(overrides: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        entry(**overrides)


def test_https_and_unknown_bitrate_are_fine() -> None:
    made = entry(url="https://radio.example/x", bitrate_kbps=None)
    assert made.url.startswith("https://") and made.bitrate_kbps is None


@pytest.mark.parametrize(
    ("text", "genres"),
    [
        ("Jazz, Blues", ("Jazz", "Blues")),
        ("Rock/Pop;Indie | Folk", ("Rock", "Pop", "Indie", "Folk")),
        ("Rock Pop Alternative", ("Rock", "Pop", "Alternative")),
        ("Hip Hop Jazz", ("Hip Hop", "Jazz")),
        ("Drum and Bass", ("Drum and Bass",)),
        ("Rock & Roll, Blues", ("Rock & Roll", "Blues")),
        ("lo-fi chillhop", ("lo-fi", "chillhop")),
        ("Top 40", ("Top 40",)),
        ("80s, 80s, 90S", ("80s", "90S")),
        ("Müzik, Türkçe Pop", ("Müzik", "Türkçe", "Pop")),
        ("Unspecified", ()),
        ("n/a", ()),
        ("  ", ()),
    ],
)
def test_split_genres(text: str, genres: tuple[str, ...]) -> None:
    assert split_genres(text) == genres
