"""``python -m device.ui.screenshots`` writes every view in both themes at the three sizes,
and the pictures are the real UI (the theme's colours, text drawn), not black frames."""

from __future__ import annotations

from kivy.core.image import Image as CoreImage

from device.ui.screenshots import render_all
from device.ui.staging import SIZES, VIEWS
from device.ui.theme import THEMES


def _pixels(path, step=16):
    image = CoreImage.load(str(path), keep_data=True)
    width, height = image.size
    return image.size, [
        tuple(round(c * 255) for c in image.read_pixel(x, y)[:3])
        for x in range(0, width, step)
        for y in range(0, height, step)
    ]


def _rgb(colour):
    return tuple(round(c * 255) for c in colour[:3])


def test_every_view_theme_and_size_is_written_and_shows_the_ui(window, tmp_path):
    written = render_all(tmp_path)

    expected = {
        f"{view}-{theme}-{w}x{h}.png" for view in VIEWS for theme in THEMES for w, h in SIZES
    }
    assert {path.name for path in written} == expected
    for theme_name, theme in THEMES.items():
        for width, height in SIZES:
            size, pixels = _pixels(tmp_path / f"now_playing-{theme_name}-{width}x{height}.png")
            assert size == (width, height)
            colours = set(pixels)
            assert len(colours) > 10, "a flat frame"
            assert _rgb(theme.background) in colours  # the screen's ground
            assert _rgb(theme.accent) in colours  # the selected nav tab, Pause, Live
            assert _rgb(theme.live) in colours or width > 800  # the LIVE badge (small)
    _, offline = _pixels(tmp_path / "offline-night-800x480.png", step=4)
    assert _rgb(THEMES["night"].notice) in set(offline)  # the "engine restarting" banner
