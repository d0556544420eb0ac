"""``python -m host.app.screenshots`` draws the phone app's real screens, not black frames."""

from __future__ import annotations

from kivy.core.image import Image as CoreImage

from host.app.palette import COLORS
from host.app.screenshots import VIEWS, render_all


def _colours(path, step=8) -> set[tuple[int, ...]]:
    image = CoreImage.load(str(path), keep_data=True)
    width, height = image.size
    return {
        tuple(round(c * 255) for c in image.read_pixel(x, y)[:3])
        for x in range(0, width, step)
        for y in range(0, height, step)
    }


def _rgb(colour) -> tuple[int, ...]:
    return tuple(round(c * 255) for c in colour[:3])


def test_every_phone_view_is_drawn(phone_window, tmp_path):
    written = render_all(tmp_path)
    assert [path.name for path in written] == [f"phone-{view}.png" for view in VIEWS]
    now = _colours(tmp_path / "phone-now.png")
    assert len(now) > 10
    assert _rgb(COLORS["background"]) in now and _rgb(COLORS["accent"]) in now
    assert _rgb(COLORS["notice"]) in _colours(tmp_path / "phone-offline.png")  # why, in words
    assert _rgb(COLORS["notice"]) not in now  # connected: no banner
