"""A real engine in the benchmark's event loop (as tests/e2e does), on its default settings.

Only what a benchmark must choose is set: the output, the buffer mode and road target, and a
private control socket. Network timeouts and backoff stay at the engine's defaults, so the
figures are those of the unit as shipped.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from device.audio.outputs.base import AudioOutput
from device.config import config_from_dict
from device.engine import Engine


@contextlib.asynccontextmanager
async def running_engine(
    output: str, mode: str = "live", road_target_ms: int | None = None
) -> AsyncIterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="drivetime-bench-") as tmp:
        data: dict[str, dict[str, object]] = {
            "audio": {"output": output, "mode": mode, "volume": 100},
            "engine": {"socket": str(Path(tmp) / "engine.sock")},
        }
        if road_target_ms is not None:
            data["road"] = {"target_ms": road_target_ms}
        engine = Engine(config_from_dict(data, source="bench"))
        await engine.start()
        try:
            yield engine
        finally:
            await engine.close()


def block_due_monotonic(output: AudioOutput, rendered_at: float) -> float:
    """When the block rendered at ``rendered_at`` reaches a paced null/file output.

    The writer renders block *n* right after writing block *n - 1*, then sleeps until block
    *n* is due (``first_block_monotonic + n * block``), so a block is delivered at the first
    due time after it was rendered (or at once, if the writer is running late).
    """
    t0 = output.first_block_monotonic
    if t0 is None:
        return rendered_at
    block_s = output.frames_per_block / output.format.rate
    due = t0 + (math.floor((rendered_at - t0) / block_s) + 1) * block_s
    return max(rendered_at, due)
