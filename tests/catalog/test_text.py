"""Folding and hashtag parsing: what makes `beyonce` find `Beyoncé` and `#lo-fi` a tag."""

from __future__ import annotations

import pytest

from device.catalog.text import fold, genre_key, hashtags, tag_key, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Beyoncé", "beyonce"),
        ("MOTÖRHEAD", "motorhead"),
        ("Straße", "strasse"),
        ("ﬁre", "fire"),  # ligature, decomposed by NFKD
        ("Røyksopp Łódź Æther", "royksopp lodz aether"),
        ("Sigur Rós", "sigur ros"),
        ("d\u0430ft", "daft"),  # Cyrillic U+0430 in a Latin word: a layout slip
        ("\u0440\u043e\u043a", "\u0440\u043e\u043a"),  # a wholly Cyrillic word stays Cyrillic
        ("Beyonce\u0301", "beyonce"),  # decomposed accent
    ],
)
def test_fold_makes_spellings_compare_equal(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_are_runs_of_letters_and_digits() -> None:
    assert words("AC/DC — Live @ Wembley '86!") == ["ac", "dc", "live", "wembley", "86"]
    assert words("東京 Ελλάδα") == ["東京", "ελλαδα"]
    assert words("lo_fi") == ["lo", "fi"]
    assert words("") == []


def test_hashtags_are_parsed_unicode_aware_first_spelling_kept() -> None:
    text = "Nights of #Müzik, #lo-fi and #80s! Also #muzik again, #LoFi and #hip_hop_."
    assert hashtags(text) == ("Müzik", "lo-fi", "80s", "hip_hop")


@pytest.mark.parametrize(
    "text",
    [
        "C# minor",  # a note, not a tag
        "see http://example.com/page#section",
        "it&#39;s",  # an HTML entity
        "# alone",
        "#-- dashes",
        "##",
    ],
)
def test_things_that_are_not_hashtags(text: str) -> None:
    assert hashtags(text) == ()


def test_hashtags_in_other_scripts_and_decomposed_text() -> None:
    assert hashtags("#Türkçe #日本語 #Mu\u0308zik") == ("Türkçe", "日本語", "Müzik")


def test_tag_and_genre_keys_merge_spellings() -> None:
    assert tag_key("#Lo-Fi") == tag_key("lofi") == tag_key("LO_FI") == "lofi"
    assert tag_key("#Müzik") == "muzik"
    assert tag_key("#---") == ""
    assert genre_key("Hip-Hop") == genre_key("hip hop") == genre_key("HIP  HOP") == "hip hop"
