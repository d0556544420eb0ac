"""A single-producer single-consumer ring of fixed-size PCM slots over one preallocated bytearray.

The producer (an output's render thread) writes a byte stream of any chunk size; each slot is
published once it is full. The consumer (the PortAudio callback) takes whole slots, by index,
and reads them in place — nothing is copied or allocated on its side.

Memory ordering (why there are no locks): CPython runs Python code under the GIL, and every
GIL hand-over between threads is a mutex release/acquire, i.e. a full memory barrier. The
producer finishes copying a slot's bytes (a memoryview slice assignment, done entirely while
holding the GIL) *before* it stores the new write index, so a consumer that sees the new index
also sees the bytes. Each index has exactly one writer and a single attribute store is atomic.
This reasoning does NOT hold on a free-threaded (no-GIL) build of Python.

Indices run modulo ``2 * slot_count`` (the usual "one extra wrap bit" trick that tells full from
empty), which keeps them small ints — CPython caches those, so ``take`` allocates nothing.

A taken slot stays untouched by the producer until the consumer takes the *next* one: PyAudio
copies the slot into PortAudio's buffer after the callback has returned, so the slot most
recently handed out is still being read. Hence at most ``slot_count - 1`` slots are buffered.
"""

from __future__ import annotations

MAX_SLOTS = 64
"""Keeps 2 * slot_count within CPython's small-int cache (-5..256)."""


class SlotRing:
    """SPSC ring of ``slot_count`` slots of ``slot_bytes`` each.

    Producer side: ``writable_bytes``, ``write``, ``publish_partial``. Consumer side: ``take``,
    ``readable_slots``. Each side must be used from one thread only.
    """

    def __init__(self, *, slot_bytes: int, slot_count: int) -> None:
        if slot_bytes <= 0:
            raise ValueError("slot_bytes must be positive")
        if not 2 <= slot_count <= MAX_SLOTS:
            raise ValueError(f"slot_count must be 2..{MAX_SLOTS}, got {slot_count}")
        self.slot_bytes = slot_bytes
        self.slot_count = slot_count
        self.buffer = bytearray(slot_bytes * slot_count)
        self._view = memoryview(self.buffer)
        self._wrap = 2 * slot_count
        self._write_index = 0  # written only by the producer
        self._read_index = 0  # written only by the consumer
        self._partial_bytes = 0  # producer-private: bytes already in the slot being filled

    @property
    def capacity_slots(self) -> int:
        """Slots that can be buffered ahead of the consumer (one is kept for the slot in use)."""
        return self.slot_count - 1

    def slot_offset(self, slot: int) -> int:
        """Byte offset of ``slot`` within ``buffer``."""
        return slot * self.slot_bytes

    # -- consumer ------------------------------------------------------------------------------

    def readable_slots(self) -> int:
        return (self._write_index - self._read_index) % self._wrap

    def take(self) -> int:
        """Index of the next full slot, or -1 if none is ready (underrun). Never blocks.

        The slot's bytes stay valid until the following ``take`` call.
        """
        read_index = self._read_index
        if read_index == self._write_index:
            return -1
        self._read_index = (read_index + 1) % self._wrap
        return read_index % self.slot_count

    # -- producer ------------------------------------------------------------------------------

    def writable_bytes(self) -> int:
        """Bytes ``write`` would accept now."""
        free_slots = self.capacity_slots - self.readable_slots()
        return max(0, free_slots * self.slot_bytes - self._partial_bytes)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Copy as much of ``data`` as fits; publish every slot that becomes full.

        Returns the number of bytes taken (a prefix of ``data``).
        """
        source = memoryview(data).cast("B")
        taken = 0
        total = min(len(source), self.writable_bytes())
        while taken < total:
            slot = self._write_index % self.slot_count
            start = slot * self.slot_bytes + self._partial_bytes
            chunk = min(total - taken, self.slot_bytes - self._partial_bytes)
            self._view[start : start + chunk] = source[taken : taken + chunk]
            taken += chunk
            self._partial_bytes += chunk
            if self._partial_bytes == self.slot_bytes:
                self._publish()
        return taken

    def publish_partial(self) -> bool:
        """Zero-pad the slot being filled and publish it (end of stream). False if none."""
        if self._partial_bytes == 0:
            return False
        start = (self._write_index % self.slot_count) * self.slot_bytes
        self._view[start + self._partial_bytes : start + self.slot_bytes] = bytes(
            self.slot_bytes - self._partial_bytes
        )
        self._publish()
        return True

    def _publish(self) -> None:
        self._partial_bytes = 0
        # The bytes are in place before this store: see the module docstring.
        self._write_index = (self._write_index + 1) % self._wrap
