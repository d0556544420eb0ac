"""Debounce and press timing: SHORT before 800 ms, LONG at 800 ms, bounce never a press."""

from hw.panel.firmware import panel_codec as codec
from hw.panel.firmware.buttons import DEBOUNCE_MS, LONG_PRESS_MS, Button, Debouncer
from hw.panel.firmware.ticks import PERIOD, ticks_add


def presses(timeline: dict[int, int], until_ms: int, start_ms: int = 0) -> list[tuple[int, int]]:
    """Sample a button every ms; ``timeline`` maps a ms offset to the level from then on.
    Returns (offset, SHORT/LONG) for each press recognised."""
    button, level, found = Button(), 0, []
    for offset in range(until_ms):
        level = timeline.get(offset, level)
        kind = button.update(level, ticks_add(start_ms, offset))
        if kind is not None:
            found.append((offset, kind))
    return found


def test_the_debounced_level_changes_only_after_holding_still():
    debouncer = Debouncer(0)
    assert not debouncer.update(1, 100)
    assert not debouncer.update(1, 100 + DEBOUNCE_MS - 1)
    assert debouncer.update(1, 100 + DEBOUNCE_MS)
    assert debouncer.level == 1
    assert debouncer.since == 100  # the edge, not the moment it was confirmed


def test_chatter_shorter_than_the_debounce_never_changes_the_level():
    debouncer = Debouncer(0)
    for now in range(200):
        assert not debouncer.update((now // 7) % 2, now)  # 7 ms on, 7 ms off
    assert debouncer.level == 0


def test_a_short_press_is_reported_once_on_release():
    assert presses({0: 1, 150: 0}, 400) == [(150 + DEBOUNCE_MS, codec.SHORT)]


def test_held_799_ms_is_short_and_800_ms_is_long_at_the_moment_it_becomes_long():
    assert presses({0: 1, 799: 0}, 1200) == [(799 + DEBOUNCE_MS, codec.SHORT)]
    assert presses({0: 1, 801: 0}, 1200) == [(LONG_PRESS_MS, codec.LONG)]


def test_a_long_press_reports_nothing_more_on_release():
    assert presses({0: 1, 3000: 0}, 3500) == [(LONG_PRESS_MS, codec.LONG)]


def test_let_go_exactly_at_800_ms_is_long_when_the_release_is_confirmed():
    # the sample at 800 already reads released, so no sample saw it held 800 ms
    assert presses({0: 1, 800: 0}, 1200) == [(800 + DEBOUNCE_MS, codec.LONG)]


def test_bounce_on_press_and_release_makes_one_press_timed_from_the_settled_edge():
    bouncy = {0: 1, 2: 0, 3: 1, 5: 0, 6: 1, 300: 0, 302: 1, 303: 0}
    assert presses(bouncy, 600) == [(303 + DEBOUNCE_MS, codec.SHORT)]


def test_a_bounce_while_held_does_not_end_the_press():
    assert presses({0: 1, 400: 0, 405: 1}, 1200) == [(LONG_PRESS_MS, codec.LONG)]


def test_timing_holds_across_the_ticks_wrap():
    start = PERIOD - 300  # the Pico's ms counter wraps 300 ms into the press
    assert presses({0: 1, 799: 0}, 1200, start) == [(799 + DEBOUNCE_MS, codec.SHORT)]
    assert presses({0: 1, 900: 0}, 1200, start) == [(LONG_PRESS_MS, codec.LONG)]
