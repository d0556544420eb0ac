"""The pilot survives Opus: markers at every programme second, the room's signature tone."""

from __future__ import annotations

import numpy as np
import pytest

from device.audio.opus_codec import OpusDecoder, OpusEncoder
from studio import pilot
from studio.program import FRAME_SAMPLES, RATE_HZ, Programme
from studio.rooms import DEMO_ROOMS


def _opus_round_trip(pcm: bytes, bitrate: int = 96_000) -> bytes:
    """Encode and decode 20 ms frames; returns PCM aligned with the input (pre-skip dropped)."""
    encoder, decoder = OpusEncoder(bitrate=bitrate), OpusDecoder()
    frame_bytes = FRAME_SAMPLES * 4
    out = bytearray()
    block = bytearray(frame_bytes)
    padded = pcm + bytes(frame_bytes)  # one more frame flushes the encoder's look-ahead
    for offset in range(0, len(padded) - frame_bytes + 1, frame_bytes):
        written = decoder.decode_into(encoder.encode(padded[offset : offset + frame_bytes]), block)
        out += block[: written * 4]
    skip = encoder.lookahead * 4
    return bytes(out[skip : skip + len(pcm)])


@pytest.fixture(scope="module")
def decoded_rooms() -> dict[str, bytes]:
    """Four seconds of every demo room (1 s songs: music and talk) after Opus at 64 kb/s."""
    return {
        room.mount: _opus_round_trip(
            Programme.for_room(room, song_s=1.0).pcm(0, 4 * RATE_HZ), bitrate=64_000
        )
        for room in DEMO_ROOMS
    }


def test_markers_found_at_every_programme_second_after_opus(decoded_rooms) -> None:
    for mount, pcm in decoded_rooms.items():
        markers = pilot.find_markers(pcm)
        assert len(markers) == 4, mount
        assert all(abs(m - k * RATE_HZ) <= 2 for k, m in enumerate(markers)), (mount, markers)


def test_markers_are_found_in_a_capture_that_starts_mid_second(decoded_rooms) -> None:
    pcm = next(iter(decoded_rooms.values()))
    offset = 12_345  # samples cut from the start, as a capture would begin at any moment
    markers = pilot.find_markers(pcm[offset * 4 :])
    assert [m + offset for m in markers] == pytest.approx([48_000, 96_000, 144_000], abs=2)


def test_signature_tone_identifies_each_room_after_opus(decoded_rooms) -> None:
    for room in DEMO_ROOMS:
        pcm = decoded_rooms[room.mount]
        for second in range(4):  # every second alone suffices, music or talk
            found = pilot.dominant_frequency(pcm[second * RATE_HZ * 4 : (second + 1) * RATE_HZ * 4])
            assert found == pytest.approx(room.signature_hz, abs=2.0), (room.name, second)


def test_no_markers_in_silence_or_in_a_plain_tone() -> None:
    assert pilot.find_markers(bytes(RATE_HZ * 4)) == []
    t = np.arange(RATE_HZ) / RATE_HZ
    tone = np.repeat(0.5 * np.sin(2 * np.pi * 1_000 * t)[:, None], 2, axis=1)
    assert pilot.find_markers((tone * 32767).astype("<i2").tobytes()) == []


def test_dominant_frequency_of_a_pure_tone_is_precise() -> None:
    t = np.arange(RATE_HZ // 2) / RATE_HZ
    tone = np.repeat(0.3 * np.sin(2 * np.pi * 523.25 * t)[:, None], 2, axis=1)
    pcm = (tone * 32767).astype("<i2").tobytes()
    assert pilot.dominant_frequency(pcm) == pytest.approx(523.25, abs=0.5)
    with pytest.raises(ValueError, match="samples"):
        pilot.dominant_frequency(pcm[:16])


def test_rms_dbfs() -> None:
    assert pilot.rms_dbfs(bytes(3840)) == float("-inf")
    full_square = np.array([32767, 32767, -32767, -32767] * 960, "<i2").tobytes()
    assert pilot.rms_dbfs(full_square) == pytest.approx(0.0, abs=0.01)
