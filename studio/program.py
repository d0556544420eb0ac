"""Programme synthesis: a room's endless, deterministic audio, music and talk in turn.

A :class:`Programme` maps *programme time* (a sample index from 0, continuous across songs)
to 48 kHz stereo audio. The playlist repeats forever; every song lasts ``song_s`` seconds and
is either

* **music** — a chord progression of plucked notes (sine partials 1-3, decaying envelope,
  spread across the stereo field) over a bass line, a kick on every beat and a noise hi-hat
  on the off-beats; tempo, key and progression come from the seed; or
* **talk** — a voiced buzz (harmonics of a wandering pitch) shaped by vowel formants, with
  syllables at ~4 Hz, grouped into phrases separated by genuine pauses of 150-600 ms during
  which the signal (pilot included, markers excepted) is digital silence. The unit's road
  mode grows its buffer during such quiet frames.

On top of both the pilot of :mod:`studio.pilot` is mixed: the room's signature tone (muted in
talk pauses) and a 3 kHz time marker at every whole second of programme time. Content stays
below :data:`studio.pilot.CONTENT_MAX_HZ` so only markers sit at 3 kHz.

The same seed always gives the same samples; a song sounds the same every time the playlist
comes round. Songs are rendered once and kept (s16, 6 bytes per sample with the pilot gate);
:meth:`Programme.prepare` renders them all up front so that a real-time caller never waits
for one. Not thread-safe: one programme per source thread.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from studio import pilot
from studio.rooms import RoomSpec, Song

RATE_HZ = pilot.RATE_HZ
FRAME_SAMPLES = 960  # 20 ms: the unit of everything the studio sends
EDGE_FADE_SAMPLES = 240  # 5 ms fades at song edges and talk pauses, so nothing clicks

# Major-scale degrees (semitones) and progressions (scale-degree roots, 0-based).
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_PROGRESSIONS = ((0, 4, 5, 3), (1, 4, 0, 5), (0, 5, 3, 4), (5, 3, 0, 4))
# Vowel formants (F1, F2, F3) in Hz, roughly /a/ /e/ /i/ /o/ /u/.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (300, 2200, 2550), (570, 840, 2410),
           (300, 870, 2240))  # fmt: skip


class Programme:
    """Endless audio for one room; see the module docstring."""

    def __init__(
        self,
        playlist: Sequence[Song],
        *,
        seed: int,
        signature_hz: float,
        song_s: float = 8.0,
    ) -> None:
        if not playlist:
            raise ValueError("playlist must not be empty")
        song_frames = round(song_s * RATE_HZ / FRAME_SAMPLES)
        if song_frames < 1:
            raise ValueError(f"song_s must be at least 20 ms, got {song_s}")
        self.playlist = tuple(playlist)
        self.seed = seed
        self.signature_hz = signature_hz
        self.song_samples = song_frames * FRAME_SAMPLES  # whole 20 ms frames per song
        self._songs: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def for_room(cls, room: RoomSpec, song_s: float = 8.0) -> Programme:
        return cls(room.playlist, seed=room.seed, signature_hz=room.signature_hz, song_s=song_s)

    def song_at(self, sample: int) -> tuple[int, Song]:
        """(song index, song) playing at programme ``sample``; the index counts repeats."""
        index = sample // self.song_samples
        return index, self.playlist[index % len(self.playlist)]

    def render(self, start_sample: int, n_samples: int) -> np.ndarray:
        """Float samples in [-1, 1], shape (n_samples, 2), for programme [start, start + n)."""
        if start_sample < 0 or n_samples < 0:
            raise ValueError("start_sample and n_samples must be >= 0")
        out = np.empty((n_samples, 2))
        gate = np.empty(n_samples)
        done = 0
        while done < n_samples:
            index, offset = divmod(start_sample + done, self.song_samples)
            take = min(n_samples - done, self.song_samples - offset)
            content, song_gate = self._song(index % len(self.playlist))
            out[done : done + take] = content[offset : offset + take] / 32767.0
            gate[done : done + take] = song_gate[offset : offset + take]
            done += take
        # The pilot follows absolute programme time, so it is mixed per block, not per song.
        pilot_mono = gate * pilot.signature_tone(start_sample, n_samples, self.signature_hz)
        pilot_mono += pilot.marker_signal(start_sample, n_samples)
        out += pilot_mono[:, None]
        return np.clip(out, -1.0, 1.0, out=out)

    def pcm(self, start_sample: int, n_samples: int) -> bytes:
        """Interleaved s16le stereo for programme [start, start + n)."""
        return to_s16le(self.render(start_sample, n_samples))

    def frame(self, index: int) -> bytes:
        """The ``index``-th 20 ms frame (960 stereo samples) as s16le."""
        return self.pcm(index * FRAME_SAMPLES, FRAME_SAMPLES)

    def prepare(self) -> None:
        """Render every song of the playlist now (~20 ms per second of song), so that no
        later :meth:`render` stalls a real-time caller. Keeps 6 bytes per sample (~2.3 MB per
        8 s song)."""
        for position in range(len(self.playlist)):
            self._song(position)

    def _song(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """(content, pilot gate) of the playlist entry at ``position``, rendered once."""
        cached = self._songs.get(position)
        if cached is None:
            cached = self._songs[position] = self._render_song(position)
        return cached

    def _render_song(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        song = self.playlist[position]
        # Seeded by playlist position: a song sounds the same each time the playlist repeats.
        rng = np.random.default_rng([self.seed, position])
        n = self.song_samples
        if song.kind == "talk":
            content, gate = talk(rng, n, avoid_hz=self.signature_hz)
        else:
            content, gate = music(rng, n, avoid_hz=self.signature_hz), np.ones(n)
        content *= _ramp(n)[:, None]  # songs start and end without a click
        pcm = np.round(np.clip(content, -1.0, 1.0) * 32767).astype(np.int16)
        return pcm, gate.astype(np.float16)  # the gate only scales the pilot: 11 bits do


def to_s16le(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] (any shape; interleaved in C order) as s16le bytes."""
    return np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


# -- music ------------------------------------------------------------------------------------


def music(rng: np.random.Generator, n: int, *, avoid_hz: float) -> np.ndarray:
    """A music-like stereo segment of ``n`` samples (float, shape (n, 2))."""
    out = np.zeros((n, 2))
    beat = int(RATE_HZ * 60 / rng.uniform(96, 128))
    key_midi = int(rng.integers(52, 60))  # E3..B3 tonic
    progression = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    kick, hat = _kick(), _hihat(rng)
    for beat_index, beat_start in enumerate(range(0, n, beat)):
        degree = progression[(beat_index // 4) % len(progression)]
        chord = [key_midi + 12 * (d // 7) + _MAJOR[d % 7] for d in (degree, degree + 2, degree + 4)]
        for voice, midi in enumerate(chord):
            pan = (-0.6, 0.0, 0.6)[voice]
            note = _pluck(_hz(midi + 12), beat, partials=(1.0, 0.35, 0.12), avoid_hz=avoid_hz)
            _add(out, beat_start, 0.06 * note, pan)
        if beat_index % 2 == 0:
            bass = _pluck(_hz(chord[0] - 12), 2 * beat, partials=(1.0, 0.2), avoid_hz=avoid_hz)
            _add(out, beat_start, 0.14 * bass, 0.0)
        _add(out, beat_start, 0.32 * kick, 0.0)
        _add(out, beat_start + beat // 2, 0.05 * hat, 0.3)
    return out


@functools.lru_cache(maxsize=64)
def _pluck(
    freq_hz: float, length: int, *, partials: tuple[float, ...], avoid_hz: float
) -> np.ndarray:
    """A struck note: harmonic partials under a fast-attack exponential decay (read-only:
    cached, since a progression strikes the same few notes over and over)."""
    t = np.arange(length) / RATE_HZ
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t / 0.3)
    wave = np.zeros(length)
    for k, weight in enumerate(partials, start=1):
        partial_hz = k * freq_hz
        # Leave the signature tone's neighbourhood and the marker band to the pilot.
        if abs(partial_hz - avoid_hz) < 30 or partial_hz > pilot.CONTENT_MAX_HZ:
            continue
        wave += weight * np.sin(2 * np.pi * partial_hz * t)
    note = envelope * wave
    note.flags.writeable = False
    return note


def _kick() -> np.ndarray:
    t = np.arange(int(0.15 * RATE_HZ)) / RATE_HZ
    # Pitch falls from 150 to 50 Hz: phase is the integral of the exponential glide.
    phase = 2 * np.pi * (50 * t + 100 * 0.03 * (1 - np.exp(-t / 0.03)))
    return np.sin(phase) * np.exp(-t / 0.04)


def _hihat(rng: np.random.Generator) -> np.ndarray:
    length = int(0.06 * RATE_HZ)
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length, 1.0 / RATE_HZ)
    # A "hat" without the highs: kept under the marker band (1.2-2.4 kHz hiss).
    spectrum[(freqs < 1200) | (freqs > 2400)] = 0
    noise = np.fft.irfft(spectrum, length)
    noise /= np.abs(noise).max() + 1e-12
    return noise * np.exp(-np.arange(length) / (0.012 * RATE_HZ))


# -- talk -------------------------------------------------------------------------------------


def talk(rng: np.random.Generator, n: int, *, avoid_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """A talk-like stereo segment and its voice gate (1 in phrases, 0 in pauses)."""
    gate = np.zeros(n)
    voice = np.zeros(n)
    base_f0 = rng.uniform(100, 190)
    t = np.arange(n) / RATE_HZ
    # Intonation: slow wander plus a 3 Hz wobble; phase integrates the pitch.
    f0 = base_f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.4 * t + rng.uniform(0, 6)))
    f0 *= 1 + 0.03 * np.sin(2 * np.pi * 3.0 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE_HZ
    harmonics = int(pilot.CONTENT_MAX_HZ // (base_f0 * 1.12))
    buzz = _harmonic_sum(phase, harmonics)
    position = int(rng.uniform(0.03, 0.12) * RATE_HZ)
    while position < n:
        phrase_end = min(position + int(rng.uniform(1.0, 2.6) * RATE_HZ), n - EDGE_FADE_SAMPLES)
        if phrase_end - position < 0.2 * RATE_HZ:
            break
        _phrase(rng, buzz, voice, position, phrase_end)
        gate[position:phrase_end] = _ramp(phrase_end - position)
        position = phrase_end + int(rng.uniform(0.15, 0.6) * RATE_HZ)
    # Notch the signature frequency out of the voice so the pilot stays the clearest peak.
    # Multiplying by the gate keeps the pauses digital silence despite the notch's ringing.
    voice = _band_stop(voice, avoid_hz, 30.0) * gate
    return np.repeat(0.9 * voice[:, None], 2, axis=1), gate


def _phrase(
    rng: np.random.Generator, buzz: np.ndarray, voice: np.ndarray, start: int, end: int
) -> None:
    """Write syllables (~4 Hz, one vowel each) of ``buzz`` into ``voice[start:end]``."""
    position = start
    while position < end:
        length = min(int(RATE_HZ / rng.uniform(3.5, 5.0)), end - position)
        vowel = _VOWELS[int(rng.integers(len(_VOWELS)))]
        piece = buzz[position : position + length]
        shaped = _formant_filter(piece, vowel) * np.hanning(length) ** 0.7
        voice[position : position + length] = 0.3 * shaped / (np.abs(shaped).max() + 1e-12)
        position += length


def _harmonic_sum(phase: np.ndarray, harmonics: int) -> np.ndarray:
    """sum(sin(k * phase) for k in 1..harmonics), in closed form (the Dirichlet kernel)."""
    half = np.sin(phase / 2)
    numerator = np.sin(harmonics * phase / 2) * np.sin((harmonics + 1) * phase / 2)
    safe = np.abs(half) > 1e-9
    return np.where(safe, numerator / np.where(safe, half, 1.0), 0.0)


def _formant_filter(signal: np.ndarray, formants: Sequence[float]) -> np.ndarray:
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(signal.size, 1.0 / RATE_HZ)
    response = sum(
        gain / (1 + ((freqs - f) / 90.0) ** 2)
        for f, gain in zip(formants, (1.0, 0.6, 0.3), strict=True)
    )
    # The glottal source falls ~6 dB per octave; the buzz has flat harmonics, so tilt here.
    response /= 1 + freqs / 300.0
    return np.fft.irfft(spectrum * response, signal.size)


def _band_stop(signal: np.ndarray, centre_hz: float, width_hz: float) -> np.ndarray:
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(signal.size, 1.0 / RATE_HZ)
    spectrum[np.abs(freqs - centre_hz) < width_hz] = 0
    return np.fft.irfft(spectrum, signal.size)


# -- helpers ----------------------------------------------------------------------------------


def _hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add(out: np.ndarray, start: int, sound: np.ndarray, pan: float) -> None:
    """Mix mono ``sound`` into stereo ``out`` at ``start`` with constant-power ``pan``."""
    end = min(start + sound.size, out.shape[0])
    if end <= start:
        return
    angle = (pan + 1) * np.pi / 4
    out[start:end, 0] += np.cos(angle) * sound[: end - start]
    out[start:end, 1] += np.sin(angle) * sound[: end - start]


def _ramp(length: int) -> np.ndarray:
    """1 over ``length`` samples with 5 ms raised-cosine edges."""
    ramp = np.ones(length)
    edge = min(EDGE_FADE_SAMPLES, length // 2)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
    ramp[:edge] = rise
    ramp[length - edge :] = rise[::-1]
    return ramp
