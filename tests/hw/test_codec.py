"""The panel's frame codec: the wire bytes, and what line noise can and cannot do."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hw.panel.events import ControlPressed, KnobTurned, event_from_message
from hw.panel.firmware import panel_codec as codec
from tests.hw.noisy_line import false_events, noisy_line


def test_crc_is_ccitt_false():
    assert codec.crc16(b"123456789") == 0x29B1  # the catalogue check value
    assert codec.crc16(b"") == 0xFFFF


def test_a_press_on_the_wire():
    frame = codec.encode(codec.PRESS, 7, 2, codec.LONG)
    # zero · COBS(version 1, PRESS, seq 7, preset 2, long, CRC) · zero
    assert frame == bytes.fromhex("00 08 01 02 07 02 01 a5 e6 00")
    assert codec.decode(frame[1:-1]) == (codec.PRESS, 7, (2, 1))


@given(st.binary(max_size=600))
def test_cobs_round_trips_and_never_contains_zero(data):
    encoded = codec.cobs_encode(data)
    assert 0 not in encoded
    assert codec.cobs_decode(encoded) == data


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (codec.KNOB, (-3,)),
        (codec.KNOB, (127,)),
        (codec.PRESS, (0, codec.SHORT)),
        (codec.IGNITION, (0,)),
        (codec.LIGHT, (1000,)),
        (codec.HEARTBEAT, (2**32 - 1, 3)),
        (codec.ACK, (255,)),
        (codec.LEDS, (0b10101,)),
        (codec.BACKLIGHT, (0,)),
    ],
)
def test_every_kind_round_trips(kind, fields):
    reader = codec.FrameReader()
    assert reader.feed(codec.encode(kind, 200, *fields)) == [(kind, 200, fields)]


def test_noise_before_between_and_inside_frames_is_dropped_and_the_next_frame_survives():
    press = codec.encode(codec.PRESS, 1, 3, codec.SHORT)
    reader = codec.FrameReader()
    stream = b"\x13\x37\xff" + press + press[:4] + press + bytes(range(1, 200)) * 3 + press
    assert [seq for _, seq, _ in reader.feed(stream)] == [1, 1, 1]
    assert reader.dropped == 3  # the leading noise, the cut frame, the runaway noise


@pytest.mark.parametrize(
    "message",
    [
        bytes((2, codec.PRESS, 1, 3, 0)),  # a version this unit does not speak
        bytes((1, 0x42, 1, 3, 0)),  # an unknown type
        bytes((1, codec.PRESS, 1, 3)),  # a PRESS one byte short
        bytes((1, codec.PRESS, 1, 3, 0, 9)),  # one byte long
    ],
)
def test_frames_with_a_good_crc_but_a_bad_shape_are_dropped(message):
    crc = codec.crc16(message)
    frame = b"\x00" + codec.cobs_encode(message + bytes((crc >> 8, crc & 0xFF))) + b"\x00"
    reader = codec.FrameReader()
    assert reader.feed(frame) == []
    assert reader.dropped == 1


def test_out_of_range_values_are_not_events():
    assert event_from_message(codec.PRESS, (9, 0)) is None  # no control 9
    assert event_from_message(codec.PRESS, (2, 7)) is None  # no press kind 7
    assert event_from_message(codec.IGNITION, (2,)) is None
    assert event_from_message(codec.LIGHT, (1001,)) is None
    assert event_from_message(codec.KNOB, (0,)) is None  # no turn at all
    assert event_from_message(codec.PRESS, (2, 1)) == ControlPressed(2, True)
    assert event_from_message(codec.KNOB, (-2,)) == KnobTurned(-2)


def test_at_a_bit_error_rate_of_one_in_a_thousand_no_false_event_gets_through():
    """Every frame sent is one event; bits flipped at random on the line must never turn a
    frame into a different event (a wrong press is worse than a lost one, which the panel
    resends)."""
    sent, line, flipped = noisy_line(random.Random(1234), 20_000, 1e-3)
    received = codec.FrameReader().feed(line)
    assert flipped > 1000  # the noise really was there
    assert false_events(sent, received) == []
    assert len(received) > 0.8 * len(sent)  # most frames still arrive
