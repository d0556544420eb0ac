"""The driver-distraction rules (``device.ui.rules``) checked over a widget tree as drawn.

Reads what Kivy will draw — sizes and positions in window coordinates, font sizes, the
colours of text and of the ground painted behind it — and returns one line per breach:

* every control (anything tappable) is at least ``TOUCH_TARGET_DP`` on each side, and its
  fill or outline stands out ``CONTROL_CONTRAST`` from what surrounds it;
* text is at least ``SECONDARY_TEXT_DP`` (``PRIMARY_TEXT_DP`` for primary roles) and has
  ``TEXT_CONTRAST`` against its ground;
* no text is clipped: it fits its label's box, or is ellipsized to fit;
* every widget lies inside its parent and the window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from device.ui import rules

SLACK_PX = 0.5  # layout rounds to whole pixels


def visible(root: Widget) -> Iterator[Widget]:
    """``root`` and its descendants that are drawn (not hidden by opacity or zero size)."""
    stack = [root]
    while stack:
        widget = stack.pop()
        if widget.opacity == 0 or widget.width <= 0 or widget.height <= 0:
            continue
        yield widget
        stack.extend(widget.children)


def window_box(widget: Widget) -> tuple[float, float, float, float]:
    left, bottom = widget.to_window(*widget.pos)
    return left, bottom, left + widget.width, bottom + widget.height


def ground(widget: Widget | None) -> Sequence[float] | None:
    """The colour painted behind ``widget`` (itself included): the nearest ``bg_color``."""
    while widget is not None:
        colour = getattr(widget, "bg_color", None)
        if colour is not None and colour[3] > 0:
            return colour
        widget = widget.parent
    return None


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (
        inner[0] >= outer[0] - SLACK_PX
        and inner[1] >= outer[1] - SLACK_PX
        and inner[2] <= outer[2] + SLACK_PX
        and inner[3] <= outer[3] + SLACK_PX
    )


def _names(root: Widget) -> dict[int, str]:
    names = {}
    for widget in root.walk(restrict=True):
        for name, ref in widget.ids.items():
            names[id(ref.__self__)] = name
    return names


def breaches(root: Widget, window_size: tuple[int, int]) -> list[str]:
    names = _names(root)
    found = []
    window = (0, 0, *window_size)
    for widget in visible(root):
        text = getattr(widget, "text", "")
        name = names.get(id(widget), type(widget).__name__) + (f" {text[:30]!r}" if text else "")
        box = window_box(widget)
        if not _inside(box, window):
            found.append(f"{name}: outside the window at {box}")
        parent = widget.parent
        inner = widget is not root and isinstance(parent, Widget)
        if inner and not _inside(box, window_box(parent)):
            found.append(f"{name}: spills out of its parent ({box} in {window_box(parent)})")
        if isinstance(widget, ButtonBehavior):
            found += _control_breaches(widget, name)
        if isinstance(widget, Label) and text:
            found += _text_breaches(widget, name)
    return found


def _control_breaches(widget: Widget, name: str) -> list[str]:
    found = []
    smallest = min(widget.size) / dp(1)
    if smallest < rules.TOUCH_TARGET_DP - SLACK_PX:
        found.append(f"{name}: touch target {smallest:.0f} dp < {rules.TOUCH_TARGET_DP} dp")
    around = ground(widget.parent)
    if around is None:
        return [*found, f"{name}: nothing painted around the control"]
    contrast = max(
        rules.contrast_ratio(widget.bg_color, around),
        rules.contrast_ratio(widget.border_color, around),
    )
    if contrast < rules.CONTROL_CONTRAST:
        found.append(f"{name}: control contrast {contrast:.2f} < {rules.CONTROL_CONTRAST}")
    return found


def _text_breaches(label: Label, name: str) -> list[str]:
    found = []
    role = getattr(label, "role", "secondary")
    minimum = rules.PRIMARY_TEXT_DP if role in rules.PRIMARY_ROLES else rules.SECONDARY_TEXT_DP
    size_dp = label.font_size / dp(1)
    if size_dp < minimum - 0.01:
        found.append(f"{name}: {role} text {size_dp:.0f} dp < {minimum} dp")
    behind = ground(label)
    if behind is None:
        found.append(f"{name}: no ground behind the text")
    else:
        contrast = rules.contrast_ratio(label.color, behind)
        if contrast < rules.TEXT_CONTRAST:
            found.append(f"{name}: text contrast {contrast:.2f} < {rules.TEXT_CONTRAST}")
    measure = CoreLabel(font_size=label.font_size, font_name=label.font_name, bold=label.bold)
    width, height = measure.get_extents(label.text)
    if height > label.height + SLACK_PX:
        found.append(f"{name}: text {height} px high in a {label.height:.0f} px box")
    if width > label.width + SLACK_PX and not (label.shorten and label.is_shortened):
        found.append(f"{name}: text {width} px wide overflows a {label.width:.0f} px box")
    return found
