"""OggOpusWriter: page layout, granules, sequence numbers, EOS, and real decoders reading it."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import pytest

from device.audio.ogg import GRANULE_NONE, OggPacketAssembler, OggPage, OggPageReader
from device.audio.ogg_writer import OggOpusWriter
from device.audio.opus_codec import OpusEncoder
from device.audio.opus_head import OpusHead, OpusTags

HEAD = OpusHead(channels=2, pre_skip=312, input_sample_rate=48000)
TAGS = OpusTags("drivetime", (("ARTIST", "Host"), ("TITLE", "Morning show")))
PACKET = bytes([0xFC]) + bytes(240)  # a 20 ms CELT packet's size


def _pages(data: bytes) -> list[OggPage]:
    reader = OggPageReader()
    pages = reader.feed(data)
    assert reader.skipped_bytes == 0 and reader.pending_bytes == 0
    return pages


def test_headers_are_opushead_alone_on_the_bos_page_then_opustags() -> None:
    pages = _pages(OggOpusWriter(11, HEAD, TAGS).header_pages())
    assert [(p.bos, p.sequence, p.granule_position, p.serial) for p in pages] == [
        (True, 0, 0, 11),
        (False, 1, 0, 11),
    ]
    assert OpusHead.from_bytes(pages[0].body) == HEAD
    assert OpusTags.from_bytes(pages[1].body) == TAGS


def test_big_tags_span_pages_with_no_granule_until_the_packet_ends() -> None:
    tags = OpusTags("v", (("METADATA_BLOCK_PICTURE", "x" * 300_000),))
    pages = _pages(OggOpusWriter(1, HEAD, tags).header_pages())[1:]
    assert len(pages) == 5
    assert [p.continued for p in pages] == [False, True, True, True, True]
    assert [p.granule_position for p in pages] == [GRANULE_NONE] * 4 + [0]
    assembler = OggPacketAssembler(1)
    assert [packet for page in pages for packet in assembler.push(page)] == [bytes(tags)]


def test_20_ms_pages_carry_one_packet_each_with_running_granules() -> None:
    writer = OggOpusWriter(3, HEAD, TAGS)
    writer.header_pages()
    data = b"".join(writer.packet(PACKET, 960, eos=i == 4) for i in range(5))
    pages = _pages(data)
    assert [p.granule_position for p in pages] == [960, 1920, 2880, 3840, 4800]
    assert [p.sequence for p in pages] == [2, 3, 4, 5, 6]
    assert [p.eos for p in pages] == [False] * 4 + [True]
    assert all(p.parts() == [(PACKET, True)] for p in pages)


def test_longer_pages_gather_packets_until_max_page_ms() -> None:
    writer = OggOpusWriter(3, HEAD, TAGS, max_page_ms=100)
    writer.header_pages()
    outputs = [writer.packet(PACKET, 960) for _ in range(10)]
    assert [bool(out) for out in outputs] == [False] * 4 + [True] + [False] * 4 + [True]
    pages = _pages(b"".join(outputs))
    assert [len(p.parts()) for p in pages] == [5, 5]
    assert [p.granule_position for p in pages] == [4800, 9600]


def test_finish_without_pending_packets_writes_an_empty_eos_page() -> None:
    writer = OggOpusWriter(3, HEAD, TAGS)
    writer.header_pages()
    writer.packet(PACKET, 960)
    (page,) = _pages(writer.finish())
    assert page.eos and page.parts() == [] and page.granule_position == 960
    with pytest.raises(RuntimeError, match="ended"):
        writer.packet(PACKET, 960)


def test_packets_before_the_headers_are_refused() -> None:
    with pytest.raises(RuntimeError, match="header_pages"):
        OggOpusWriter(3, HEAD, TAGS).packet(PACKET, 960)


def _song(serial: int, hz: float, seconds: float, title: str) -> tuple[bytes, bytes]:
    """A chain link as the room source makes it: OpusEncoder + OggOpusWriter, end trimmed."""
    encoder = OpusEncoder(2, 96_000)
    head = OpusHead(channels=2, pre_skip=encoder.lookahead, input_sample_rate=48000)
    writer = OggOpusWriter(serial, head, OpusTags("drivetime", (("TITLE", title),)))
    source = array("h")
    for n in range(int(48000 * seconds)):
        value = int(6000 * math.sin(2 * math.pi * hz * n / 48000))
        source.extend((value, -value))
    pcm = source.tobytes() + bytes(encoder.frame_bytes)  # room for the encoder delay
    frames_left = head.pre_skip + len(source) // 2  # decoded samples the stream should keep
    data = writer.header_pages()
    for offset in range(0, len(pcm) - encoder.frame_bytes + 1, encoder.frame_bytes):
        samples = min(960, frames_left)
        frames_left -= samples
        data += writer.packet(encoder.encode(pcm[offset : offset + 3840]), samples, not frames_left)
        if not frames_left:
            break
    return data, source.tobytes()


def test_opusdec_and_our_reader_agree_on_a_chained_live_stream(
    tmp_path: Path, opusdec_pcm, decode_opus, random_chunks
) -> None:
    first, first_source = _song(101, 440, 0.5, "One")
    second, second_source = _song(102, 660, 0.7, "Two")
    path = tmp_path / "live.opus"
    path.write_bytes(first + second)
    decoded = decode_opus(first + second, random_chunks(seed=4))
    assert [link.info.now_playing for link in decoded.links] == [{"title": "One"}, {"title": "Two"}]
    assert decoded.pcm == opusdec_pcm(path)
    # End trimming and pre-skip give back exactly the samples that went in, in time.
    for link, source in zip(decoded.links, (first_source, second_source), strict=True):
        assert len(link.pcm) == len(source)
        got, want = array("h", bytes(link.pcm)), array("h", source)
        middle = slice(len(want) // 4, len(want) * 3 // 4)
        error = sum((a - b) ** 2 for a, b in zip(got[middle], want[middle], strict=True))
        assert error / sum(b * b for b in want[middle]) < 0.01
