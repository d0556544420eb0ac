"""Songs heard in rooms: now playing, repeats, "who played it lately", bounded history."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.catalog import Catalog, HistoryLimits, Song
from tests.catalog.factories import SOURCE, room, url

HOUR_S = 3600.0


def test_now_playing_is_the_last_song_and_repeats_are_not_new_plays(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a")], now=0.0)
    assert catalog.now_playing(url("a")) is None
    assert catalog.record_song(url("a"), "Daft Punk", "Around the World", "Homework", 10.0, "peek")
    # the same song again, by the next peek and then in-band, in other spellings
    assert not catalog.record_song(
        url("a"), "Daft Punk", "Around the World", "Homework", 70.0, "peek"
    )
    assert not catalog.record_song(
        url("a"), "DAFT PUNK", "around the world", "homework", 80.0, "inband"
    )
    assert catalog.now_playing(url("a")) == Song(
        "Daft Punk", "Around the World", "Homework", 10.0, "peek"
    )
    assert catalog.record_song(url("a"), "Beyoncé", "Halo", "", 300.0, "inband")
    assert catalog.now_playing(url("a")) == Song("Beyoncé", "Halo", "", 300.0, "inband")
    # the first song again, after another one: a new play
    assert catalog.record_song(url("a"), "Daft Punk", "Around the World", "Homework", 600.0, "peek")
    assert catalog.rooms_that_played("daft punk", since=0.0).items[0].song.at == 600.0  # type: ignore[union-attr]
    assert catalog.rooms_that_played("halo", since=0.0).total == 1


def test_an_untagged_song_clears_now_playing(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a")], now=0.0)
    catalog.record_song(url("a"), "Daft Punk", "Da Funk", "", 10.0, "inband")
    assert not catalog.record_song(url("a"), "", "  ", "Album only", 20.0, "inband")
    assert catalog.now_playing(url("a")) is None
    assert catalog.search("da funk", now=30.0).live_rooms.total == 0  # not playing it now
    assert catalog.search("da funk", now=30.0).recent_rooms.total == 1  # but played it


def test_songs_heard_in_a_room_no_directory_lists(catalog: Catalog) -> None:
    catalog.record_song("http://typed.example/show", "Björk", "Jóga", "Homogenic", 5.0, "inband")
    assert catalog.now_playing("http://typed.example/show") is not None
    room = catalog.room("http://typed.example/show")
    assert room is not None and not room.live and room.name == "http://typed.example/show"


def test_rooms_that_played_an_artist_in_the_last_hour(catalog: Catalog) -> None:
    now = 10 * HOUR_S
    catalog.update_rooms(SOURCE, [room("a"), room("b"), room("c"), room("d")], now=now)
    catalog.record_song(url("a"), "Daft Punk", "One More Time", "", now - 0.5 * HOUR_S, "peek")
    catalog.record_song(url("a"), "Madonna", "Vogue", "", now - 0.4 * HOUR_S, "peek")
    catalog.record_song(url("b"), "Daft Punk", "Digital Love", "", now - 2 * HOUR_S, "peek")
    catalog.record_song(url("c"), "Daft Punkish", "Tribute", "", now - 0.1 * HOUR_S, "peek")
    catalog.record_song(url("d"), "Madonna", "Daft Title", "", now - 0.2 * HOUR_S, "peek")

    found = catalog.rooms_that_played("artist:daft punk", since=now - HOUR_S)
    assert [(hit.room.url, hit.song.title) for hit in found.items] == [  # type: ignore[union-attr]
        (url("c"), "Tribute"),  # punk* is a prefix while typing: Punkish matches
        (url("a"), "One More Time"),
    ]
    assert catalog.rooms_that_played("artist:daft punk ", since=now - HOUR_S).total == 1
    assert catalog.rooms_that_played("daft ", since=now - 3 * HOUR_S).total == 4  # d by title


def test_history_is_bounded_by_age_and_count(tmp_path: Path) -> None:
    limits = HistoryLimits(keep_s=HOUR_S, plays_per_room=3, room_keep_s=2 * HOUR_S)
    with Catalog(tmp_path / "catalog.db", limits=limits) as catalog:
        catalog.update_rooms(SOURCE, [room("a"), room("b")], now=0.0)
        for number in range(5):
            catalog.record_song(url("a"), "Artist", f"Song {number}", "", 60.0 * number, "peek")
        assert catalog.rooms_that_played("song", since=0.0).total == 1
        assert [catalog.rooms_that_played(f"song {n} ", since=0.0).total for n in range(5)] == [
            0, 0, 1, 1, 1,  # only the last three plays are kept
        ]  # fmt: skip
        catalog.set_favorite(url("b"), True, at=0.0)
        catalog.update_rooms(SOURCE, [], now=0.5 * HOUR_S)  # both go off air

        catalog.prune(now=HOUR_S + 150.0)  # the play at 120 s is over an hour old now
        assert [catalog.rooms_that_played(f"song {n} ", since=0.0).total for n in range(5)] == [
            0, 0, 0, 1, 1,
        ]  # fmt: skip
        catalog.prune(now=2 * HOUR_S)
        assert catalog.rooms_that_played("song", since=0.0).total == 0
        assert catalog.now_playing(url("a")) is None
        assert catalog.search("artist", now=2 * HOUR_S).live_rooms.total == 0

        catalog.prune(now=3 * HOUR_S)  # a off air for 2.5 h: forgotten; b is a favorite
        assert catalog.room(url("a")) is None
        assert catalog.room(url("b")) is not None


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("", "A", "T", "", 1.0, "peek"), ValueError, "room_url"),
        (("http://x/", "A", "T", "", 1.0, "ear"), ValueError, "peek or inband"),
        (("http://x/", "A", "T", "", float("nan"), "peek"), ValueError, "finite"),
        (("http://x/", None, "T", "", 1.0, "peek"), TypeError, "artist"),
    ],
)
def test_record_song_refuses_bad_input(
    catalog: Catalog, args: tuple, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        catalog.record_song(*args)
