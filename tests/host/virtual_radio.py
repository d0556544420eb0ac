"""Run a phone-side scenario against a fresh fake unit on its own virtual radio."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from host.bumble_backend import close_stacks
from tests.host.fake_unit import FakeUnit

T = TypeVar("T")
SCENARIO_TIMEOUT_S = 15


def on_virtual_radio(
    state_dir: Path, scenario: Callable[[FakeUnit, dict[str, Any]], Awaitable[T]]
) -> T:
    """``scenario(unit, backend_kwargs)``; the kwargs point bleak's bumble backend at the
    unit's radio with a private phone state directory."""

    async def main() -> T:
        unit = await FakeUnit.start()
        try:
            kwargs = {"transport": unit.transport, "state_dir": state_dir}
            return await asyncio.wait_for(scenario(unit, kwargs), SCENARIO_TIMEOUT_S)
        finally:
            await close_stacks()
            await unit.close()

    return asyncio.run(main())
