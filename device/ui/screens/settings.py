"""Settings: day/night (or automatic), language, the audio output, about and diagnostics.

The theme and language are the touchscreen's own (kept in ``ui.json``). The audio output is
the engine's: it offers its outputs (``outputs``), the driver picks one (``output``), and
the engine switches while playing and keeps the choice. Three are shown — the one in use
first — which covers a DAC, a USB card and silence; more devices are for the config file.
Diagnostics are the engine's playout counters, live from its ``stats`` events.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from kivy.app import App
from kivy.properties import ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from device.protocol import Ok, Output, Outputs, Stats
from device.ui.i18n import tr
from device.ui.widgets import load_kv_beside


def version() -> str:
    try:
        return metadata.version("drivetime")
    except metadata.PackageNotFoundError:
        return "—"


SHOWN_OUTPUTS = 3


def output_label(spec: str) -> str:
    """A button's words for an output spec: the device's name, or what null means."""
    if spec == "null":
        return tr._("Silent")
    if spec in ("pyaudio", "auto"):
        return tr._("Default")
    return spec.removeprefix("pyaudio:")


def shown_outputs(current: str, choices: list[str]) -> list[tuple[str, str]]:
    """(spec, label) for the buttons: the one in use first, then the others in order."""
    ordered = [current] + [spec for spec in choices if spec != current]
    return [(spec, output_label(spec)) for spec in ordered[:SHOWN_OUTPUTS]]


def output_words(output: str) -> str:
    """The config's ``audio.output`` as a driver would say it."""
    if output in ("auto", "pyaudio"):
        return tr._("Audio: the default sound card")
    if output.startswith("pyaudio:"):
        return tr._("Audio: {device}").format(device=output.split(":", 1)[1])
    if output == "null":
        return tr._("Audio: none (silent)")
    return tr._("Audio: {output}").format(output=output)


def diagnostics_words(stats: Stats, connected: bool) -> str:
    if not connected:
        return tr._("Engine not connected")
    if stats.depth_ms < 0:
        return tr._("Nothing playing")
    return tr._("Dropouts {underruns} · concealed {concealed} ms · behind live {lag}").format(
        underruns=stats.underruns,
        concealed=stats.concealed_ms,
        lag=f"{stats.lag_ms} ms" if stats.lag_ms >= 0 else "—",
    )


class SettingsScreen(Screen):
    outputs = ListProperty([])  # (spec, label) of the output buttons
    current_output = StringProperty("")

    version = staticmethod(version)
    output_words = staticmethod(output_words)
    diagnostics_words = staticmethod(diagnostics_words)

    def on_pre_enter(self, *_args: Any) -> None:
        self._ask_outputs()

    def _ask_outputs(self) -> None:
        App.get_running_app().send(Outputs(), self._show_outputs, quiet=True)

    def _show_outputs(self, reply: Ok) -> None:
        self.current_output = str(reply.data.get("current", ""))
        self.outputs = shown_outputs(self.current_output, list(reply.data.get("choices", [])))

    def choose_output(self, index: int) -> None:
        spec = self.outputs[index][0]
        if spec != self.current_output:
            App.get_running_app().send(Output(spec=spec), lambda _reply: self._ask_outputs())


load_kv_beside(__file__)
