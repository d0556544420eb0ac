"""VolumeRamp: what a listener hears when the volume changes — no clicks, exact end points."""

from __future__ import annotations

import numpy as np
import pytest

from device.audio.volume import RANGE_DB, VolumeRamp, percent_to_gain

RATE = 48_000
BLOCK = 960


def stereo(left: np.ndarray) -> np.ndarray:
    """Interleaved int16 with the same signal on both channels."""
    return np.repeat(left.astype(np.int16), 2)


def sine(frames: int, *, hz: float = 1000.0, amplitude: int = 30000) -> np.ndarray:
    return np.rint(amplitude * np.sin(2 * np.pi * hz * np.arange(frames) / RATE)).astype(np.int16)


def play(ramp: VolumeRamp, samples: np.ndarray, *, block: int = BLOCK) -> np.ndarray:
    out = samples.copy()
    for start in range(0, len(out), block * 2):
        ramp.apply(out[start : start + block * 2])
    return out


def test_the_curve_is_silence_unity_and_equal_decibel_steps_between() -> None:
    assert percent_to_gain(0) == 0.0
    assert percent_to_gain(100) == 1.0
    assert 20 * np.log10(percent_to_gain(50)) == pytest.approx(-RANGE_DB / 2)
    steps_db = np.diff([20 * np.log10(percent_to_gain(p)) for p in range(1, 101)])
    np.testing.assert_allclose(steps_db, RANGE_DB / 100)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percent_to_gain(101)


def test_full_volume_is_bit_exact_passthrough() -> None:
    ramp = VolumeRamp(max_frames=BLOCK)
    signal = stereo(np.arange(-32768, 32767, 7)[: BLOCK * 5])
    np.testing.assert_array_equal(play(ramp, signal), signal)


def test_zero_volume_is_exact_silence_once_the_ramp_is_over() -> None:
    ramp = VolumeRamp(max_frames=BLOCK, percent=0)
    assert not play(ramp, stereo(sine(BLOCK * 3))).any()


@pytest.mark.parametrize("signal_name", ["dc", "sine"])
def test_muting_a_loud_signal_ramps_without_a_click(signal_name: str) -> None:
    frames = BLOCK * 6
    left = np.full(frames, 32767, np.int16) if signal_name == "dc" else sine(frames)
    ramp = VolumeRamp(max_frames=BLOCK, ramp_ms=30)
    out = play(ramp, stereo(left)[: 2 * BLOCK])
    ramp.set_percent(0)
    out = np.concatenate([out, play(ramp, stereo(left)[2 * BLOCK :])])
    heard = out[0::2].astype(np.int64)
    # Sample-to-sample change: the signal's own slope plus full scale over the ramp's length.
    own_slope = np.abs(np.diff(left.astype(np.int64))).max()
    ramp_slope = 32767 / (RATE * 0.030)
    assert np.abs(np.diff(heard)).max() <= own_slope + ramp_slope + 1
    # The ramp lasts 30 ms (1440 frames, crossing a block join), then it is exactly silent.
    if signal_name == "dc":
        assert heard[BLOCK + 1438] == round(32767 / 1440)
    assert not heard[BLOCK + 1439 :].any()
    assert ramp.gain == ramp.target_gain == 0.0


def test_a_small_change_takes_less_time_than_a_full_swing_and_lands_exactly() -> None:
    ramp = VolumeRamp(max_frames=BLOCK, ramp_ms=30)
    ramp.set_percent(90)  # unity -> -6 dB: half of full scale, so half the ramp time
    dc = stereo(np.full(BLOCK * 2, 20000, np.int16))
    heard = play(ramp, dc)[0::2]
    target = round(20000 * percent_to_gain(90))
    settle = int(np.argmax(heard == target))
    assert 0 < settle <= 1440 // 2 + 1
    assert (heard[settle:] == target).all()
    assert ramp.gain == percent_to_gain(90)


def test_turning_up_from_silence_ramps_to_bit_exact_unity() -> None:
    ramp = VolumeRamp(max_frames=BLOCK, percent=0)
    ramp.set_percent(100)
    signal = stereo(sine(BLOCK * 4))
    out = play(ramp, signal)
    np.testing.assert_array_equal(out[4 * BLOCK :], signal[4 * BLOCK :])  # after 1440 frames
    assert np.abs(np.diff(out[0::2].astype(np.int64))).max() <= 30000 * 2 * np.pi / 48 + 23


def test_the_result_never_wraps_around_at_full_scale() -> None:
    ramp = VolumeRamp(max_frames=BLOCK, percent=99)
    extremes = stereo(np.array([-32768, 32767] * (BLOCK // 2), np.int16))
    out = play(ramp, extremes)[0::2]
    assert (out[0::2] < 0).all() and (out[1::2] > 0).all()


def test_blocks_larger_than_the_buffers_are_refused() -> None:
    ramp = VolumeRamp(max_frames=BLOCK)
    with pytest.raises(ValueError, match="exceeds max_frames"):
        ramp.apply(np.zeros((BLOCK + 1) * 2, np.int16))
