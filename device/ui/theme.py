"""Day and night colour tables: the only place the touchscreen's colours are chosen.

Day is dark text and controls on a light ground for a sunlit cabin; night is light text on
near-black with an amber accent, dim enough not to glare at the windscreen. Every pairing
the screens use (text on its ground, a control against its surroundings) meets the contrast
rules of ``device.ui.rules``; the widget walk in ``tests/ui`` checks them as drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

Rgba = tuple[float, float, float, float]


def hex_colour(value: str) -> Rgba:
    """``"#RRGGBB"`` as Kivy's 0..1 RGBA (opaque)."""
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour must be #RRGGBB, got {value!r}")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue, 1.0)


@dataclass(frozen=True)
class Theme:
    name: str
    background: Rgba  # behind every screen
    bar: Rgba  # the nav bar and the dialog's card
    text: Rgba
    text_muted: Rgba  # secondary text: state, buffer, hints
    control: Rgba  # a button's fill
    control_pressed: Rgba
    control_border: Rgba  # outlines a button where its fill alone is too close to the ground
    control_text: Rgba
    accent: Rgba  # the main action and what is selected
    accent_pressed: Rgba
    accent_text: Rgba
    live: Rgba  # the LIVE badge
    live_text: Rgba
    notice: Rgba  # the banner: engine restarting, a refused command
    notice_text: Rgba
    meter_track: Rgba  # the buffer meter
    meter_good: Rgba
    meter_low: Rgba
    focus: Rgba  # the ring around the control the knob points at


def _theme(name: str, **colours: str) -> Theme:
    return Theme(name=name, **{key: hex_colour(value) for key, value in colours.items()})


DAY = _theme(
    "day",
    background="#F4F6F8",
    bar="#DDE3EA",
    text="#101418",
    text_muted="#3B4550",
    control="#27313C",
    control_pressed="#4A5766",
    control_border="#27313C",
    control_text="#FFFFFF",
    accent="#0B57D0",
    accent_pressed="#2F6FE0",
    accent_text="#FFFFFF",
    live="#C5221F",
    live_text="#FFFFFF",
    notice="#FBE7A1",
    notice_text="#3A2A00",
    meter_track="#C3CCD6",
    meter_good="#137333",
    meter_low="#B3261E",
    focus="#E8710A",
)

NIGHT = _theme(
    "night",
    background="#0A0C0F",
    bar="#161A20",
    text="#E8EAED",
    text_muted="#AEB6BF",
    control="#232932",
    control_pressed="#38414D",
    control_border="#8893A0",
    control_text="#E8EAED",
    accent="#F0A030",
    accent_pressed="#F6BC63",
    accent_text="#1A1000",
    live="#FF6B61",
    live_text="#0A0C0F",
    notice="#4A3A00",
    notice_text="#FFE8A6",
    meter_track="#2E353E",
    meter_good="#5BBF7A",
    meter_low="#FF6B61",
    focus="#4FC3F7",
)

THEMES = {theme.name: theme for theme in (DAY, NIGHT)}
