"""Rooms from directory sources: upserts, rooms going off air, browsing by interest."""

from __future__ import annotations

from device.catalog import Catalog, Page, Room, TagCount
from tests.catalog.factories import SOURCE, room, url

OTHER = "icecast:http://other.example:8000"


def _names(page: Page[Room]) -> list[str]:
    return [item.name for item in page.items]


def test_update_rooms_adds_updates_and_retires_only_its_own_source(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a", "Alpha"), room("b", "Beta")], now=1.0)
    catalog.update_rooms(OTHER, [room("c", "Gamma", source=OTHER)], now=1.0)
    catalog.update_rooms(SOURCE, [room("a", "Alpha Two", "now with #jazz", listeners=9)], now=2.0)

    assert sorted(_names(catalog.live_rooms())) == ["Alpha Two", "Gamma"]
    beta = catalog.room(url("b"))
    assert beta is not None and not beta.live  # kept, for history and favorites
    alpha = catalog.room(url("a"))
    assert alpha is not None
    assert (alpha.listeners, alpha.hashtags, alpha.live) == (9, ("jazz",), True)
    assert catalog.search("beta", now=2.0).live_rooms.total == 0
    assert catalog.search("#jazz", now=2.0).live_rooms.total == 1

    catalog.update_rooms(SOURCE, [room("b", "Beta")], now=3.0)  # back on air
    assert sorted(_names(catalog.live_rooms())) == ["Beta", "Gamma"]
    assert catalog.search("beta", now=3.0).live_rooms.total == 1


def test_a_room_listed_twice_keeps_the_last_listing(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a", "First"), room("a", "Second")], now=1.0)
    assert _names(catalog.live_rooms()) == ["Second"]


def test_live_rooms_pages_with_favorites_first_then_listeners(catalog: Catalog) -> None:
    rooms = [room(f"r{n}", f"Room {n}", listeners=n * n * 10) for n in range(1, 8)]
    catalog.update_rooms(SOURCE, rooms, now=1.0)
    catalog.set_favorite(url("r2"), True, at=1.0)

    first = catalog.live_rooms(limit=3)
    second = catalog.live_rooms(limit=3, offset=3)
    assert (first.total, first.offset, second.offset) == (7, 0, 3)
    assert _names(first) == ["Room 2", "Room 7", "Room 6"]
    assert _names(second) == ["Room 5", "Room 4", "Room 3"]
    assert _names(catalog.live_rooms(limit=3, offset=6)) == ["Room 1"]
    assert first.items[0].favorite and not first.items[1].favorite


def test_top_hashtags_and_genres_count_live_rooms(catalog: Catalog) -> None:
    catalog.update_rooms(
        SOURCE,
        [
            room("a", description="#Lo-Fi beats #80s", genres=("Hip Hop", "Jazz")),
            room("b", description="#lofi all night", genres=("hip-hop",)),
            room("c", description="#80s #LoFi", genres=("Jazz",)),
            room("d", description="#gone", genres=("Polka",)),
        ],
        now=1.0,
    )
    catalog.update_rooms(OTHER, [room("e", description="#80s", source=OTHER)], now=1.0)
    catalog.update_rooms(OTHER, [], now=2.0)  # e goes off air: its tags stop counting

    tags = catalog.top_hashtags(limit=2)
    assert tags.total == 3
    assert tags.items == (TagCount("Lo-Fi", "lofi", 3), TagCount("80s", "80s", 2))
    assert catalog.top_hashtags(limit=2, offset=2).items == (TagCount("gone", "gone", 1),)
    genres = catalog.top_genres()
    assert [(g.key, g.live_rooms) for g in genres.items] == [
        ("hip hop", 2),
        ("jazz", 2),
        ("polka", 1),
    ]


def test_a_favorite_unknown_to_every_directory_is_listed_by_url(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a", "Alpha")], now=1.0)
    catalog.set_favorite("http://elsewhere.example/show", True, at=5.0)
    catalog.set_favorite(url("a"), True, at=1.0)
    favorites = catalog.favorites()
    assert [(f.name, f.live, f.favorite) for f in favorites.items] == [
        ("Alpha", True, True),
        ("http://elsewhere.example/show", False, True),
    ]
    catalog.set_favorite(url("a"), False)
    assert catalog.favorites().total == 1
    assert not catalog.live_rooms().items[0].favorite
