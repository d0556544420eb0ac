"""Helpers shared by tests and benchmarks (no test cases here)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from tests.support.fault_proxy import FaultProxy, ProxyCounters, ThreadedFaultProxy

__all__ = ["FaultProxy", "ProxyCounters", "ThreadedFaultProxy", "async_test"]


def async_test(
    test: Callable[..., Coroutine[Any, Any, None]], timeout_s: float = 15.0
) -> Callable[..., None]:
    """Run an ``async def`` test on a fresh event loop; a hang fails after ``timeout_s``."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout_s))

    return wrapper
