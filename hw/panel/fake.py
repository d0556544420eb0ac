"""A panel in the same process, for units with no panel wired and for tests of what the
unit does with panel events: the same interface as ``SerialPanel``, events put in by hand."""

from __future__ import annotations

from collections.abc import Callable

from hw.panel.events import PanelEvent


class FakePanel:
    def __init__(
        self,
        on_event: Callable[[PanelEvent], None],
        on_connection: Callable[[bool], None] = lambda connected: None,
    ) -> None:
        self._on_event, self._on_connection = on_event, on_connection
        self.leds, self.backlight = 0, 255
        self.connected = False

    def start(self) -> None:
        self.connected = True
        self._on_connection(True)

    def stop(self) -> None:
        self.connected = False
        self._on_connection(False)

    def set_leds(self, mask: int) -> None:
        self.leds = mask & 0x1F

    def set_backlight(self, level: int) -> None:
        self.backlight = max(0, min(255, level))

    def emit(self, event: PanelEvent) -> None:
        """As if the panel had sent ``event`` (on the caller's thread)."""
        self._on_event(event)
