"""OpusStreamReader against real opusenc files: decoded PCM must be byte-identical to opusdec,
whatever the chunking, with chained links, damage, truncation, garbage and mid-stream joins."""

from __future__ import annotations

import itertools
import os
import random
import subprocess

import pytest

from device.audio.ogg import FLAG_BOS, OggPage, OggPageReader, lacing_values
from device.audio.ogg_writer import OggOpusWriter
from device.audio.opus_head import OpusHead, OpusTags
from device.audio.opus_stream import (
    OpusPacketError,
    OpusStreamReader,
    StreamEnded,
    StreamStarted,
    UnsupportedStream,
    opus_packet_samples,
)
from device.audio.packets import AudioPacket


def _pages(data: bytes) -> list[OggPage]:
    return OggPageReader().feed(data)


def _audio_packets(events: list) -> list[AudioPacket]:
    return [event for event in events if isinstance(event, AudioPacket)]


def _feed_all(reader: OpusStreamReader, data: bytes, chunk: int = 4096) -> list:
    events = []
    for position in range(0, len(data), chunk):
        events += reader.feed(data[position : position + chunk])
    return events + reader.feed_eof()


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC]), 960),  # CELT fullband 20 ms, one frame (code 0)
        (bytes([0xE0]), 120),  # CELT 2.5 ms
        (bytes([0xFD]), 1920),  # CELT 20 ms, two frames (code 1)
        (bytes([0x08]), 960),  # SILK narrowband 20 ms
        (bytes([0x18]), 2880),  # SILK narrowband 60 ms
        (bytes([0x78]), 960),  # hybrid fullband 20 ms
        (bytes([0x7B, 0x03]), 2880),  # hybrid 20 ms, three frames (code 3)
    ],
)
def test_packet_duration_comes_from_the_toc(packet: bytes, samples: int) -> None:
    assert opus_packet_samples(packet) == samples


def test_every_toc_byte_gives_the_duration_rfc_6716_defines() -> None:
    # Table 2 of RFC 6716 by configuration number; frames per packet by code (section 3.2).
    frame_ms = [10, 20, 40, 60] * 3 + [10, 20] * 2 + [2.5, 5, 10, 20] * 4
    for toc in range(256):
        frame_samples = round(frame_ms[toc >> 3] * 48)
        for count_byte in (1, 2, 3, 6, 48):
            frames = {0: 1, 1: 2, 2: 2, 3: count_byte & 0x3F}[toc & 3]
            packet = bytes([toc, count_byte])
            if frames * frame_samples > 5760:
                with pytest.raises(OpusPacketError):
                    opus_packet_samples(packet)
            else:
                assert opus_packet_samples(packet) == frames * frame_samples, (toc, count_byte)


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        bytes([0xFF]),  # code 3 without its frame count byte
        bytes([0x0B, 0x00]),  # code 3 with zero frames
        bytes([0x1B, 0x03]),  # 3 x 60 ms: over the 120 ms limit
    ],
)
def test_invalid_packets_have_no_duration(packet: bytes) -> None:
    with pytest.raises(OpusPacketError):
        opus_packet_samples(packet)


def test_stereo_file_in_random_1_to_9_byte_chunks_is_byte_identical_to_opusdec(
    make_opus, opusdec_pcm, decode_opus, random_chunks
) -> None:
    path = make_opus(seconds=3, channels=2, artist="Nina", title="Sinnerman")
    decoded = decode_opus(path.read_bytes(), random_chunks(seed=1))
    assert decoded.pcm == opusdec_pcm(path)
    assert len(decoded.pcm) == 3 * 48000 * 4
    (link,) = decoded.links
    assert link.info.channels == 2 and link.info.pre_skip == 312
    assert link.info.now_playing == {"artist": "Nina", "title": "Sinnerman"}
    assert link.ended == StreamEnded(link.info.serial, 312 + 3 * 48000)
    assert link.packets[0].trim_start == 312 and link.packets[0].granule_end == 960
    assert link.packets[-1].trim_end > 0


def test_mono_file_is_upmixed_like_opusdec_force_stereo(make_opus, opusdec_pcm, decode_opus):
    path = make_opus(seconds=2, channels=1)
    decoded = decode_opus(path.read_bytes())
    assert decoded.links[0].info.channels == 1
    assert decoded.pcm == opusdec_pcm(path)


def test_chained_links_restart_the_decoder_and_carry_now_playing(
    make_opus, opusdec_pcm, decode_opus, random_chunks
) -> None:
    first = make_opus(seconds=1.5, artist="Ella", title="Summertime", album="Porgy", name="a")
    second = make_opus(
        seconds=2, channels=1, artist="Miles", title="So What", base_hz=300, name="b"
    )
    decoded = decode_opus(first.read_bytes() + second.read_bytes(), random_chunks(seed=2))
    assert [link.info.now_playing for link in decoded.links] == [
        {"artist": "Ella", "title": "Summertime", "album": "Porgy"},
        {"artist": "Miles", "title": "So What"},
    ]
    assert bytes(decoded.links[0].pcm) == opusdec_pcm(first)
    assert bytes(decoded.links[1].pcm) == opusdec_pcm(second)
    assert [link.ended.final_granule for link in decoded.links] == [312 + 72000, 312 + 96000]


def test_garbage_prefix_is_skipped(make_opus, opusdec_pcm, decode_opus) -> None:
    path = make_opus(seconds=1)
    garbage = os.urandom(10_000).replace(b"O", b"o")
    decoded = decode_opus(garbage + path.read_bytes(), 999)
    assert decoded.pcm == opusdec_pcm(path)
    assert decoded.reader.skipped_bytes == len(garbage)


def test_flipped_byte_loses_one_page_and_the_rest_keeps_its_timeline(make_opus) -> None:
    data = make_opus(seconds=3, extra_args=["--max-delay", "100"]).read_bytes()
    clean = _audio_packets(_feed_all(OpusStreamReader(), data))
    pages = _pages(data)
    victim = pages[10]  # an audio page in the middle
    offset = sum(len(bytes(page)) for page in pages[:10])
    damaged = bytearray(data)
    damaged[offset + len(bytes(victim)) // 2] ^= 0xFF
    reader = OpusStreamReader()
    events = _feed_all(reader, bytes(damaged), chunk=7)
    got = _audio_packets(events)
    clean_keys = [(p.granule_end, p.data) for p in clean]
    got_keys = [(p.granule_end, p.data) for p in got]
    lost = [key for key in clean_keys if key not in set(got_keys)]
    assert reader.bad_pages == 1
    assert reader.skipped_bytes >= len(bytes(victim))
    assert reader.lost_pages == 1
    # Exactly the packets that touch the victim page are missing; every later packet arrives
    # with the same granule as in the undamaged stream.
    touching = sum(1 for _, ends_here in victim.parts() if ends_here)
    touching += 0 if victim.parts()[-1][1] else 1
    assert len(lost) == touching
    assert got_keys == [key for key in clean_keys if key not in lost]
    assert isinstance(events[-1], StreamEnded) and events[-1].final_granule == 312 + 3 * 48000


def test_truncated_stream_ends_with_what_arrived(make_opus, opusdec_pcm, decode_opus) -> None:
    path = make_opus(seconds=3, extra_args=["--max-delay", "100"])
    data = path.read_bytes()
    decoded = decode_opus(data[: len(data) * 2 // 3])
    reference = opusdec_pcm(path)
    (link,) = decoded.links
    assert len(decoded.pcm) > len(reference) // 2
    assert decoded.pcm == reference[: len(decoded.pcm)]
    assert link.ended.final_granule == link.packets[-1].granule_end
    assert decoded.reader.skipped_bytes > 0  # the partial last page


def test_room_pages_fed_one_per_read_keep_granules_and_trims(make_opus) -> None:
    # Like the network delivers a room: each feed is exactly one page.
    data = make_opus(seconds=2, extra_args=["--max-delay", "20"]).read_bytes()
    whole = _audio_packets(_feed_all(OpusStreamReader(), data))
    reader = OpusStreamReader()
    events = []
    for page in _pages(data):
        events += reader.feed(bytes(page))
    events += reader.feed_eof()
    assert _audio_packets(events) == whole
    assert whole[0].trim_start == 312 and whole[-1].trim_end > 0
    assert all(a.granule_end == b.granule_start for a, b in itertools.pairwise(whole))


def test_listener_joining_mid_stream_plays_on_with_continuing_granules(make_opus) -> None:
    data = make_opus(seconds=3, extra_args=["--max-delay", "100"]).read_bytes()
    pages = _pages(data)
    headers, audio = pages[:2], pages[2:]
    # What Icecast sends a late listener: the cached headers, then pages from the live edge.
    joined = b"".join(bytes(page) for page in headers + audio[12:])
    events = _feed_all(OpusStreamReader(), joined, chunk=5)
    assert isinstance(events[0], StreamStarted)
    packets = _audio_packets(events)
    assert packets[0].granule_start == audio[11].granule_position
    assert all(p.trim_start == 0 for p in packets)
    assert all(a.granule_end == b.granule_start for a, b in itertools.pairwise(packets))


def test_big_cover_picture_from_opusenc_is_parsed(make_opus, opusdec_pcm, decode_opus, tmp_path):
    picture = tmp_path / "cover.png"
    noise = tmp_path / "noise.wav"
    subprocess.run(["sox", "-n", "-r", "48000", noise, "synth", "2", "whitenoise"], check=True)
    subprocess.run(
        ["sox", noise, "-n", "spectrogram", "-x", "1000", "-y", "400", "-o", picture], check=True
    )
    assert picture.stat().st_size > 200_000
    path = make_opus(seconds=1, title="Cover", extra_args=["--picture", str(picture)])
    decoded = decode_opus(path.read_bytes(), 1500)
    (link,) = decoded.links
    assert len(link.started.opus_tags.get("METADATA_BLOCK_PICTURE")) > picture.stat().st_size
    assert link.info.tags["TITLE"] == "Cover"
    assert "METADATA_BLOCK_PICTURE" not in link.info.tags  # binary: kept out of StreamInfo
    assert decoded.pcm == opusdec_pcm(path)


def test_megabyte_tags_from_our_writer_parse_in_small_chunks() -> None:
    picture = "A" * (1 << 20)
    tags = OpusTags("drivetime", (("TITLE", "Big"), ("METADATA_BLOCK_PICTURE", picture)))
    writer = OggOpusWriter(5, OpusHead(2, 312), tags)
    data = writer.header_pages() + writer.packet(bytes([0xFC, 0, 0]), 960, eos=True)
    events = _feed_all(OpusStreamReader(), data, chunk=1000)
    assert events[0].opus_tags.get("metadata_block_picture") == picture
    assert len(_audio_packets(events)) == 1


def test_non_ogg_input_is_unsupported() -> None:
    reader = OpusStreamReader()
    with pytest.raises(UnsupportedStream, match=r"not an Ogg stream.*RIFF"):
        for _ in range(20):
            reader.feed(b"RIFF" + bytes(4092))


def test_short_non_ogg_input_is_unsupported_at_eof() -> None:
    reader = OpusStreamReader()
    assert reader.feed(b"<html><body>404 Not Found</body></html>") == []
    with pytest.raises(UnsupportedStream, match="html"):
        reader.feed_eof()


def test_ogg_vorbis_is_unsupported_by_name() -> None:
    bos = OggPage(FLAG_BOS, 0, 9, 0, lacing_values(30), b"\x01vorbis" + bytes(23))
    data = OggPage(0, 0, 9, 1, lacing_values(10), bytes(10))
    with pytest.raises(UnsupportedStream, match="Vorbis"):
        OpusStreamReader().feed(bytes(bos) + bytes(data))


def test_surround_mapping_family_255_is_unsupported() -> None:
    head = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\xff\x02\x00\x00\x01"
    bos = OggPage(FLAG_BOS, 0, 9, 0, lacing_values(len(head)), head)
    with pytest.raises(UnsupportedStream, match="channel mapping family 255"):
        OpusStreamReader().feed(bytes(bos))


def test_writer_packets_come_back_with_their_granules_for_any_chunking() -> None:
    rng = random.Random(3)
    writer = OggOpusWriter(77, OpusHead(2, 312), OpusTags("t", (("TITLE", "x"),)), max_page_ms=60)
    data = writer.header_pages()
    sent = []
    for index in range(40):
        packet = bytes([0xFC]) + rng.randbytes(rng.randint(1, 600))
        sent.append(packet)
        data += writer.packet(packet, 960, eos=index == 39)
    reader = OpusStreamReader()
    events = []
    position = 0
    while position < len(data):
        size = rng.randint(1, 9)
        events += reader.feed(data[position : position + size])
        position += size
    packets = _audio_packets(events)
    assert [p.data for p in packets] == sent
    assert [p.granule_end for p in packets] == [960 * (i + 1) for i in range(40)]
    assert sum(p.trim_start for p in packets) == 312
    assert events[-1] == StreamEnded(77, 40 * 960)
