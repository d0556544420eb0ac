"""SlotRing: the lock-free hand-over between the render thread and the PortAudio callback."""

from __future__ import annotations

import threading
import time

import pytest

from device.audio.outputs.ring import SlotRing


def slot_bytes_of(ring: SlotRing, slot: int) -> bytes:
    offset = ring.slot_offset(slot)
    return bytes(ring.buffer[offset : offset + ring.slot_bytes])


def test_slots_come_out_in_the_order_written_across_chunk_boundaries() -> None:
    ring = SlotRing(slot_bytes=4, slot_count=4)
    assert ring.write(b"abcdef") == 6  # one full slot, half of the next
    assert ring.readable_slots() == 1
    assert slot_bytes_of(ring, ring.take()) == b"abcd"
    assert ring.take() == -1  # the half slot is not published
    assert ring.write(b"gh") == 2
    assert slot_bytes_of(ring, ring.take()) == b"efgh"


def test_one_slot_is_kept_for_the_consumer_so_the_ring_never_overwrites_it() -> None:
    ring = SlotRing(slot_bytes=2, slot_count=3)
    assert ring.capacity_slots == 2
    assert ring.write(b"aabbcc") == 4  # only two slots fit
    first = ring.take()
    assert slot_bytes_of(ring, first) == b"aa"
    # "aa" is still being copied by PyAudio until the next take(): one slot is free, not two.
    assert ring.writable_bytes() == 2
    assert ring.write(b"ccdd") == 2
    assert slot_bytes_of(ring, first) == b"aa"
    assert slot_bytes_of(ring, ring.take()) == b"bb"
    assert slot_bytes_of(ring, ring.take()) == b"cc"


def test_publish_partial_pads_the_last_slot_with_silence() -> None:
    ring = SlotRing(slot_bytes=4, slot_count=2)
    assert not ring.publish_partial()  # nothing pending
    ring.write(b"xy")
    assert ring.publish_partial()
    assert slot_bytes_of(ring, ring.take()) == b"xy\0\0"


def test_indices_wrap_many_times_without_mixing_up_full_and_empty() -> None:
    ring = SlotRing(slot_bytes=1, slot_count=3)
    for value in range(1000):
        assert ring.write(bytes([value % 256])) == 1
        assert ring.readable_slots() == 1
        assert slot_bytes_of(ring, ring.take()) == bytes([value % 256])
        assert ring.take() == -1


@pytest.mark.parametrize(("slot_bytes", "slot_count"), [(0, 4), (4, 1), (4, 65)])
def test_bad_sizes_are_rejected(slot_bytes: int, slot_count: int) -> None:
    with pytest.raises(ValueError):
        SlotRing(slot_bytes=slot_bytes, slot_count=slot_count)


def test_a_producer_and_a_consumer_thread_pass_a_byte_stream_intact() -> None:
    ring = SlotRing(slot_bytes=64, slot_count=4)
    stream = bytes(i * 7 % 251 for i in range(64 * 2000))
    received = bytearray()

    def produce() -> None:
        sent = 0
        while sent < len(stream):
            taken = ring.write(stream[sent : sent + 100])  # chunks straddle slots
            sent += taken
            if not taken:
                time.sleep(0)  # ring full: let the consumer have the GIL

    def consume() -> None:
        while len(received) < len(stream):
            slot = ring.take()
            if slot >= 0:
                received.extend(slot_bytes_of(ring, slot))
            else:
                time.sleep(0)

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert bytes(received) == stream
