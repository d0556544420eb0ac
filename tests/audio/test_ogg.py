"""Ogg pages: CRC, serialisation, the incremental reader (chunking, resync, memory bound) and
packet assembly across pages."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.audio.ogg import (
    FLAG_BOS,
    FLAG_CONTINUED,
    FLAG_EOS,
    GRANULE_NONE,
    MAX_PAGE_BYTES,
    OggError,
    OggPacketAssembler,
    OggPage,
    OggPageReader,
    lacing_values,
    ogg_crc32,
)


def _reference_crc(data: bytes) -> int:
    """The textbook table-driven Ogg CRC (poly 0x04C11DB7, MSB first, init 0, no final XOR)."""
    table = []
    for index in range(256):
        register = index << 24
        for _ in range(8):
            register = (register << 1) ^ 0x04C11DB7 if register & 0x80000000 else register << 1
        table.append(register & 0xFFFFFFFF)
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


def _page(body: bytes, sequence: int = 0, flags: int = 0, granule: int = 0, serial: int = 7):
    return OggPage(flags, granule, serial, sequence, lacing_values(len(body)), body)


def _pages_for_packet(packet: bytes, serial: int = 7, first_sequence: int = 0) -> list[OggPage]:
    """One packet laid over as many pages as it needs (255 segments each)."""
    lacing = lacing_values(len(packet))
    pages, position = [], 0
    for index, start in enumerate(range(0, len(lacing), 255)):
        segments = lacing[start : start + 255]
        size = sum(segments)
        last = start + 255 >= len(lacing)
        pages.append(
            OggPage(
                FLAG_CONTINUED if index else 0,
                123 if last else GRANULE_NONE,
                serial,
                first_sequence + index,
                segments,
                packet[position : position + size],
            )
        )
        position += size
    return pages


def test_crc_matches_the_table_driven_definition() -> None:
    rng = random.Random(1)
    for size in (0, 1, 3, 255, 4096):
        data = rng.randbytes(size)
        assert ogg_crc32(data) == _reference_crc(data)
    data = rng.randbytes(1000)
    assert ogg_crc32(data[500:], ogg_crc32(data[:500])) == _reference_crc(data)


def test_page_round_trips_through_bytes_with_a_valid_crc() -> None:
    page = OggPage(FLAG_BOS | FLAG_EOS, -1, 0xDEADBEEF, 42, b"\xff\x05\x00", bytes(260))
    raw = bytes(page)
    assert raw[:4] == b"OggS" and len(raw) == 27 + 3 + 260
    stored = int.from_bytes(raw[22:26], "little")
    assert stored == _reference_crc(raw[:22] + b"\0\0\0\0" + raw[26:])
    parsed = OggPage.from_bytes(raw)
    assert parsed == page
    assert parsed.bos and parsed.eos and not parsed.continued
    assert parsed.granule_position == -1
    assert parsed.parts() == [(bytes(260), True), (b"", True)]


def test_page_with_a_flipped_bit_is_rejected() -> None:
    raw = bytearray(bytes(_page(b"hello")))
    raw[-1] ^= 0x01
    with pytest.raises(OggError, match="CRC"):
        OggPage.from_bytes(raw)


def test_page_validation_names_the_problem() -> None:
    with pytest.raises(OggError, match="segment table adds up to 5"):
        OggPage(0, 0, 1, 0, b"\x05", b"abc")
    with pytest.raises(OggError, match="flags"):
        OggPage(0x10, 0, 1, 0, b"", b"")


def test_parts_marks_a_packet_that_continues_on_the_next_page() -> None:
    page = OggPage(0, GRANULE_NONE, 1, 0, b"\x03\xff", b"abc" + bytes(255))
    assert page.parts() == [(b"abc", True), (bytes(255), False)]


@settings(max_examples=40, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=700), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_reader_returns_the_same_pages_for_any_chunking(bodies: list[bytes], seed: int) -> None:
    pages = [_page(body, sequence=i, granule=i * 960) for i, body in enumerate(bodies)]
    stream = b"".join(bytes(page) for page in pages)
    rng = random.Random(seed)
    reader = OggPageReader()
    got: list[OggPage] = []
    position = 0
    while position < len(stream):
        size = rng.randint(1, 9)
        got += reader.feed(stream[position : position + size])
        position += size
    assert got == pages
    assert reader.skipped_bytes == 0 and reader.crc_errors == 0 and reader.pending_bytes == 0


def test_garbage_before_and_between_pages_is_skipped_and_counted() -> None:
    first, second = _page(b"one", 0), _page(b"two", 1)
    junk = b"\x00junk OggT Ogg"
    reader = OggPageReader()
    got = reader.feed(junk + bytes(first) + junk + bytes(second))
    assert got == [first, second]
    assert reader.skipped_bytes == 2 * len(junk)


def test_flipped_byte_loses_only_that_page() -> None:
    pages = [_page(bytes([i]) * 100, sequence=i) for i in range(5)]
    stream = bytearray(b"".join(bytes(page) for page in pages))
    page_bytes = len(bytes(pages[0]))
    stream[2 * page_bytes + 60] ^= 0x40  # inside the body of the third page
    reader = OggPageReader()
    got = []
    for position in range(0, len(stream), 7):
        got += reader.feed(stream[position : position + 7])
    assert [page.sequence for page in got] == [0, 1, 3, 4]
    assert reader.crc_errors == 1
    assert reader.skipped_bytes == page_bytes


def test_garbage_without_capture_pattern_is_not_buffered() -> None:
    reader = OggPageReader()
    garbage = os.urandom(1 << 20).replace(b"O", b"o")
    for position in range(0, len(garbage), 65536):
        assert reader.feed(garbage[position : position + 65536]) == []
        assert reader.pending_bytes <= 3
    assert reader.skipped_bytes + reader.pending_bytes == len(garbage)
    page = _page(b"after the storm")
    assert reader.feed(bytes(page)) == [page]


def test_false_capture_holds_at_most_one_page_then_resyncs() -> None:
    fake_header = b"OggS\x00\x00" + bytes(20) + b"\xff"  # claims 255 segments ...
    fake = fake_header + b"\xff" * 255  # ... of 255 bytes each: a 65,307-byte page
    real = _page(b"real", 0)
    reader = OggPageReader()
    stream = fake + bytes(real) * 3000  # more than the claimed page size
    got = []
    for position in range(0, len(stream), 1000):
        got += reader.feed(stream[position : position + 1000])
        assert reader.pending_bytes <= MAX_PAGE_BYTES + 1000
    # The reader waited for the whole claimed page, found it bad, and then recovered every
    # real page from what it had buffered.
    assert got == [real] * 3000
    assert reader.crc_errors == 1
    assert reader.skipped_bytes == len(fake)


def test_packet_spanning_pages_is_joined() -> None:
    packet = os.urandom(200_000)
    assembler = OggPacketAssembler(7)
    pages = _pages_for_packet(packet)
    assert len(pages) == 4
    results = [assembler.push(page) for page in pages]
    assert results == [[], [], [], [packet]]


def test_megabyte_packet_over_many_pages_is_assembled() -> None:
    packet = os.urandom(1 << 20)
    assembler = OggPacketAssembler(7)
    got = []
    for page in _pages_for_packet(packet):
        got += assembler.push(page)
    assert got == [packet]


def test_lost_page_drops_only_the_packet_it_cut() -> None:
    big = os.urandom(70_000)
    spanning = _pages_for_packet(big, first_sequence=0)  # sequences 0, 1
    after = _page(b"next packet", sequence=3)  # sequence 2 never arrives
    assembler = OggPacketAssembler(7)
    assert assembler.push(spanning[0]) == []
    assert assembler.push(after) == [b"next packet"]
    assert assembler.dropped_packets == 1
    assert assembler.lost_pages == 2
    assert assembler.gap_before_last_page


def test_continued_page_whose_start_was_never_seen_is_skipped_to_the_next_packet() -> None:
    # Joining mid-stream: the first page starts with the tail of a packet we never saw.
    tail_then_whole = OggPage(FLAG_CONTINUED, 960, 7, 50, b"\x04\x06", b"tailwhole!")
    assembler = OggPacketAssembler(7)
    assert assembler.push(tail_then_whole) == [b"whole!"]


def test_page_of_another_stream_is_refused() -> None:
    with pytest.raises(ValueError, match="stream 8"):
        OggPacketAssembler(7).push(_page(b"x", serial=8))


def test_pages_handed_over_one_per_feed_are_parsed_from_any_buffer_type() -> None:
    # The network delivers one whole page per read; bytes, bytearray and memoryview all work.
    pages = [_page(bytes([i]) * (50 + i), sequence=i, granule=i * 960) for i in range(6)]
    reader = OggPageReader()
    got = []
    for index, page in enumerate(pages):
        raw = bytes(page)
        got += reader.feed((bytes, bytearray, memoryview)[index % 3](raw))
        assert reader.pending_bytes == 0
    assert got == pages
    assert reader.pages_read == 6 and reader.skipped_bytes == 0


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [(4, 1, "structure version 1"), (5, 0x08, "unknown header_type flags 0x08")],
)
def test_a_page_whose_header_is_invalid_is_refused_even_with_a_valid_crc(
    offset: int, value: int, message: str
) -> None:
    raw = bytearray(bytes(_page(b"payload")))
    raw[offset] = value
    raw[22:26] = bytes(4)
    raw[22:26] = ogg_crc32(raw).to_bytes(4, "little")  # a CRC that matches the bad header
    with pytest.raises(OggError, match=message):
        OggPage.from_bytes(raw)
    good = _page(b"next", sequence=1)
    reader = OggPageReader()
    assert reader.feed(bytes(raw) + bytes(good)) == [good]
    assert reader.crc_errors == 1 and reader.skipped_bytes == len(raw)


def test_pages_of_whole_packets_and_pages_ending_mid_packet_assemble_alike() -> None:
    # One page with three whole packets (one over 255 bytes), then a packet split over two.
    three = [b"a" * 10, b"b" * 300, b"c" * 254]
    split = os.urandom(400)
    first = OggPage(0, 960, 7, 0, b"".join(lacing_values(len(p)) for p in three), b"".join(three))
    head = OggPage(0, GRANULE_NONE, 7, 1, b"\xff", split[:255])
    tail = OggPage(FLAG_CONTINUED, 1920, 7, 2, lacing_values(145), split[255:])
    assembler = OggPacketAssembler(7)
    assert [assembler.push(page) for page in (first, head, tail)] == [three, [], [split]]
