"""Lag from the pilot's time markers: when each programme second was heard vs produced.

The studio mixes a 3 kHz marker into programme sample ``k * 48000`` for every whole second
*k*; the room source sends that sample at about ``source.start_monotonic + k``. Finding the
markers in a listener's PCM and knowing when each PCM sample reached (or would reach) the
output gives the listener's lag behind the source, marker by marker.

Which *k* a marker is: consecutive markers one second apart form a run, so only the run's
first *k* is unknown. Causality settles it: no marker can arrive before it was produced, and
after the server's burst a listener receives audio within well under a second of its
production, so ``k0 = floor(min_i(arrived_i - start - i))`` for the run's markers ``i``.

Pure functions, no I/O; times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from studio import pilot

RATE = pilot.RATE_HZ
BYTES_PER_FRAME = 4
RUN_TOLERANCE_SAMPLES = 96  # 2 ms: a marker further off starts a new run (audio was cut)


@dataclass(frozen=True)
class MarkerLag:
    second: int  # programme second k
    arrived_at: float  # when the marker's PCM became available (pipe) or was written (file)
    heard_at: float  # when it was (or would be) heard
    lag_s: float  # heard_at - production time of second k


def runs_of_markers(markers: Sequence[int]) -> list[list[tuple[int, int]]]:
    """Split marker sample indices into runs of whole seconds: lists of (index in run, sample)."""
    runs: list[list[tuple[int, int]]] = []
    for sample in markers:
        if runs:
            first = runs[-1][0][1]
            index = round((sample - first) / RATE)
            if index > runs[-1][-1][0] and abs(sample - first - index * RATE) <= (
                RUN_TOLERANCE_SAMPLES
            ):
                runs[-1].append((index, sample))
                continue
        runs.append([(0, sample)])
    return runs


def marker_lags(
    markers: Sequence[int],
    source_start: float,
    arrived_at: Callable[[int], float],
    heard_at: Callable[[int], float],
) -> list[MarkerLag]:
    """Lag of every marker; ``arrived_at``/``heard_at`` map a PCM frame index to a time."""
    lags: list[MarkerLag] = []
    for run in runs_of_markers(markers):
        first_second = math.floor(
            min(arrived_at(sample) - source_start - index for index, sample in run)
        )
        for index, sample in run:
            second = first_second + index
            heard = heard_at(sample)
            lags.append(
                MarkerLag(second, arrived_at(sample), heard, heard - (source_start + second))
            )
    return lags


class PipeTimeline:
    """Times for PCM that arrived on a pipe in timestamped chunks.

    ``arrived_at(frame)`` is when the chunk holding that frame was read. ``heard_at(frame)``
    models a player that starts its sound card with the first chunk and then plays every
    frame it received, in order, in real time, waiting (an underrun) only when the pipe is
    empty: what mpv or ffmpeg do when they play to a device. A real device's own buffer
    comes on top.
    """

    def __init__(self, chunks: Sequence[tuple[float, int]]) -> None:
        self._times = [t for t, _ in chunks]
        self._ends = [end for _, end in chunks]  # cumulative byte count after each chunk
        self._play_starts: list[float] = []
        clock = -math.inf
        previous_end = 0
        for t, end in chunks:
            start = max(t, clock)
            self._play_starts.append(start)
            clock = start + (end - previous_end) / (RATE * BYTES_PER_FRAME)
            previous_end = end

    def _chunk(self, frame: int) -> int:
        index = bisect_right(self._ends, frame * BYTES_PER_FRAME)
        return min(index, len(self._ends) - 1)

    def arrived_at(self, frame: int) -> float:
        return self._times[self._chunk(frame)]

    def heard_at(self, frame: int) -> float:
        index = self._chunk(frame)
        chunk_start = self._ends[index - 1] if index else 0
        offset_s = (frame * BYTES_PER_FRAME - chunk_start) / (RATE * BYTES_PER_FRAME)
        return self._play_starts[index] + offset_s

    def surplus_s(self) -> float:
        """Audio received beyond the time spent receiving it: the server's burst, roughly."""
        if not self._times:
            return math.nan
        received_s = self._ends[-1] / (RATE * BYTES_PER_FRAME)
        return received_s - (self._times[-1] - self._times[0])


def find_markers_long(pcm: bytes, window_s: float = 20.0) -> list[int]:
    """:func:`studio.pilot.find_markers` over a long capture, window by window (bounded memory)."""
    frames = len(pcm) // BYTES_PER_FRAME
    window, margin = int(window_s * RATE), RATE // 2
    found: list[int] = []
    for start in range(0, frames, window):
        low, high = max(0, start - margin), min(frames, start + window + margin)
        for marker in pilot.find_markers(pcm[low * BYTES_PER_FRAME : high * BYTES_PER_FRAME]):
            if start <= low + marker < start + window:
                found.append(low + marker)
    return found


def spacing_report(markers: Sequence[int], frame_samples: int = 960) -> dict[str, object]:
    """How the heard audio kept time: marker intervals should be exactly one second.

    An interval longer by whole Opus frames is road mode growing its buffer (a quiet frame
    followed by one frame of concealment); the total should equal the engine's
    ``stretched_ms``. Anything else means audio was skipped, repeated or replaced by a gap.
    Every irregular interval is listed as (seconds into the capture, excess ms).
    """
    tolerance = RATE // 1000  # 1 ms
    exact = 0
    stretch_ms = 0.0
    stretches: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    for first, second in itertools.pairwise(markers):
        excess = second - first - RATE
        frames = round(excess / frame_samples)
        where = (round(first / RATE, 2), round(excess * 1000 / RATE, 1))
        if abs(excess) <= tolerance:
            exact += 1
        elif frames > 0 and abs(excess - frames * frame_samples) <= tolerance:
            stretches.append(where)
            stretch_ms += excess * 1000 / RATE
        else:
            other.append(where)
    return {
        "intervals": max(len(markers) - 1, 0),
        "exact_1s": exact,
        "lengthened_by_whole_frames": len(stretches),
        "lengthened_total_ms": round(stretch_ms, 1),
        "lengthened": stretches,
        "other_deviations": other,
    }
