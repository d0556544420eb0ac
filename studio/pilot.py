"""The pilot: signals mixed into every studio programme so captured audio can be checked.

A test that captures what the unit played (a file output, a null sink, the hardware rig's
line-in) must be able to say *which room* it hears and *which moment of the source* each
captured sample is. Two signals answer that; both survive Opus at the bitrates we use:

* **Signature tone** — a steady sine at the room's ``signature_hz`` (between 300 and 2000 Hz,
  a different one per room; see :mod:`studio.rooms`) at -24 dBFS, present whenever the
  programme is not in a talk pause. Over a second or more of audio it is the strongest
  spectral peak in :data:`SIGNATURE_BAND_HZ`; :func:`dominant_frequency` finds it.
* **Time markers** — a 10 ms Hann-shaped burst of :data:`MARKER_HZ` (3 kHz) at -12 dBFS
  peak starting exactly at every whole second of *programme time*: programme sample
  ``k * 48000`` for k = 0, 1, 2, … (programme time runs continuously across the chained
  links; each link's ``DRIVETIME_PROGRAMME_SAMPLE`` tag says where it starts). The rest of
  the programme keeps its energy below 2.6 kHz so nothing else looks like a marker.
  :func:`find_markers` returns the sample index where each burst starts.

Both are mixed into both channels. Functions here take and return interleaved s16le PCM
(``bytes``) at 48 kHz unless told otherwise, and are pure (safe from any thread).
"""

from __future__ import annotations

import numpy as np

RATE_HZ = 48_000
MARKER_HZ = 3_000.0
MARKER_SAMPLES = 480  # 10 ms
MARKER_AMPLITUDE = 0.25  # -12 dBFS peak
SIGNATURE_AMPLITUDE = 0.063  # -24 dBFS
SIGNATURE_BAND_HZ = (250.0, 2500.0)
CONTENT_MAX_HZ = 2_600.0  # programme content stays below this, so markers stand out


def signature_tone(start_sample: int, n_samples: int, signature_hz: float) -> np.ndarray:
    """The room's signature sine for programme samples [start, start + n), phase-continuous."""
    t = (start_sample + np.arange(n_samples, dtype=np.float64)) / RATE_HZ
    # Phase from the absolute sample index keeps the tone continuous across blocks and links.
    cycles = np.mod(t * signature_hz, 1.0)
    return SIGNATURE_AMPLITUDE * np.sin(2 * np.pi * cycles)


def marker_signal(start_sample: int, n_samples: int) -> np.ndarray:
    """The marker bursts falling in programme samples [start, start + n) (zeros elsewhere)."""
    out = np.zeros(n_samples)
    first_second = start_sample // RATE_HZ
    last_second = (start_sample + n_samples - 1) // RATE_HZ
    burst = _marker_burst()
    for second in range(first_second, last_second + 1):
        burst_start = second * RATE_HZ - start_sample
        lo, hi = max(burst_start, 0), min(burst_start + MARKER_SAMPLES, n_samples)
        if lo < hi:
            out[lo:hi] += burst[lo - burst_start : hi - burst_start]
    return out


def find_markers(
    pcm: bytes, rate: int = RATE_HZ, channels: int = 2, *, min_level: float = 0.02
) -> list[int]:
    """Sample (frame) indices in ``pcm`` where a marker burst starts, in order.

    ``min_level`` is the weakest narrow-band 3 kHz level accepted (a clean marker measures
    ≈0.09 full scale); markers also have to reach a third of the loudest one found, which
    keeps encoder ringing from counting. Bursts cut by the start or end of ``pcm`` count if
    their peak is inside it.
    """
    mono = _mono(pcm, channels)
    if mono.size < MARKER_SAMPLES:
        return []
    n = np.arange(mono.size)
    baseband = mono * np.exp(-2j * np.pi * MARKER_HZ / rate * n)
    window = np.hanning(MARKER_SAMPLES)
    level = np.abs(np.convolve(baseband, window / window.sum(), mode="same"))
    threshold = max(min_level, level.max() / 3)
    above = np.flatnonzero(level >= threshold)
    # Contiguous runs above threshold: each is one burst; its level peaks at the burst centre.
    runs = np.split(above, np.flatnonzero(np.diff(above) > 1) + 1) if above.size else []
    markers: list[int] = []
    peaks: list[float] = []
    for run in runs:
        centre = int(run[np.argmax(level[run])])
        onset, peak = centre - MARKER_SAMPLES // 2, float(level[centre])
        if markers and onset - markers[-1] < rate // 4:
            # Ripple around one burst, not a new marker: keep the stronger peak.
            if peak > peaks[-1]:
                markers[-1], peaks[-1] = onset, peak
            continue
        markers.append(onset)
        peaks.append(peak)
    return markers


def dominant_frequency(
    pcm: bytes,
    rate: int = RATE_HZ,
    channels: int = 2,
    *,
    band_hz: tuple[float, float] = SIGNATURE_BAND_HZ,
) -> float:
    """The strongest spectral peak (Hz, ≈0.1 Hz precision) of ``pcm`` within ``band_hz``.

    Feed it at least half a second of non-silent programme to identify a room by its
    signature tone.
    """
    mono = _mono(pcm, channels)
    if mono.size < 64:
        raise ValueError(f"need at least 64 samples to estimate a frequency, got {mono.size}")
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    freqs = np.fft.rfftfreq(mono.size, 1.0 / rate)
    in_band = np.flatnonzero((freqs >= band_hz[0]) & (freqs <= band_hz[1]))
    if in_band.size == 0:
        raise ValueError(f"band {band_hz} Hz holds no FFT bin for {mono.size} samples")
    peak = in_band[np.argmax(spectrum[in_band])]
    offset = 0.0
    if 0 < peak < spectrum.size - 1:
        # Parabolic interpolation of the log magnitude refines the bin to a fraction.
        a, b, c = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        denominator = a - 2 * b + c
        offset = 0.5 * (a - c) / denominator if denominator else 0.0
    return float((peak + offset) * rate / mono.size)


def rms_dbfs(pcm: bytes, channels: int = 2) -> float:
    """RMS level of ``pcm`` in dB relative to full scale (-inf dB for digital silence)."""
    mono = _mono(pcm, channels, mix=False)
    rms = float(np.sqrt(np.mean(mono**2))) if mono.size else 0.0
    return 20 * np.log10(rms) if rms > 0 else float("-inf")


def _marker_burst() -> np.ndarray:
    n = np.arange(MARKER_SAMPLES)
    return (
        MARKER_AMPLITUDE * np.hanning(MARKER_SAMPLES) * np.sin(2 * np.pi * MARKER_HZ / RATE_HZ * n)
    )


def _mono(pcm: bytes, channels: int, *, mix: bool = True) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    usable = samples.size - samples.size % channels
    frames = samples[:usable].reshape(-1, channels)
    return frames.mean(axis=1) if mix else frames.reshape(-1)
