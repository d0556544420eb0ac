"""Framing of encoded messages on byte streams and on BLE GATT.

Stream framing (Unix socket): a 2-byte big-endian length, then the message.

GATT fragmentation: the ATT payload of a write or notification is ``MTU - 3`` bytes, only 20
with the 23-byte minimum MTU. Each fragment starts with one header byte:

    bit 7  FIRST  — the fragment starts a message
    bit 6  LAST   — the fragment ends a message
    bits 0-5      — fragment sequence number, modulo 64, restarting at 0 on every message

A message that fits one fragment is sent as a single FIRST|LAST fragment. The receiver drops a
message whose fragments arrive out of sequence and says why; nothing else is lost, the next
FIRST fragment starts afresh.
"""

from __future__ import annotations

from device.protocol.errors import ErrorCode, ProtocolError

MAX_MESSAGE_BYTES = 4096
LENGTH_PREFIX_BYTES = 2
ATT_HEADER_BYTES = 3
MIN_ATT_MTU = 23

FIRST = 0x80
LAST = 0x40
SEQUENCE_MASK = 0x3F


def frame(message: bytes) -> bytes:
    """Length-prefix one encoded message for a byte stream."""
    if len(message) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message is {len(message)} bytes")
    return len(message).to_bytes(LENGTH_PREFIX_BYTES, "big") + message


class StreamDeframer:
    """Split a byte stream back into messages; feed it whatever the socket returned."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._pending += data
        messages = []
        while len(self._pending) >= LENGTH_PREFIX_BYTES:
            length = int.from_bytes(self._pending[:LENGTH_PREFIX_BYTES], "big")
            if length > MAX_MESSAGE_BYTES:
                # The stream is out of step and cannot be resynchronised: the caller closes it.
                raise ProtocolError(ErrorCode.TOO_LARGE, f"frame announces {length} bytes")
            end = LENGTH_PREFIX_BYTES + length
            if len(self._pending) < end:
                break
            messages.append(bytes(self._pending[LENGTH_PREFIX_BYTES:end]))
            del self._pending[:end]
        return messages


def fragment(message: bytes, mtu: int = MIN_ATT_MTU) -> list[bytes]:
    """Cut one encoded message into GATT values for an ATT MTU of ``mtu``."""
    if mtu < MIN_ATT_MTU:
        raise ValueError(f"ATT MTU must be at least {MIN_ATT_MTU}, got {mtu}")
    if len(message) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message is {len(message)} bytes")
    room = mtu - ATT_HEADER_BYTES - 1
    chunks = [message[i : i + room] for i in range(0, len(message), room)] or [b""]
    fragments = []
    for index, chunk in enumerate(chunks):
        header = index & SEQUENCE_MASK
        if index == 0:
            header |= FIRST
        if index == len(chunks) - 1:
            header |= LAST
        fragments.append(bytes([header]) + chunk)
    return fragments


class FragmentReassembler:
    """Rebuild messages from GATT fragments of one sender, in arrival order."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._next_sequence: int | None = None

    def feed(self, value: bytes) -> bytes | None:
        """Return a complete message, or None while one is still arriving.

        Raises ProtocolError for a fragment that cannot belong to the current message; the
        partial message is dropped and the reassembler is ready for the next FIRST fragment.
        """
        if not value:
            raise ProtocolError(ErrorCode.MALFORMED, "empty fragment")
        header, chunk = value[0], value[1:]
        sequence = header & SEQUENCE_MASK
        if header & FIRST:
            if sequence != 0:
                self._drop()
                raise ProtocolError(ErrorCode.MALFORMED, "first fragment must have sequence 0")
            self._drop()
        elif self._next_sequence is None:
            raise ProtocolError(ErrorCode.MALFORMED, "fragment without a first fragment")
        elif sequence != self._next_sequence:
            expected = self._next_sequence
            self._drop()
            raise ProtocolError(
                ErrorCode.MALFORMED, f"fragment {sequence} out of sequence (expected {expected})"
            )
        self._size += len(chunk)
        if self._size > MAX_MESSAGE_BYTES:
            self._drop()
            raise ProtocolError(ErrorCode.TOO_LARGE, "fragmented message exceeds the limit")
        self._parts.append(chunk)
        self._next_sequence = (sequence + 1) & SEQUENCE_MASK
        if header & LAST:
            message = b"".join(self._parts)
            self._drop()
            return message
        return None

    def _drop(self) -> None:
        self._parts = []
        self._size = 0
        self._next_sequence = None
