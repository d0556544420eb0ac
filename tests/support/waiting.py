"""Waiting in async tests for what the engine does on its own time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``condition()`` held; AssertionError naming ``what`` after ``timeout_s``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"no {what} within {timeout_s} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started
