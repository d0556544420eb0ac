"""Volume: a perceptual percent-to-gain curve and a click-free gain ramp for int16 PCM.

Curve (``percent_to_gain``): 0 % is silence, 100 % is unity gain, and every step in between is
the same number of decibels — ``gain_db = (percent - 100) * RANGE_DB / 100`` with a 60 dB range,
so 50 % is -30 dB and 1 % is -59.4 dB. Equal knob steps then sound like equal loudness steps,
which a linear amplitude curve does not (its top half would barely change the loudness).

Ramp (``VolumeRamp``): when the target changes, the gain moves towards it linearly at a fixed
slope (full scale, unity to silence, in ``ramp_ms``), one gain value per frame, continued across
blocks. A volume change is therefore never a step in the waveform (a step is an audible click).
"""

from __future__ import annotations

import numpy as np

RANGE_DB = 60.0
"""Loudness range covered by 1..100 %."""

DEFAULT_RAMP_MS = 30.0


def percent_to_gain(percent: int) -> float:
    """Linear amplitude gain for a volume percentage (0..100), dB-law as described above."""
    if not 0 <= percent <= 100:
        raise ValueError(f"volume must be 0..100 %, got {percent}")
    if percent == 0:
        return 0.0
    if percent == 100:
        return 1.0  # exactly: unity must stay bit-exact
    return float(10.0 ** ((percent - 100) * RANGE_DB / 100.0 / 20.0))


class VolumeRamp:
    """Applies a smoothly ramped gain, in place, to blocks of interleaved int16 samples.

    Threading: ``set_percent`` may be called from any thread (it only stores a float, atomic under
    the GIL); ``apply`` is called from one render thread only. All work buffers are allocated
    here, once, for blocks up to ``max_frames`` frames.
    """

    def __init__(
        self,
        *,
        max_frames: int,
        channels: int = 2,
        rate: int = 48_000,
        ramp_ms: float = DEFAULT_RAMP_MS,
        percent: int = 100,
    ) -> None:
        if max_frames <= 0 or channels <= 0 or rate <= 0 or ramp_ms <= 0:
            raise ValueError("max_frames, channels, rate and ramp_ms must be positive")
        self.max_frames = max_frames
        self.channels = channels
        # Gain change per frame: a full unity→silence swing takes ramp_ms, smaller ones less.
        self.step_per_frame = 1.0 / (rate * ramp_ms / 1000.0)
        self._target = percent_to_gain(percent)
        self._gain = self._target
        self._steps = np.arange(1, max_frames + 1, dtype=np.float64) * self.step_per_frame
        self._frame_gains = np.empty(max_frames, dtype=np.float64)
        self._work = np.empty((max_frames, channels), dtype=np.float64)

    @property
    def gain(self) -> float:
        """The gain applied to the last frame rendered (what the listener hears now)."""
        return self._gain

    @property
    def target_gain(self) -> float:
        return self._target

    def set_percent(self, percent: int) -> None:
        """Set a new target; the ramp towards it starts with the next block."""
        self._target = percent_to_gain(percent)

    def apply(self, samples: np.ndarray) -> None:
        """Scale ``samples`` (1-D int16, interleaved, whole frames) in place.

        At a steady 100 % the samples are left untouched (bit-exact); at a steady 0 % they are
        zeroed. Results are rounded to nearest (ties to even); no gain exceeds unity, so
        nothing can clip.
        """
        frames = samples.shape[0] // self.channels
        if frames > self.max_frames:
            raise ValueError(f"block of {frames} frames exceeds max_frames={self.max_frames}")
        target = self._target  # read once: another thread may change it meanwhile
        start = self._gain
        if start == target:
            self._apply_constant(samples, target)
            return
        gains = self._frame_gains[:frames]
        if target < start:
            np.subtract(start, self._steps[:frames], out=gains)
            np.maximum(gains, target, out=gains)
        else:
            np.add(start, self._steps[:frames], out=gains)
            np.minimum(gains, target, out=gains)
        self._gain = float(gains[-1]) if frames else start
        if abs(self._gain - target) < 1e-12:
            self._gain = target  # land exactly, so the steady fast paths take over
        self._scale(samples, frames, gains[:, np.newaxis])

    def _apply_constant(self, samples: np.ndarray, gain: float) -> None:
        if gain == 1.0:
            return
        if gain == 0.0:
            samples.fill(0)
            return
        self._scale(samples, samples.shape[0] // self.channels, gain)

    def _scale(self, samples: np.ndarray, frames: int, gain: np.ndarray | float) -> None:
        # Every gain is at most unity (the curve tops out at 1.0 and the ramp never overshoots
        # its target), so |sample * gain| <= 32768 and only -32768 * 1.0 reaches the edge, which
        # int16 holds: no clipping pass is needed. Two ufunc calls, not four: after the render
        # thread's sleep each call costs tens of microseconds of cold-cache dispatch.
        frames_view = samples.reshape(-1, self.channels)
        work = self._work[:frames]
        np.multiply(frames_view, gain, out=work)
        np.rint(work, out=frames_view, casting="unsafe")
