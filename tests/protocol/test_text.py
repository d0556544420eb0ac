"""The lines ``ctl watch`` and the phone's CLI print for events."""

from __future__ import annotations

import pytest

from device.protocol import (
    Car,
    Light,
    NowPlaying,
    Ok,
    Pairing,
    PanelInput,
    PlayerState,
    Power,
    Stats,
)
from device.protocol.catalog_messages import preset_labels
from device.protocol.text import event_line


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            NowPlaying(artist="Mara Okafor", title="Good evening", album="Live", host="Mara"),
            "now playing: Mara Okafor — Good evening (Live)  host: Mara",
        ),
        (
            PlayerState(state="reconnecting", room="http://u/r", volume=40, detail="stalled"),
            "state: reconnecting  room: http://u/r  mode: live  volume: 40  (stalled)",
        ),
        (PlayerState(), "state: idle  mode: live  volume: 50"),
        (
            Stats(depth_ms=900, underruns=1, concealed_ms=20, lag_ms=177),
            "stats: depth 900 ms  underruns 1  concealed 20 ms  skipped 0 ms  missed 0 ms  "
            "gap 0 ms  lag 177 ms",
        ),
        (
            Pairing(state="open", digits="012345", phone="Pixel"),
            "pairing: open  compare 012345  phone: Pixel",
        ),
        (Ok(), "Ok(re=0, data={})"),  # no line of its own: shown as it is
        (Car(driving=True), "car: driving"),
        (Car(driving=False), "car: parked"),
        (Power(state="off", seconds=27), "power: off  powering off in 27 s"),
        (Power(state="powering_off"), "power: powering_off"),
        (Light(permille=125), "light: 12.5 %"),
        (PanelInput(control="knob", action="turn", steps=-2), "panel: knob turn -2"),
        (PanelInput(control="back", action="press"), "panel: back press"),
    ],
)
def test_event_lines(event, line):
    assert event_line(event) == line


def test_preset_labels_fill_their_slots_and_skip_what_is_not_a_slot():
    page = {"items": [{"s": 3, "k": "room", "t": "http://h/x", "n": "X"}, {"s": 9, "n": "bad"}]}
    page["items"] += [{"s": 1, "k": "album", "t": "Lanterns"}, "garbage"]
    assert preset_labels(page) == ["Lanterns", "", "X", ""]


def test_an_output_choice_never_names_a_file():
    """A remote may move the audio between devices, never into a file of its choosing."""
    from device.protocol import Output, ProtocolError

    with pytest.raises(ProtocolError, match="spec must be"):
        Output(spec="file:/var/lib/drivetime/catalog.sqlite")
    assert Output(spec="pyaudio:USB Audio").spec == "pyaudio:USB Audio"
