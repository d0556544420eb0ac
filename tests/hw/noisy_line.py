"""A serial line with bit errors, for the codec's tests and the panel bench: frames sent,
bits flipped at a given rate, and the false events among what a reader made of it."""

from __future__ import annotations

import random

from hw.panel.firmware import panel_codec as codec

Message = tuple[int, int, tuple[int, ...]]


def noisy_line(
    rng: random.Random, frames: int, bit_error_rate: float
) -> tuple[list[Message], bytes, int]:
    """(messages sent, the line's bytes after the noise, bits flipped): knob turns and presses."""
    sent: list[Message] = []
    line = bytearray()
    for seq in range(frames):
        kind, fields = rng.choice(
            [(codec.KNOB, (rng.choice((-2, -1, 1, 2)),)), (codec.PRESS, (rng.randint(0, 5), 0))]
        )
        sent.append((kind, seq & 0xFF, fields))
        line += codec.encode(kind, seq, *fields)
    flipped = 0
    for index in range(len(line)):
        for bit in range(8):
            if rng.random() < bit_error_rate:
                line[index] ^= 1 << bit
                flipped += 1
    return sent, bytes(line), flipped


def false_events(sent: list[Message], received: list[Message]) -> list[Message]:
    """What arrived that was not sent: received must be ``sent`` in order, some missing."""
    remaining = iter(sent)
    return [message for message in received if not any(message == s for s in remaining)]
