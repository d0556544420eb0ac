"""``null``: discards every block, at a sound card's pace (or as fast as possible, unpaced).

Stands in for a sound card in demos and tests: time-to-first-audio, pacing and volume behave
as with a real device; nothing is heard.
"""

from __future__ import annotations

from device.audio.outputs.base import DEFAULT_FRAMES_PER_BLOCK
from device.audio.outputs.writer import BlockWriterOutput


class NullOutput(BlockWriterOutput):
    def __init__(
        self, *, frames_per_block: int = DEFAULT_FRAMES_PER_BLOCK, volume: int = 100
    ) -> None:
        super().__init__("null", frames_per_block=frames_per_block, volume=volume)

    def _write_block(self, block: memoryview) -> None:
        pass
