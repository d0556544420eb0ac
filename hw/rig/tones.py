"""Listening to captured audio: which room's signature tone plays, how loud, or silence.

The studio mixes a steady sine at each room's signature frequency into its programme (muted
during the talk segments' short pauses). The rig tells rooms apart and measures volume
changes by that tone alone: a Goertzel filter at the tone's frequency ignores the music
around it, which an RMS level would not. Everything here takes interleaved s16le PCM
(``bytes``) and is pure, so it runs on any thread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

RATE_HZ = 48_000
CHANNELS = 2
BYTES_PER_FRAME = 2 * CHANNELS
SILENCE_PEAK = 2  # s16 counts: a faded-out unit writes exact zeros; allow dither-level noise
LEVEL_BLOCK_S = 0.25  # levels are measured in blocks this long (see tone_level_dbfs)
FLOOR_DBFS = -120.0  # what a block without the tone measures as
HEARD_DBFS = -90.0  # a signature quieter than this is not heard (the tone is -24 dBFS at 100 %)
PROMINENCE_DB = 12.0  # a room's tone stands this far above its surroundings (heard_signature)


def mono(pcm: bytes, channels: int = CHANNELS) -> np.ndarray:
    """The channels' mean as floats in [-1, 1)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    usable = samples.size - samples.size % channels
    return samples[:usable].reshape(-1, channels).mean(axis=1)


def tone_amplitude(samples: np.ndarray, hz: float, rate: int = RATE_HZ) -> float:
    """Peak amplitude (full scale = 1) of the sine at ``hz`` in ``samples``.

    One DFT bin at exactly ``hz`` — what the Goertzel recurrence computes, done as one dot
    product because a Python loop over samples would cost a core. A Hann window keeps a
    neighbouring tone or partial from leaking in; a pure sine of amplitude A measures A.
    """
    n = samples.size
    if n < 16:
        return 0.0
    window = np.hanning(n)
    phasor = np.exp(-2j * np.pi * hz / rate * np.arange(n))
    return float(2.0 * abs(np.dot(samples * window, phasor)) / window.sum())


def dbfs(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0 else FLOOR_DBFS


def tone_level_dbfs(pcm: bytes, hz: float, block_s: float = LEVEL_BLOCK_S) -> float:
    """The tone's level (dBFS peak) in ``pcm``, as it sounds when it is not muted.

    The studio mutes the tone in talk pauses (up to 0.6 s), so a block overlapping one
    measures low by an amount that depends on where the pause fell. The level is the mean of
    the loudest quarter of the blocks: two measurements of the same tone then compare within
    a few tenths of a dB. Quarter-second blocks resolve the tone (4 Hz) from the programme
    around it, which keeps 30 Hz away from its own room's tone.
    """
    samples = mono(pcm)
    block = int(block_s * RATE_HZ)
    levels = sorted(
        tone_amplitude(samples[i : i + block], hz)
        for i in range(0, samples.size - block + 1, block)
    ) or [tone_amplitude(samples, hz)]
    loudest = levels[-max(1, len(levels) // 4) :]
    return dbfs(sum(loudest) / len(loudest))


def prominence_db(samples: np.ndarray, hz: float) -> float:
    """How far the tone at ``hz`` stands above the spectrum 15-20 Hz either side of it (dB).

    The studio keeps every room's own programme 30 Hz away from its signature, so the room
    playing shows its tone as a narrow peak. Another room's music or voice may carry energy
    at that frequency too, but spread across its neighbours (a voice's pitch wanders).
    """
    level = tone_amplitude(samples, hz)
    around = max(tone_amplitude(samples, hz + offset) for offset in (-20, -15, 15, 20))
    return dbfs(level) - dbfs(around) if around > 0 else (0.0 if level <= 0 else 120.0)


def heard_signature(pcm: bytes, candidates_hz: Iterable[float]) -> float | None:
    """Which candidate signature tone sounds in ``pcm`` (give it about a second), or None.

    A tone counts when it is a narrow peak (:data:`PROMINENCE_DB` above its surroundings)
    and louder than :data:`HEARD_DBFS`; of several, the loudest wins (two rooms heard at once
    is a moment of switching).
    """
    samples = mono(pcm)
    found = [
        (tone_amplitude(samples, hz), hz)
        for hz in candidates_hz
        if prominence_db(samples, hz) >= PROMINENCE_DB
    ]
    found = [(amplitude, hz) for amplitude, hz in found if dbfs(amplitude) >= HEARD_DBFS]
    return max(found)[1] if found else None


def dominant_frequency(pcm: bytes, band_hz: tuple[float, float] = (250.0, 2500.0)) -> float:
    """The strongest spectral peak in ``band_hz`` (Hz, to ~0.5 Hz): what a room sounds like
    when it is none of the expected ones. Give it a second of audio or more."""
    samples = mono(pcm)
    if samples.size < 64:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1.0 / RATE_HZ)
    in_band = np.flatnonzero((freqs >= band_hz[0]) & (freqs <= band_hz[1]))
    peak = int(in_band[np.argmax(spectrum[in_band])])
    a, b, c = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
    curvature = a - 2 * b + c
    offset = 0.5 * (a - c) / curvature if curvature else 0.0  # parabolic refinement
    return float((peak + offset) * RATE_HZ / samples.size)


def silent_from_s(pcm: bytes) -> float | None:
    """Seconds into ``pcm`` from which it stays silent to its end (no sample's magnitude
    above :data:`SILENCE_PEAK`), or None when its end is not silent."""
    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    loud = np.flatnonzero(samples > SILENCE_PEAK)
    if loud.size == 0:
        return 0.0
    last = int(loud[-1]) // CHANNELS + 1
    frames = samples.size // CHANNELS
    return last / RATE_HZ if last < frames else None


def onset_s(pcm: bytes, hz: float, *, hop_s: float = 0.1, gap_s: float = 0.7) -> float:
    """Seconds into ``pcm`` at which the tone at ``hz``, sounding at its end, started.

    Walks back from the end over 0.2 s looks (every ``hop_s``) in which the tone is a peak
    (6 dB above its surroundings) at half its final level or more, across gaps up to
    ``gap_s`` (a talk pause mutes it for up to 0.6 s), to the first look of that run.
    Resolution: ``hop_s``.
    """
    samples = mono(pcm)
    look, hop = int(0.2 * RATE_HZ), int(hop_s * RATE_HZ)
    threshold = 10 ** (tone_level_dbfs(pcm[-RATE_HZ * BYTES_PER_FRAME :], hz) / 20) / 2
    starts = list(range(0, samples.size - look + 1, hop))
    onset, gap = len(starts), 0
    for index in range(len(starts) - 1, -1, -1):
        part = samples[starts[index] : starts[index] + look]
        if tone_amplitude(part, hz) >= threshold and prominence_db(part, hz) >= 6.0:
            onset, gap = index, 0
        else:
            gap += 1
            if gap * hop_s > gap_s:
                break
    return onset * hop_s
