"""OpusDecoder / OpusEncoder over libopus: samples out, buffers, errors, concealment, gain."""

from __future__ import annotations

import math
from array import array

import pytest

from device.audio.opus_codec import OpusDecodeError, OpusDecoder, OpusEncoder
from device.audio.opus_stream import opus_packet_samples
from device.audio.packets import StreamInfo

FRAME = 960


def _tone(seconds: float, channels: int, hz: float = 440.0, amplitude: int = 8000) -> bytes:
    samples = array("h")
    for n in range(int(48000 * seconds)):
        value = int(amplitude * math.sin(2 * math.pi * hz * n / 48000))
        samples.extend([value] * channels)
    return samples.tobytes()


def _encode(pcm: bytes, channels: int = 2, **kwargs) -> tuple[list[bytes], int]:
    encoder = OpusEncoder(channels, **kwargs)
    frame_bytes = encoder.frame_bytes
    packets = [encoder.encode(pcm[i : i + frame_bytes]) for i in range(0, len(pcm), frame_bytes)]
    return packets, encoder.lookahead


def _decode(decoder: OpusDecoder, packets: list[bytes]) -> bytes:
    out = bytearray(5760 * 4)
    pcm = bytearray()
    for packet in packets:
        frames = decoder.decode_into(packet, out)
        pcm += out[: frames * 4]
    return bytes(pcm)


def _rms(pcm: bytes) -> float:
    samples = array("h", pcm)
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@pytest.fixture(scope="module")
def stereo_packets() -> tuple[list[bytes], int]:
    return _encode(_tone(1.0, 2))


def test_round_trip_reproduces_the_tone_after_the_encoder_delay(stereo_packets) -> None:
    packets, lookahead = stereo_packets
    source = array("h", _tone(1.0, 2))
    decoded = array("h", _decode(OpusDecoder(2), packets))
    assert len(decoded) == len(source)
    start = 4800 * 2  # after 100 ms of codec warm-up
    aligned = decoded[start + 2 * lookahead :]
    reference = source[start : start + len(aligned)]
    error = sum((a - b) ** 2 for a, b in zip(aligned, reference, strict=True))
    signal = sum(b * b for b in reference)
    assert error / signal < 0.01  # better than 20 dB SNR at 96 kb/s


def test_mono_stream_is_copied_to_both_output_channels() -> None:
    packets, _ = _encode(_tone(0.2, 1), channels=1, bitrate=48000)
    decoded = array("h", _decode(OpusDecoder(1), packets))
    assert len(decoded) == 2 * 0.2 * 48000
    assert decoded[0::2] == decoded[1::2]
    assert max(decoded) > 4000


def test_decode_writes_only_its_frames_into_a_slice_of_a_bigger_buffer(stereo_packets) -> None:
    packets, _ = stereo_packets
    ring = bytearray(b"\x55" * 20000)
    frames = OpusDecoder(2).decode_into(packets[0], memoryview(ring)[1000:])
    assert frames == FRAME
    assert ring[:1000] == b"\x55" * 1000
    assert ring[1000 + FRAME * 4 :] == b"\x55" * (20000 - 1000 - FRAME * 4)


def test_concealment_returns_the_frames_asked_for(stereo_packets) -> None:
    packets, _ = stereo_packets
    decoder = OpusDecoder(2)
    _decode(decoder, packets[:10])
    out = bytearray(b"\x55" * 5760 * 4)
    for frames in (120, 480, 960, 2880):
        assert decoder.conceal_into(frames, out) == frames
    assert out[2880 * 4 :] == b"\x55" * (5760 - 2880) * 4
    assert _rms(bytes(out[: 480 * 4])) > 100  # it continues the tone, it is not silence


def test_concealment_size_must_be_whole_2_5_ms_steps() -> None:
    with pytest.raises(ValueError, match="steps of 120"):
        OpusDecoder(2).conceal_into(100, bytearray(5760 * 4))


def test_corrupt_packet_raises_with_libopus_text_and_decoding_goes_on(stereo_packets) -> None:
    packets, _ = stereo_packets
    decoder = OpusDecoder(2)
    out = bytearray(5760 * 4)
    with pytest.raises(OpusDecodeError, match="corrupted stream") as raised:
        decoder.decode_into(bytes([0x0B, 0x00]), out)  # code 3 packet announcing 0 frames
    assert isinstance(raised.value, ValueError) and raised.value.code == -4
    assert decoder.decode_into(packets[0], out) == FRAME


def test_too_small_output_buffer_is_refused(stereo_packets) -> None:
    packets, _ = stereo_packets
    with pytest.raises(ValueError, match="too small"):
        OpusDecoder(2).decode_into(packets[0], bytearray(480 * 4))


def test_output_gain_from_opushead_is_applied(stereo_packets) -> None:
    packets, _ = stereo_packets
    plain = _rms(_decode(OpusDecoder(2), packets)[48000:])
    louder = _rms(_decode(OpusDecoder(2, output_gain_q8=6 * 256), packets)[48000:])
    assert louder / plain == pytest.approx(10 ** (6 / 20), rel=0.02)


def test_reset_forgets_history(stereo_packets) -> None:
    packets, _ = stereo_packets
    fresh = _decode(OpusDecoder(2), packets[10:20])
    decoder = OpusDecoder(2)
    _decode(decoder, packets[:10])
    assert _decode(decoder, packets[10:20]) != fresh  # state carries over ...
    decoder.reset()
    _decode(decoder, packets[:10])
    decoder.reset()
    assert _decode(decoder, packets[10:20]) == fresh  # ... until reset


def test_start_stream_switches_to_the_new_links_channels(stereo_packets) -> None:
    mono_packets, _ = _encode(_tone(0.1, 1), channels=1)
    decoder = OpusDecoder(2)
    _decode(decoder, stereo_packets[0][:3])
    decoder.start_stream(StreamInfo(serial=2, channels=1, pre_skip=312))
    decoded = array("h", _decode(decoder, mono_packets))
    assert decoder.channels == 1
    assert decoded[0::2] == decoded[1::2]


def test_closed_decoder_refuses_work(stereo_packets) -> None:
    decoder = OpusDecoder(2)
    decoder.close()
    with pytest.raises(ValueError, match="closed"):
        decoder.decode_into(stereo_packets[0][0], bytearray(5760 * 4))


@pytest.mark.parametrize("bitrate", [32_000, 128_000])
def test_encoder_bitrate_is_honoured(bitrate: int) -> None:
    packets, _ = _encode(_tone(1.0, 2), bitrate=bitrate)
    average_bytes = sum(map(len, packets)) / len(packets)
    assert average_bytes == pytest.approx(bitrate * 0.02 / 8, rel=0.25)


def test_encoder_frame_size_sets_packet_duration() -> None:
    packets, _ = _encode(_tone(0.1, 2), frame_ms=10)
    assert {opus_packet_samples(packet) for packet in packets} == {480}


def test_encoder_takes_exactly_one_frame() -> None:
    with pytest.raises(ValueError, match="3840-byte frame"):
        OpusEncoder(2).encode(bytes(100))
    with pytest.raises(ValueError, match="frame_ms"):
        OpusEncoder(2, frame_ms=15)
