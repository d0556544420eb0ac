"""The search box's language: fields, hashtags, phrases, prefixes; odd input never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.catalog import Catalog
from device.catalog.query import Term, fts_expression, parse
from tests.catalog.factories import room, track, url


def test_plain_words_last_one_is_a_prefix_while_typing() -> None:
    assert parse("Daft Pu") == [Term("any", ("daft",)), Term("any", ("pu",), prefix=True)]
    assert parse("daft punk ") == [Term("any", ("daft",)), Term("any", ("punk",))]


def test_field_prefixes_scope_the_words_after_them() -> None:
    assert parse("artist:daft punk song:around") == [
        Term("artist", ("daft",)),
        Term("artist", ("punk",)),
        Term("song", ("around",), prefix=True),
    ]
    assert parse("GENRE:Hip-Hop ") == [Term("genre", ("hip",)), Term("genre", ("hop",))]
    assert parse("artist:") == []  # still typing


def test_hashtags_are_one_word_and_end_a_field_scope() -> None:
    assert parse("artist:madonna #80s live") == [
        Term("artist", ("madonna",)),
        Term("tag", ("80s",)),
        Term("any", ("live",), prefix=True),
    ]
    assert parse("#Lo-Fi") == [Term("tag", ("lofi",), prefix=True)]
    assert parse("#") == []


def test_quotes_make_phrases_and_an_unclosed_quote_runs_to_the_end() -> None:
    assert parse('"around the world"') == [Term("any", ("around", "the", "world"), phrase=True)]
    assert parse('song:"around the wo') == [
        Term("song", ("around", "the", "wo"), phrase=True, prefix=True)
    ]


def test_unknown_prefixes_and_fts_syntax_are_plain_words() -> None:
    assert parse("mood:happy") == [Term("any", ("mood",)), Term("any", ("happy",), prefix=True)]
    assert parse('NEAR(a* AND "b") OR -c ^d') == [
        Term("any", ("near",)),
        Term("any", ("a",)),
        Term("any", ("and",)),
        Term("any", ("b",)),
        Term("any", ("or",)),
        Term("any", ("c",)),
        Term("any", ("d",), prefix=True),
    ]


def test_expressions_quote_every_word_and_mark_fields() -> None:
    marks = {"any": ("",), "artist": ("\ue004",)}
    expression = fts_expression(parse("and artist:beyo"), marks)  # type: ignore[arg-type]
    assert expression == '(("and")) AND (("\ue004beyo"*))'
    assert fts_expression(parse("#jazz"), marks) is None  # type: ignore[arg-type]
    assert fts_expression([], marks) is None  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    catalog = Catalog(Path(tmp_path_factory.mktemp("query")) / "catalog.db")
    catalog.update_rooms(
        "icecast:http://test.example:8000",
        [room("a", "Café Jazz", "#jazz and #lo-fi", ("Jazz",), 5), room("b", "Rock FM")],
        now=100.0,
    )
    catalog.record_song(url("a"), "Beyoncé", "Halo", "I Am", 90.0, "peek")
    catalog.update_tracks("/media/usb", [track("1.flac", "Halo", "Beyoncé", "I Am", "Pop")])
    return catalog


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_text_searches_without_raising(small_catalog: Catalog, text: str) -> None:
    results = small_catalog.search(text, now=100.0)
    for group in (results.live_rooms, results.recent_rooms, results.tracks):
        assert group.total >= len(group.items)


@pytest.mark.parametrize(
    "text",
    ['"', '""', '"a', 'a"', "*", "**", "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(", "a NOT",
     "^", "-", ":", "artist:", "#", "##", "#\"", "{name}:x", "'", "\\", "\x00", "\ue004",
     "a" * 300, "#" + "b" * 300],
)  # fmt: skip
def test_fts_syntax_in_queries_is_just_text(small_catalog: Catalog, text: str) -> None:
    small_catalog.search(text, now=100.0)
    small_catalog.rooms_that_played(text, since=0.0)
