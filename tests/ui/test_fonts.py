"""Room names in any script reach the touchscreen drawable: the font ``display_font`` picks
has a glyph for every character it returns (read here from the font files on their own),
what no font has is dropped cleanly, and Kivy really draws the glyphs — no tofu boxes."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from kivy.core.text import Label as CoreLabel

from device.ui import fonts
from device.ui.fonts import NOTHING_DRAWABLE, display_font, font_chain

APT_FONTS = "fonts-dejavu-core fonts-wqy-microhei fonts-droid-fallback"


@functools.cache
def glyph_map(path: str) -> dict[int, str]:
    """Every Unicode cmap subtable of the file (not just the one the module reads), minus
    characters mapped to the .notdef glyph, which is the tofu box itself."""
    with TTFont(path, fontNumber=0) as font:
        mapped: dict[int, str] = {}
        for table in font["cmap"].tables:
            if table.isUnicode():
                mapped.update(table.cmap)
    return {code: glyph for code, glyph in mapped.items() if glyph != ".notdef"}


def lacking(path: str, text: str) -> str:
    return "".join(char for char in text if ord(char) not in glyph_map(path))


def font_named(path: str) -> str:
    return Path(path).name


def assert_clean(path: str, drawn: str) -> None:
    assert not lacking(path, drawn), f"{font_named(path)} lacks {lacking(path, drawn)!r}"
    assert "\ufffd" not in drawn
    assert drawn == drawn.strip() and "  " not in drawn, f"stray spaces in {drawn!r}"
    for char in drawn:
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs") and (category != "Cf" or char == "\u200d"), (
            f"{char!r} would reach the screen in {drawn!r}"
        )
    drawn.encode("utf-8")  # what Kivy hands to SDL2_ttf


def test_the_unit_has_every_font_of_the_chain():
    names = [face.name for face in font_chain()]
    assert names == ["Roboto", "DejaVu Sans", "WenQuanYi Micro Hei", "Droid Sans Fallback"], (
        f"missing fonts: apt-get install {APT_FONTS}"
    )


@pytest.mark.parametrize(
    "name",
    [
        "Café del Mar — Ñandú, Łódź, Ærø, ő, ß",
        "Καλημέρα Ελλάδα",
        "Радио Москва · Ёлка",
        "Crème brûle\u0301e",  # a decomposed accent is composed, not drawn as a lone mark
    ],
)
@pytest.mark.parametrize("bold", [False, True])
def test_latin_greek_and_cyrillic_stay_on_roboto_or_dejavu(name, bold):
    path, drawn = display_font(name, bold)

    assert font_named(path) in (
        {"Roboto-Bold.ttf", "DejaVuSans-Bold.ttf"}
        if bold
        else {"Roboto-Regular.ttf", "DejaVuSans.ttf"}
    )
    assert drawn == unicodedata.normalize("NFC", name)
    assert_clean(path, drawn)


@pytest.mark.parametrize(
    "name",
    ["東京タワー ラジオ", "北京音乐台 夜间节目", "서울 라디오 방송", "東京 FM · J-Pop 24/7"],
)
@pytest.mark.parametrize("bold", [False, True])
def test_chinese_japanese_and_korean_get_a_cjk_font_and_are_drawn_whole(name, bold):
    path, drawn = display_font(name, bold)

    assert font_named(path) == "wqy-microhei.ttc"
    assert drawn == name
    assert_clean(path, drawn)
    assert lacking(str(font_chain()[0].regular), name), "Roboto would have drawn tofu here"


def test_rare_ideographs_get_droid_sans_fallback():
    path, drawn = display_font("㐀㐂㐃")  # CJK Extension A

    assert font_named(path) == "DroidSansFallbackFull.ttf"
    assert drawn == "㐀㐂㐃"
    assert_clean(path, drawn)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("🔥 Hot hits ☕", "Hot hits ☕"),  # DejaVu has a text-style coffee cup, nobody has 🔥
        ("🔥🎶🚗", NOTHING_DRAWABLE),
        ("👨\u200d👩\u200d👧 Family 🇩🇪 radio 👍🏽", "Family radio"),  # sequences go whole
        ("❤\ufe0f\u200d🔥 Love", "Love"),  # DejaVu has the heart, not the fire: no half heart
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scotland", "Scotland"),
        ("東京 🔥 FM", "東京 FM"),
        ("Jazz\u202e FM\x00\n\t", "Jazz FM"),  # bidi override, NUL, line break, tab
        ("\u200bLo\u00adfi\ufeff \u2066beats\u2069", "Lofi beats"),
        ("Bad \ud800decode", "Bad decode"),  # a lone surrogate would crash the UTF-8 encode
        ("", ""),
        ("  \n ", ""),
    ],
)
def test_what_no_font_has_is_removed_cleanly(name, expected):
    path, drawn = display_font(name)

    assert drawn == expected
    assert_clean(path, drawn)


def test_pure_ascii_reads_no_font_file():
    fonts._codepoints.cache_clear()

    path, drawn = display_font("Late Night Jazz with Sam & the Band", bold=True)

    assert (font_named(path), drawn) == ("Roboto-Bold.ttf", "Late Night Jazz with Sam & the Band")
    assert fonts._codepoints.cache_info().currsize == 0


@pytest.fixture
def chain_of(monkeypatch):
    """``chain_of(*faces)``: the module tries these fonts instead of the unit's."""

    def use(*faces):
        monkeypatch.setattr(fonts, "_candidate_chain", lambda: faces)
        fonts.font_chain.cache_clear()

    yield use
    monkeypatch.undo()
    fonts.font_chain.cache_clear()


def test_missing_and_damaged_fonts_are_skipped_not_fatal(chain_of, tmp_path, caplog):
    garbage = tmp_path / "garbage.ttf"
    garbage.write_bytes(bytes(range(256)) * 4)
    headless = tmp_path / "headless.ttf"  # a font header, then noise: no cmap
    headless.write_bytes(b"\x00\x01\x00\x00" + bytes(range(256)) * 4)
    roboto = font_chain()[0]
    chain_of(
        fonts.FontFace("Gone", tmp_path / "gone.ttf", tmp_path / "gone-bold.ttf"),
        fonts.FontFace("Garbage", garbage),
        fonts.FontFace("Headless", headless),
        roboto,
    )

    assert [face.name for face in font_chain()] == ["Garbage", "Headless", "Roboto"]
    path, drawn = display_font("Καλημέρα 東京")

    assert (path, drawn) == (str(roboto.regular), "Καλημέρα")
    for name in ("gone.ttf", "garbage.ttf", "headless.ttf"):
        assert name in caplog.text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.one_of(
            st.characters(codec="utf-8"),
            st.characters(max_codepoint=0x7F),
            st.sampled_from("東京서울Ωё🔥☕\u200d\ufe0f\U0001f3fd\u202e\u0301🇩 \n"),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_any_text_comes_out_drawable_and_stable(name, bold):
    path, drawn = display_font(name, bold)

    assert_clean(path, drawn)
    assert display_font(drawn, bold) == (path, drawn)  # a label that sets its text back


# --- drawn for real, offscreen -----------------------------------------------------------


def render(text: str, path: str) -> tuple[tuple[int, int], bytes]:
    label = CoreLabel(text=text, font_name=path, font_size=32)
    label.refresh()
    return tuple(label.texture.size), bytes(label.texture.pixels)


def ink(pixels: bytes) -> int:
    return sum(alpha > 128 for alpha in pixels[3::4])


def tofu(path: str) -> tuple[tuple[int, int], bytes]:
    """How the font draws a character it has no glyph for."""
    missing = next(code for code in (0x1F525, 0x10FFFD, 0xE0001) if code not in glyph_map(path))
    return render(chr(missing), path)


def test_roboto_draws_cjk_as_identical_tofu_boxes(window):
    roboto = str(font_chain()[0].regular)

    assert render("東", roboto) == render("京", roboto) == tofu(roboto)


@pytest.mark.parametrize(
    "name", ["東京タワー", "北京音乐台", "서울 라디오", "🔥 Hot hits ☕", "Ωμέγα"]
)
def test_every_character_drawn_is_a_real_glyph(window, name):
    path, drawn = display_font(name)
    box = tofu(path)

    for char in set(drawn) - {" "}:
        size, pixels = render(char, path)
        assert ink(pixels) > 0, f"{char!r} drew nothing in {font_named(path)}"
        assert (size, pixels) != box, f"{char!r} drew a tofu box in {font_named(path)}"


def test_cjk_in_the_chosen_font_differs_from_roboto_tofu(window):
    name = "東京タワー ラジオ"
    path, drawn = display_font(name)

    chosen = render(drawn, path)
    as_roboto = render(drawn, str(font_chain()[0].regular))

    assert ink(chosen[1]) > 0
    assert chosen != as_roboto
