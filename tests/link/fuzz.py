"""Fuzzed COMMAND fragments and the replies a correct session owes for them."""

from __future__ import annotations

import random

from device.protocol import (
    MAX_MESSAGE_BYTES,
    Command,
    Error,
    FragmentReassembler,
    Ok,
    ProtocolError,
    Status,
    Volume,
    decode_message,
    encode_message,
    fragment,
)
from device.protocol.framing import FIRST

MTU = 23
VALID = [encode_message(c) for c in (Status(id=5), Volume(id=6, percent=30))]


def fuzzed_values(seed: int, count: int, max_bytes: int | None = None) -> list[bytes]:
    """Random bytes, valid messages, mutated messages, stray fragments, oversized ones;
    cut to ``max_bytes`` when they must fit a GATT write at a small MTU."""
    rng = random.Random(seed)
    return [_fuzzed_value(rng)[:max_bytes] for _ in range(count)]


def expected_replies(values: list[bytes]) -> tuple[list[type], list[int]]:
    """The reply type owed for each complete or broken message, in order, and how many
    replies are owed once each value has been written.

    One reply per broken message: after a broken fragment, the rest of that message (up to
    the next FIRST fragment) is skipped without a word."""
    expected: list[type] = []
    owed_after: list[int] = []
    oracle, skipping = FragmentReassembler(), False
    for value in values:
        starts_message = bool(value) and bool(value[0] & FIRST)
        if not skipping or starts_message:
            skipping = False
            try:
                message = oracle.feed(value)
            except ProtocolError:
                expected.append(Error)
                skipping = True
            else:
                if message is not None:
                    expected.append(_reply_type(message))
        owed_after.append(len(expected))
    return expected, owed_after


def _fuzzed_value(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.25:  # random bytes
        return rng.randbytes(rng.randint(0, 20))
    if kind < 0.45:  # a valid message in one fragment
        return fragment(rng.choice(VALID), 247)[0]
    if kind < 0.7:  # a valid message with a few bytes changed
        data = bytearray(rng.choice(VALID))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes([0xC0]) + bytes(data)
    if kind < 0.9:  # one fragment of a valid message, maybe out of place
        return rng.choice(fragment(rng.choice(VALID), MTU))
    return bytes([0xC0]) + rng.randbytes(rng.randint(0, MAX_MESSAGE_BYTES // 64))


def _reply_type(message: bytes) -> type:
    try:
        decoded = decode_message(message)
    except ProtocolError:
        return Error
    return Ok if isinstance(decoded, Command) else Error
