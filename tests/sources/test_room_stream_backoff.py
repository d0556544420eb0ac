"""Retry delays and the RoomStream config that drives them."""

from __future__ import annotations

import random
from unittest import mock

import pytest

from device.sources.backoff import Backoff
from device.sources.room_stream import RoomStream, RoomStreamConfig


def fixed_rng(value: float) -> random.Random:
    return mock.Mock(spec=random.Random, **{"random.return_value": value})


def test_delays_double_up_to_the_cap():
    backoff = Backoff(0.25, 3.0, jitter=0.5, rng=fixed_rng(0.0))
    assert [backoff.next_delay_s() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_takes_at_most_its_fraction_off():
    backoff = Backoff(1.0, 1.0, jitter=0.5, rng=fixed_rng(0.999))
    assert backoff.next_delay_s() == pytest.approx(0.5005)


def test_jittered_delays_stay_within_bounds_and_spread():
    backoff = Backoff(0.25, 15.0, jitter=0.5, rng=random.Random(3))
    delays = [backoff.next_delay_s() for _ in range(200)]
    for index, delay_s in enumerate(delays):
        base_s = min(15.0, 0.25 * 2**index)
        assert base_s * 0.5 < delay_s <= base_s
    assert max(delays[10:]) - min(delays[10:]) > 5.0  # capped ones differ: no lockstep


def test_reset_starts_again_from_the_initial_delay():
    backoff = Backoff(0.25, 15.0, jitter=0.0)
    for _ in range(5):
        backoff.next_delay_s()
    backoff.reset()
    assert [backoff.next_delay_s() for _ in range(2)] == [0.25, 0.5]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.0, 1.0, 0.5), "initial backoff must be > 0"),
        ((2.0, 1.0, 0.5), "max backoff 1.0 s is below the initial 2.0 s"),
        ((0.25, 1.0, 1.5), r"jitter is a fraction in \[0, 1\]"),
    ],
)
def test_bad_backoff_settings_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        Backoff(*args)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stall_timeout_s": 0}, "stall_timeout_s must be > 0"),
        ({"connect_timeout_s": -1}, "connect_timeout_s must be > 0"),
        ({"read_chunk": 0}, "read_chunk must be >= 1"),
        ({"backoff_max_s": 0.1}, "below the initial"),
        ({"healthy_after_s": -1}, "healthy_after_s must be >= 0"),
    ],
)
def test_bad_stream_config_is_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        RoomStreamConfig(**settings)


def test_bad_url_is_refused_when_the_stream_is_made_not_later():
    with pytest.raises(ValueError, match="https rooms are not supported yet"):
        RoomStream(
            "https://radio.example/room",
            on_connected=print,
            on_data=print,
            on_state=print,
        )
