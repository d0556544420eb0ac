"""The few widgets every screen is built from, styled by ``widgets.kv`` and the App's theme.

* ``Surface`` — a box layout that paints its own ground (screens, bars, the dialog's card);
* ``TextLabel`` — one line of text at a rule size, ellipsized rather than overflowing;
* ``TouchButton`` — a filled, outlined button; ``PresetButton`` adds a long press;
* ``Tile`` — a control with a title and a line under it: one item of a list;
* ``LiveBadge`` and ``BufferMeter`` for the Now Playing screen.

Every control can hold the knob's focus (``focused``, drawn as a thick ring in the theme's
focus colour; ``device.ui.knob`` moves it).

Whatever paints a ground exposes ``bg_color`` (and a control ``border_color``): the widget
walk in ``tests/ui`` reads them to check contrast as drawn.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from device.ui import rules
from device.ui.fonts import display_font


def load_kv_beside(module_file: str) -> None:
    """Load the ``.kv`` file next to a module (one per screen, layout and bindings only)."""
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


class Surface(BoxLayout):
    bg_color = ColorProperty([0, 0, 0, 0])


class TextLabel(Label):
    """Text in any script: each text gets a font that draws all of it (``device.ui.fonts``),
    and what no font can draw (an emoji the fonts lack) is left out cleanly."""

    role = OptionProperty("secondary", options=tuple(rules.FONT_DP))
    muted = BooleanProperty(False)  # secondary information, drawn in the muted text colour
    # A fixed height (a button's); 0: one line of the role's text. Not ``height`` itself:
    # the text-derived height is re-evaluated whenever the role changes.
    box_height = NumericProperty(0)

    def on_text(self, *_args: object) -> None:
        self._fit_font()

    def on_bold(self, *_args: object) -> None:
        self._fit_font()

    def _fit_font(self) -> None:
        self.font_name, drawn = display_font(self.text, self.bold)
        if drawn != self.text:
            self.text = drawn  # once: the drawn text is its own fixed point


class ControlBehavior(ButtonBehavior):
    """Something the driver taps: drawn as a filled box with an outline. ``accent`` marks the
    main action or the choice in effect."""

    accent = BooleanProperty(False)
    focused = BooleanProperty(False)  # the knob points here: push selects it
    bg_color = ColorProperty([0, 0, 0, 0])
    border_color = ColorProperty([0, 0, 0, 0])

    def select(self) -> None:
        """What a push of the knob does: the same as a tap."""
        self.trigger_action(duration=0)


class TouchButton(ControlBehavior, TextLabel):
    pass


class PresetButton(ControlBehavior, BoxLayout):
    """A preset slot: a tap plays it (``on_tap``), a hold of ``rules.LONG_PRESS_S`` stores what
    plays (``on_long_press``) — and then the release is not also a tap."""

    __events__ = ("on_tap", "on_long_press")
    slot = NumericProperty(1)
    label = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._held = Clock.create_trigger(self._hold_reached, rules.LONG_PRESS_S)
        self._long_pressed = False

    def on_press(self) -> None:
        self._long_pressed = False
        self._held()

    def on_release(self) -> None:
        self._held.cancel()
        if not self._long_pressed:
            self.dispatch("on_tap")

    def select(self) -> None:  # a push of the knob plays the slot (storing needs a hold)
        self.dispatch("on_tap")

    def _hold_reached(self, _dt: float) -> None:
        if self.state == "down":
            self._long_pressed = True
            self.dispatch("on_long_press")

    def on_tap(self) -> None:
        pass

    def on_long_press(self) -> None:
        pass


class Tile(ControlBehavior, BoxLayout):
    """One item of a list: ``title`` (primary) over ``subtitle`` (secondary)."""

    title = StringProperty("")
    subtitle = StringProperty("")
    item = ObjectProperty(None, allownone=True)  # what it stands for (a presenters.Item)


class LiveBadge(TextLabel):
    bg_color = ColorProperty([0, 0, 0, 0])


class BufferMeter(Widget):
    """A bar: how full the playout buffer is against its mode's target."""

    fill = NumericProperty(0.0)  # 0..1
    low = BooleanProperty(False)


load_kv_beside(__file__)
