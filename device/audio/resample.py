"""Streaming sample-rate conversion for devices that cannot play 48 kHz.

``LinearResampler`` converts interleaved int16 blocks with linear interpolation between
neighbouring input frames. It is a stream, not a per-block function: the last input frame of
each block is kept for the next one and output positions are counted exactly in integers, so

* the output is identical whether the input comes in one piece or in many blocks (no clicks at
  block joins), and
* after N input frames exactly ``ceil((N - 1) * out_rate / in_rate)`` frames have come out (no
  drift, however long it runs; the one frame of delay is the interpolation look-ahead).

Linear interpolation is enough for the car's DAC fallbacks (44.1 kHz, 32 kHz); it has no
anti-alias filter, so downsampling far below 48 kHz (e.g. 16 kHz) folds content above the new
Nyquist frequency back into the band.

Threading: one render thread owns an instance; nothing here is shared.
"""

from __future__ import annotations

from math import gcd

import numpy as np


class LinearResampler:
    """Converts int16 interleaved PCM from ``in_rate`` to ``out_rate``, block by block.

    All buffers are allocated here for input blocks up to ``max_in_frames`` frames.
    """

    def __init__(self, in_rate: int, out_rate: int, *, channels: int, max_in_frames: int) -> None:
        if min(in_rate, out_rate, channels, max_in_frames) <= 0:
            raise ValueError("rates, channels and max_in_frames must be positive")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = channels
        self.max_in_frames = max_in_frames
        common = gcd(in_rate, out_rate)
        # Every `_period_out` output frames advance exactly `_period_in` input frames; positions
        # are kept relative to the start of the current period so the integers stay small.
        self._period_in = in_rate // common
        self._period_out = out_rate // common
        self._next_out = 0  # index of the next output frame within the current period
        self._origin_in = 0  # absolute input frame index where the current period starts
        self._frames_in = 0  # absolute input frames consumed so far
        self.max_out_frames = self.max_output_frames(max_in_frames)
        # _history[0] holds the previous block's last frame, the new block follows it.
        self._history = np.zeros((max_in_frames + 1, channels), dtype=np.float64)
        self._ramp = np.arange(self.max_out_frames, dtype=np.int64)
        self._numer = np.empty(self.max_out_frames, dtype=np.int64)
        self._index = np.empty(self.max_out_frames, dtype=np.int64)
        self._remainder = np.empty(self.max_out_frames, dtype=np.int64)
        self._frac = np.empty(self.max_out_frames, dtype=np.float64)
        self._left = np.empty((self.max_out_frames, channels), dtype=np.float64)
        self._right = np.empty((self.max_out_frames, channels), dtype=np.float64)
        self._out = np.empty((self.max_out_frames, channels), dtype=np.int16)

    def max_output_frames(self, in_frames: int) -> int:
        """An upper bound on the frames one call with ``in_frames`` input frames returns."""
        return -(-in_frames * self.out_rate // self.in_rate) + 1

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Convert one block (1-D int16, interleaved); returns a view of an internal buffer.

        The returned view stays valid until the next call. An empty result is possible for very
        short input blocks.
        """
        in_frames = samples.shape[0] // self.channels
        if in_frames > self.max_in_frames:
            raise ValueError(f"block of {in_frames} frames exceeds max_in_frames")
        if in_frames == 0:
            return self._out[:0].reshape(-1)
        history = self._history
        history[1 : in_frames + 1] = samples.reshape(-1, self.channels)
        # Absolute input index of history[0] (the frame before this block).
        base = self._frames_in - 1
        self._frames_in += in_frames
        # Output k (relative to the period origin) sits at input position
        # origin + k * period_in / period_out and needs the frame after its floor, so
        # k < (last_usable + 1) * period_out / period_in with last_usable = frames_in - 2.
        span = self._frames_in - 1 - self._origin_in
        end_out = -(-span * self._period_out // self._period_in) if span > 0 else 0
        count = max(0, end_out - self._next_out)
        out = self._out[:count]
        if count:
            self._interpolate(count, base, out)
        self._next_out += count
        history[0] = history[in_frames]
        # Fold whole periods into the origin so the integer positions never grow.
        periods = self._next_out // self._period_out
        self._next_out -= periods * self._period_out
        self._origin_in += periods * self._period_in
        return out.reshape(-1)

    def _interpolate(self, count: int, base: int, out: np.ndarray) -> None:
        numer = self._numer[:count]
        index = self._index[:count]
        remainder = self._remainder[:count]
        frac = self._frac[:count]
        left = self._left[:count]
        right = self._right[:count]
        np.add(self._ramp[:count], self._next_out, out=numer)
        np.multiply(numer, self._period_in, out=numer)
        np.divmod(numer, self._period_out, out=(index, remainder))
        np.divide(remainder, self._period_out, out=frac)
        np.add(index, self._origin_in - base, out=index)  # position within _history
        np.take(self._history, index, axis=0, out=left)
        np.add(index, 1, out=index)
        np.take(self._history, index, axis=0, out=right)
        np.subtract(right, left, out=right)
        np.multiply(right, frac[:, np.newaxis], out=right)
        np.add(left, right, out=left)
        np.rint(left, out=left)
        np.clip(left, -32768, 32767, out=left)
        np.copyto(out, left, casting="unsafe")
