"""Ignition sense ignores cranking dips; light is averaged and reported on change or every 10 s."""

from __future__ import annotations

from hw.panel.firmware.sensing import (
    IGNITION_STABLE_MS,
    LIGHT_REFRESH_MS,
    LIGHT_SAMPLE_MS,
    LIGHT_WINDOW,
    Ignition,
    Light,
)

FULL = 65535


def reports(sensor: Ignition | Light, timeline: dict[int, int], until_ms: int) -> list[tuple]:
    """Feed ``sensor`` every ms like the firmware; ``timeline`` maps a ms to the input from
    then on. Returns (ms, value) for each report."""
    value, found = 0, []
    for now in range(until_ms):
        value = timeline.get(now, value)
        report = sensor.update(value, now)
        if report is not None:
            found.append((now, report))
    return found


def ignition_reports(timeline: dict[int, int], until_ms: int) -> list[tuple[int, int]]:
    return reports(Ignition(), timeline, until_ms)


def light_reports(readings: dict[int, int], until_ms: int) -> list[tuple[int, int]]:
    return reports(Light(), readings, until_ms)


def test_ignition_is_reported_once_known_after_boot():
    assert ignition_reports({0: 1}, 2000) == [(IGNITION_STABLE_MS, 1)]
    assert ignition_reports({0: 0}, 2000) == [(IGNITION_STABLE_MS, 0)]


def test_cranking_dips_are_ignored():
    # ignition on, then the starter pulls the line away three times, up to 499 ms
    timeline = {0: 1, 1000: 0, 1300: 1, 1400: 0, 1899: 1, 1950: 0, 1960: 1}
    assert ignition_reports(timeline, 4000) == [(IGNITION_STABLE_MS, 1)]


def test_ignition_off_for_500_ms_is_reported_then_on_again():
    timeline = {0: 1, 1000: 0, 3000: 1}
    assert ignition_reports(timeline, 5000) == [
        (IGNITION_STABLE_MS, 1),
        (1000 + IGNITION_STABLE_MS, 0),
        (3000 + IGNITION_STABLE_MS, 1),
    ]


def test_light_is_first_reported_when_the_window_is_full():
    first_report_at = (LIGHT_WINDOW - 1) * LIGHT_SAMPLE_MS
    assert light_reports({0: FULL // 2}, 1000) == [(first_report_at, 500)]


def test_steady_light_is_reported_again_every_10_s():
    reports = light_reports({0: FULL // 4}, 25_000)
    assert [permille for _, permille in reports] == [250, 250, 250]
    assert reports[1][0] - reports[0][0] == LIGHT_REFRESH_MS


def test_a_change_of_4_percent_waits_and_6_percent_is_reported():
    reports = light_reports({0: FULL // 2, 2000: FULL * 54 // 100, 5000: FULL * 60 // 100}, 8000)
    assert [permille for _, permille in reports][:1] == [500]
    later = [(when, permille) for when, permille in reports if when > 1000]
    assert len(later) == 1  # 540 never moved more than 50 from 500; 600 did
    when, permille = later[0]
    assert 5000 < when <= 5000 + LIGHT_WINDOW * LIGHT_SAMPLE_MS
    assert 550 < permille <= 600


def test_one_bright_flash_is_averaged_away():
    # a streetlight: one sample at +30 % moves the 8-sample mean by under 4 %
    flash = {0: FULL // 5, 1500: FULL // 2, 1501: FULL // 5}
    assert [permille for _, permille in light_reports(flash, 5000)] == [200]
