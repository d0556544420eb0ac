"""Driver-distraction rules for the touchscreen, in one place, and the arithmetic to check them.

Sources: Android for Cars (touch targets, text sizes, contrast, how long self-changing content
stays) and NHTSA's visual-manual guidelines (short glances). Sizes are in dp (Kivy's ``dp``:
one dp is one pixel on the unit's 800x480 panel). Contrast follows WCAG 2.x. The widget
tree walk in ``tests/ui`` checks every screen against these numbers, in both themes.
"""

from __future__ import annotations

from collections.abc import Sequence

TOUCH_TARGET_DP = 76  # smallest side of anything the driver taps
PRIMARY_TEXT_DP = 32  # song title, room name, button labels that matter at a glance
SECONDARY_TEXT_DP = 24  # everything else; nothing on screen is smaller
DIGITS_TEXT_DP = 88  # the six pairing digits, compared with the phone at a glance
TEXT_CONTRAST = 4.5  # text against what is behind it
CONTROL_CONTRAST = 3.0  # a control's fill or border against what surrounds it
NOTICE_S = 8.0  # content that changes on its own stays at least this long
LONG_PRESS_S = 0.8  # hold a preset this long to store what plays

# Text size per label role, in dp; "headline" and "digits" are primary text, only larger.
FONT_DP = {
    "secondary": SECONDARY_TEXT_DP,
    "primary": PRIMARY_TEXT_DP,
    "headline": 40,
    "digits": DIGITS_TEXT_DP,
}
PRIMARY_ROLES = ("primary", "headline", "digits")

Rgba = Sequence[float]


def relative_luminance(colour: Rgba) -> float:
    """WCAG relative luminance of an sRGB colour given as 0..1 floats (alpha ignored)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Rgba, second: Rgba) -> float:
    """WCAG contrast ratio, 1.0 (same colour) to 21.0 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
