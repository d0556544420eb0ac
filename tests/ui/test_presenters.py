"""What the screens say, worked out from engine messages, and the rule arithmetic."""

from __future__ import annotations

import pytest

from device.protocol import Pause, Resume
from device.ui import presenters, rules
from device.ui.theme import THEMES


def test_contrast_ratio_matches_wcag_reference_values():
    assert rules.contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert rules.contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1.0)
    # #767676 on white is the classic just-passing grey: 4.54:1
    grey = (0x76 / 255,) * 3
    assert rules.contrast_ratio(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", THEMES.values(), ids=lambda t: t.name)
def test_pressed_buttons_keep_their_text_readable(theme):
    """The widget walk sees buttons at rest; a finger on one shows the pressed colours."""
    for fill in (theme.control_pressed, theme.accent_pressed):
        text = theme.accent_text if fill is theme.accent_pressed else theme.control_text
        assert rules.contrast_ratio(text, fill) >= rules.TEXT_CONTRAST


def test_rooms_and_files_get_readable_names_before_the_catalog_names_them():
    assert presenters.room_display("http://10.0.0.5:8000/late-jazz.opus") == (
        "Late jazz",
        "10.0.0.5:8000",
    )
    assert presenters.room_display("/media/usb/Lanterns/01 Night Bus.flac") == (
        "Lanterns",
        "Local music",
    )
    assert presenters.room_display("") == ("", "")


def test_play_pause_follows_the_player_state():
    assert isinstance(presenters.play_pause_command("playing"), Pause)
    assert isinstance(presenters.play_pause_command("reconnecting"), Pause)
    assert isinstance(presenters.play_pause_command("paused"), Resume)
    assert presenters.play_pause_command("idle") is None
    assert presenters.play_pause_label("buffering") == "Pause"
    assert presenters.play_pause_label("paused") == "Play"


def test_volume_steps_stay_within_range():
    assert presenters.stepped_volume(50, +1) == 55
    assert presenters.stepped_volume(98, +1) == 100
    assert presenters.stepped_volume(3, -1) == 0


def test_buffer_health_against_the_mode_target():
    live = presenters.buffer_health(120, "live", 120)
    assert (live.words, live.fill, live.low) == ("Buffer 0.12 s", 1.0, False)
    assert presenters.buffer_health(20, "live", 120).low
    road = presenters.buffer_health(12_000, "road", 30_000)
    assert (road.words, road.fill, road.low) == ("Buffer 12 of 30 s", 0.4, False)
    assert presenters.buffer_health(1_500, "road", 30_000).low
    assert presenters.buffer_health(-1, "live", 120).words == "Buffer —"


def test_a_long_press_stores_the_room_or_the_album_playing():
    room = presenters.preset_to_store(2, "http://h/x.opus", "Late Jazz", "", "")
    assert (room.slot, room.kind, room.target, room.label) == (
        2,
        "room",
        "http://h/x.opus",
        "Late Jazz",
    )
    album = presenters.preset_to_store(1, "/m/a.flac", "", "Ella", "Motorway Standards")
    assert (album.kind, album.target) == ("album", "Motorway Standards")
    assert presenters.preset_to_store(1, "", "", "", "") is None
