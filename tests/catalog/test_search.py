"""Search as the driver uses it: one box, three ranked groups, every keystroke."""

from __future__ import annotations

import pytest

from device.catalog import Catalog
from tests.catalog.factories import SOURCE, room, track, url

NOW = 100_000.0
SIMARIK = "Ş\u0131mar\u0131k"  # Turkish dotless i


def _live(catalog: Catalog, query: str, **page: int) -> list[tuple[str, str]]:
    found = catalog.search(query, now=NOW, **page).live_rooms
    return [(hit.room.name, hit.match) for hit in found.items]


def _recent(catalog: Catalog, query: str) -> list[str]:
    return [hit.room.name for hit in catalog.search(query, now=NOW).recent_rooms.items]


def _tracks(catalog: Catalog, query: str) -> list[str]:
    return [found.title for found in catalog.search(query, now=NOW).tracks.items]


@pytest.fixture
def stocked(catalog: Catalog) -> Catalog:
    catalog.update_rooms(
        SOURCE,
        [
            room("queen", "Beyoncé Forever", "Only Queen B. #RnB", ("R&B",), listeners=50),
            room("robot", "Robot Rock", "French house all night #house #lo-fi", ("House",), 20),
            room("muzik", "İstanbul Gece", "En iyi #Müzik #80s", ("Türk Pop",), 300),
            room("talk", "Morning Talk", "News, and later some daft punk tunes", (), 900),
        ],
        now=NOW,
    )
    catalog.record_song(url("robot"), "Daft Punk", "Around the World", "Homework", NOW - 60, "peek")
    catalog.record_song(url("muzik"), "Tarkan", SIMARIK, "Ölürüm Sana", NOW - 30, "peek")
    catalog.update_tracks(
        "/media/usb",
        [
            track("01.flac", "Halo", "Beyoncé", "I Am... Sasha Fierce", "R&B"),
            track("02.flac", "Da Funk", "Daft Punk", "Homework", "House"),
            track("03.flac", SIMARIK, "Tarkan", "Ölürüm Sana", "Türk Pop"),
        ],
    )
    return catalog


def test_case_and_accents_do_not_matter(stocked: Catalog) -> None:
    for query in ("beyonce", "BEYONCÉ", "Beyonce\u0301", "beyoncé "):
        assert _live(stocked, query) == [("Beyoncé Forever", "room")], query
        assert _tracks(stocked, query) == ["Halo"], query
    assert _live(stocked, "istanbul") == [("İstanbul Gece", "room")]
    assert _tracks(stocked, "simarik olurum") == [SIMARIK]


def test_a_cyrillic_letter_typed_inside_a_latin_word_still_finds_it(stocked: Catalog) -> None:
    assert _live(stocked, "d\u0430ft pu")[0] == ("Robot Rock", "playing")


def test_the_last_word_is_a_prefix_until_a_space_is_typed(stocked: Catalog) -> None:
    assert [name for name, _ in _live(stocked, "daft pu")] == ["Robot Rock", "Morning Talk"]
    assert _live(stocked, "daft pu ") == []
    assert _live(stocked, "rob") == [("Robot Rock", "room")]
    assert _tracks(stocked, "homew") == ["Da Funk"]


def test_hashtags_match_tags_in_any_spelling_and_only_tags(stocked: Catalog) -> None:
    assert _live(stocked, "#lofi") == [("Robot Rock", "room")]
    assert _live(stocked, "#LO-FI") == [("Robot Rock", "room")]
    assert _live(stocked, "#muzik") == [("İstanbul Gece", "room")]
    assert _live(stocked, "#mü") == [("İstanbul Gece", "room")]
    assert _live(stocked, "#robot") == []  # a word of the name is not a tag
    assert _tracks(stocked, "#house") == ["Da Funk"]  # for tracks: their genre


def test_field_prefixes(stocked: Catalog) -> None:
    assert _live(stocked, "artist:daft") == [("Robot Rock", "playing")]  # not Morning Talk
    assert _live(stocked, "song:around the") == [("Robot Rock", "playing")]
    assert _live(stocked, "genre:house") == [("Robot Rock", "room")]
    assert _live(stocked, "artist:robot") == []
    assert _tracks(stocked, "artist:tarkan") == [SIMARIK]
    assert _tracks(stocked, "album:homework") == ["Da Funk"]
    assert _tracks(stocked, "song:halo") == ["Halo"]
    assert _live(stocked, "#80s artist:tar") == [("İstanbul Gece", "playing")]
    assert _live(stocked, "#house artist:tar") == []


def test_playing_it_now_beats_the_name_which_beats_the_description(catalog: Catalog) -> None:
    catalog.update_rooms(
        SOURCE,
        [
            room("desc", "Morning Show", "we love jazz standards", listeners=5000),
            room("name", "Jazz Corner", "", listeners=10),
            room("tag", "Late", "#jazz only", listeners=20),
            room("play", "Plain Room", "", listeners=1),
        ],
        now=NOW,
    )
    catalog.record_song(url("play"), "Jazz Jennings", "Song", "", NOW, "inband")
    assert _live(catalog, "jazz") == [
        ("Plain Room", "playing"),
        ("Late", "room"),  # name, tag or genre: more listeners first
        ("Jazz Corner", "room"),
        ("Morning Show", "room"),  # 5000 listeners, but only its description matches
    ]


def test_favorites_and_listeners_raise_rank_within_a_tier(catalog: Catalog) -> None:
    catalog.update_rooms(
        SOURCE, [room(f"r{n}", f"Jazz {n}", listeners=10**n) for n in range(4)], now=NOW
    )
    assert [name for name, _ in _live(catalog, "jazz")] == ["Jazz 3", "Jazz 2", "Jazz 1", "Jazz 0"]
    catalog.set_favorite(url("r0"), True, at=NOW)
    assert [name for name, _ in _live(catalog, "jazz")] == ["Jazz 0", "Jazz 3", "Jazz 2", "Jazz 1"]


def test_recent_group_holds_rooms_that_played_it_but_not_now(catalog: Catalog) -> None:
    rooms = [room(slug, slug.title()) for slug in ("now", "earlier", "fav", "old", "offair")]
    catalog.update_rooms(SOURCE, rooms, now=NOW - 7200)
    song = ("Daft Punk", "Digital Love", "Discovery")
    catalog.record_song(url("old"), *song, NOW - 5000, "peek")  # before the hour
    catalog.record_song(url("offair"), *song, NOW - 200, "peek")
    catalog.record_song(url("fav"), *song, NOW - 3000, "peek")
    catalog.record_song(url("earlier"), *song, NOW - 1000, "peek")
    catalog.record_song(url("now"), *song, NOW - 100, "peek")
    for slug in ("fav", "earlier", "old"):  # they play something else now
        catalog.record_song(url(slug), "Someone", "Else", "", NOW - 50, "peek")
    catalog.set_favorite(url("fav"), True, at=NOW)
    catalog.update_rooms(SOURCE, rooms[:4], now=NOW)  # "offair" goes off air

    assert _live(catalog, "digital love") == [("Now", "playing")]
    assert _recent(catalog, "digital love") == ["Fav", "Earlier", "Offair"]
    hit = catalog.search("digital love", now=NOW).recent_rooms.items[0]
    assert (hit.match, hit.song.at, hit.room.live) == ("played", NOW - 3000, True)  # type: ignore[union-attr]
    everyone = catalog.rooms_that_played("digital love", since=NOW - 3600)
    assert [hit.room.name for hit in everyone.items] == ["Fav", "Now", "Earlier", "Offair"]


def test_room_side_terms_filter_the_recent_group(catalog: Catalog) -> None:
    catalog.update_rooms(
        SOURCE,
        [
            room("a", "A", "#80s classics", ("Hip Hop",)),
            room("b", "B", "#90s", ("Pop",)),
        ],
        now=NOW,
    )
    for slug in ("a", "b"):
        catalog.record_song(url(slug), "Madonna", "Vogue", "", NOW - 600, "peek")
        catalog.record_song(url(slug), "Other", "Song", "", NOW - 300, "peek")
    assert _recent(catalog, "madonna") == ["A", "B"] or _recent(catalog, "madonna") == ["B", "A"]
    assert _recent(catalog, "#80s artist:madonna") == ["A"]
    assert _recent(catalog, "madonna #8") == ["A"]  # the tag being typed is a prefix
    assert _recent(catalog, "#8 madonna") == []  # a finished tag is not
    assert _recent(catalog, "madonna genre:hip hop") == ["A"]
    assert _recent(catalog, "madonna genre:hi") == ["A"]
    assert _recent(catalog, "vogue genre:pop") == ["B"]
    assert _recent(catalog, "genre:pop vogue") == []  # "vogue" is a genre word here
    assert _recent(catalog, "#jazz madonna") == []


def test_pages_run_across_tiers_with_exact_totals(catalog: Catalog) -> None:
    rooms = [room(f"n{n}", f"Jazz {n}", listeners=10 ** (5 - n)) for n in range(5)]
    rooms += [room(f"d{n}", f"D{n}", "jazz inside", listeners=10 ** (5 - n)) for n in range(4)]
    catalog.update_rooms(SOURCE, rooms, now=NOW)
    catalog.record_song(url("d3"), "Jazz Man", "Tune", "", NOW, "peek")
    expected = ["D3", "Jazz 0", "Jazz 1", "Jazz 2", "Jazz 3", "Jazz 4", "D0", "D1", "D2"]
    seen = []
    for offset in range(0, 9, 2):
        page = catalog.search("jazz", now=NOW, limit=2, offset=offset).live_rooms
        assert (page.total, page.offset, page.capped) == (9, offset, False)
        seen += [hit.room.name for hit in page.items]
    assert seen == expected
    past = catalog.search("jazz", now=NOW, limit=5, offset=20).live_rooms
    assert (past.items, past.total) == ((), 9)


def test_broad_queries_stop_counting_and_say_so(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room(f"r{n}", f"Radio {n}") for n in range(1100)], now=NOW)
    found = catalog.search("r", now=NOW, limit=5).live_rooms
    assert (len(found.items), found.total, found.capped) == (5, 1000, True)
    deep = catalog.search("r", now=NOW, limit=50, offset=1080).live_rooms
    assert (len(deep.items), deep.capped) == (20, False)
    assert deep.total == 1100


def test_long_prefixes_find_every_word_they_start(catalog: Catalog) -> None:
    common = [room(f"s{n}", f"Songbird {n}") for n in range(3)]
    many = [room(f"m{n}", f"Song{n:02d}x") for n in range(40)]  # too many to expand one by one
    catalog.update_rooms(SOURCE, [*common, *many, room("x", "Songs of Praise")], now=NOW)
    assert catalog.search("songb", now=NOW).live_rooms.total == 3
    assert catalog.search("songs", now=NOW).live_rooms.total == 1
    assert catalog.search("song", now=NOW).live_rooms.total == 44
    assert catalog.search("songbirds", now=NOW).live_rooms.total == 0
    catalog.optimize()  # rebuilds the vocabulary from the indexes
    assert catalog.search("songb", now=NOW).live_rooms.total == 3
    assert catalog.search("song", now=NOW).live_rooms.total == 44


def test_an_empty_or_wordless_query_finds_nothing(stocked: Catalog) -> None:
    for query in ("", "   ", "#", "artist:", "?!"):
        found = stocked.search(query, now=NOW)
        assert (found.live_rooms.total, found.recent_rooms.total, found.tracks.total) == (0, 0, 0)


def test_paging_arguments_are_checked(stocked: Catalog) -> None:
    with pytest.raises(ValueError, match="limit"):
        stocked.search("x", now=NOW, limit=0)
    with pytest.raises(ValueError, match="offset"):
        stocked.search("x", now=NOW, offset=-1)
    with pytest.raises(TypeError, match="query"):
        stocked.search(None, now=NOW)  # type: ignore[arg-type]
