"""Settings: day/night (or automatic), language, the audio output, about and diagnostics.

The theme and language are the touchscreen's own (kept in ``ui.json``); the audio output is
the engine's, set in the unit's config file, so it is shown here rather than changed.
Diagnostics are the engine's playout counters, live from its ``stats`` events.
"""

from __future__ import annotations

from importlib import metadata

from kivy.uix.screenmanager import Screen

from device.protocol import Stats
from device.ui.i18n import tr
from device.ui.widgets import load_kv_beside


def version() -> str:
    try:
        return metadata.version("drivetime")
    except metadata.PackageNotFoundError:
        return "—"


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
    version = staticmethod(version)
    output_words = staticmethod(output_words)
    diagnostics_words = staticmethod(diagnostics_words)


load_kv_beside(__file__)
