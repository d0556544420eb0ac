"""LinearResampler: pitch kept, length exact over many blocks, no seams at block joins."""

from __future__ import annotations

import numpy as np
import pytest

from device.audio.resample import LinearResampler

IN_RATE = 48_000
BLOCK = 960


def sine_stereo(frames: int, *, hz: float = 1000.0, amplitude: int = 20000) -> np.ndarray:
    t = np.arange(frames) / IN_RATE
    left = np.rint(amplitude * np.sin(2 * np.pi * hz * t))
    right = np.rint(amplitude * np.cos(2 * np.pi * hz * t))
    return np.column_stack([left, right]).astype(np.int16).reshape(-1)


def run_in_blocks(resampler: LinearResampler, samples: np.ndarray, block: int) -> np.ndarray:
    pieces = [
        resampler.process(samples[start : start + block * 2]).copy()
        for start in range(0, len(samples), block * 2)
    ]
    return np.concatenate(pieces)


def peak_hz(channel: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel))))
    return float(np.argmax(spectrum) * rate / len(channel))


@pytest.mark.parametrize("out_rate", [44_100, 16_000])
def test_a_1khz_tone_stays_1khz(out_rate: int) -> None:
    resampler = LinearResampler(IN_RATE, out_rate, channels=2, max_in_frames=BLOCK)
    out = run_in_blocks(resampler, sine_stereo(IN_RATE), BLOCK)  # one second
    left = out[0::2].astype(np.float64)
    assert peak_hz(left, out_rate) == pytest.approx(1000.0, abs=2.0)
    crossings = np.count_nonzero(np.diff(np.signbit(left)))
    assert crossings == pytest.approx(2000, abs=2)


@pytest.mark.parametrize("out_rate", [44_100, 16_000, 32_000, 96_000])
def test_the_output_length_follows_the_rate_ratio_without_drift(out_rate: int) -> None:
    resampler = LinearResampler(IN_RATE, out_rate, channels=2, max_in_frames=BLOCK)
    produced = 0
    for blocks in range(1, 3001):  # one minute of 20 ms blocks
        produced += len(resampler.process(np.zeros(BLOCK * 2, np.int16))) // 2
        ideal = blocks * BLOCK * out_rate / IN_RATE
        # Behind the ideal count only by the interpolation look-ahead: one input frame.
        assert ideal - out_rate / IN_RATE - 1 < produced <= ideal
    assert produced == -(-(3000 * BLOCK - 1) * out_rate // IN_RATE)


@pytest.mark.parametrize("out_rate", [44_100, 16_000])
def test_block_joins_leave_no_seam(out_rate: int) -> None:
    """Blockwise output equals converting the whole signal at once, with odd block sizes too."""
    signal = sine_stereo(IN_RATE // 2, hz=997.0)
    whole = LinearResampler(IN_RATE, out_rate, channels=2, max_in_frames=IN_RATE // 2)
    reference = whole.process(signal).copy()
    for block in (960, 480, 441, 7):
        blockwise = run_in_blocks(
            LinearResampler(IN_RATE, out_rate, channels=2, max_in_frames=block), signal, block
        )
        np.testing.assert_array_equal(blockwise, reference)
    # And the whole is smooth: no step beyond the tone's own steepest slope.
    max_step = 20000 * 2 * np.pi * 997.0 / out_rate
    assert np.abs(np.diff(reference[0::2].astype(np.int64))).max() <= max_step + 1


def test_samples_are_interpolated_between_their_neighbours() -> None:
    resampler = LinearResampler(4, 3, channels=1, max_in_frames=8)
    # Output k sits at input position 4k/3: 0, 1.33, 2.67, 4, 5.33, 6.67 (8 would need frame 9)
    out = resampler.process(np.array([0, 300, 600, 900, 1200, 1500, 1800, 2100], np.int16))
    np.testing.assert_array_equal(out, [0, 400, 800, 1200, 1600, 2000])


def test_48k_to_48k_is_identity_after_one_frame_of_look_ahead() -> None:
    resampler = LinearResampler(IN_RATE, IN_RATE, channels=2, max_in_frames=BLOCK)
    signal = sine_stereo(BLOCK * 3)
    out = run_in_blocks(resampler, signal, BLOCK)
    np.testing.assert_array_equal(out, signal[:-2])


def test_oversized_blocks_are_refused() -> None:
    resampler = LinearResampler(IN_RATE, 44_100, channels=2, max_in_frames=BLOCK)
    with pytest.raises(ValueError, match="exceeds max_in_frames"):
        resampler.process(np.zeros((BLOCK + 1) * 2, np.int16))
