"""The knob's quadrature decoding: one step per detent, whatever the contacts do on the way."""

from hw.panel.firmware.encoder import Encoder

CLOCKWISE = "11 01 00 10 11"  # one detent: A changes first
ANTICLOCKWISE = "11 10 00 01 11"


def turned(*sequences: str) -> int:
    encoder = Encoder()
    for sequence in sequences:
        for state in sequence.split():
            encoder.update(int(state[0]), int(state[1]))
    return encoder.take()


def test_one_detent_each_way():
    assert turned(CLOCKWISE) == 1
    assert turned(ANTICLOCKWISE) == -1


def test_several_detents_count_each_and_take_resets():
    encoder = Encoder()
    for state in (CLOCKWISE + " 01 00 10 11" * 2).split():
        encoder.update(int(state[0]), int(state[1]))
    assert encoder.take() == 3
    assert encoder.take() == 0


def test_repeated_samples_of_one_state_count_once():
    assert turned("11 11 01 01 01 00 00 10 10 11 11") == 1


def test_contact_bounce_at_every_edge_still_makes_one_step():
    bouncy = "11 01 11 01 11 01 00 01 00 10 00 10 11 10 11"
    assert turned(bouncy) == 1
    assert turned(bouncy, bouncy, bouncy) == 3


def test_bounce_around_the_detent_alone_makes_no_step():
    assert turned("11 01 11 01 11 10 11 10 11") == 0


def test_a_half_turn_that_falls_back_makes_no_step():
    assert turned("11 01 00 01 11") == 0
    assert turned("11 10 00 10 11") == 0


def test_reversing_direction_counts_back():
    assert turned(CLOCKWISE, CLOCKWISE, ANTICLOCKWISE) == 1
    assert turned(ANTICLOCKWISE, ANTICLOCKWISE, CLOCKWISE, ANTICLOCKWISE) == -2


def test_a_jump_across_two_states_is_ignored_not_guessed():
    # a missed sample: 01 → 10 changes both lines; direction unknown, so no step at all
    assert turned("11 01 10 11") == 0
    assert turned("11 00 11") == 0


def test_starting_between_detents_counts_from_the_next_full_detent():
    encoder = Encoder(a=0, b=0)
    for state in ("10", "11"):
        encoder.update(int(state[0]), int(state[1]))
    assert encoder.take() == 0
    for state in CLOCKWISE.split():
        encoder.update(int(state[0]), int(state[1]))
    assert encoder.take() == 1
