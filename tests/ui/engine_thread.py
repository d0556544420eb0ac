"""A real engine on its own asyncio loop in a background thread.

Kivy wants the main thread (the tests pump its frames there), so the engine the screen talks
to runs beside it, reached only through its control socket — as on the unit, where they are
two processes. Test code reaches into the engine only through ``run`` and ``call``, which
execute on the engine's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from device.config import Config, config_from_dict
from device.engine import Engine
from tests.e2e.engine_harness import Recorder, engine_config, start_engine

T = TypeVar("T")


class EngineThread:
    def __init__(self, tmp_path: Path, **sections: dict) -> None:
        self._tmp_path = tmp_path
        self._sections = sections
        self.config: Config = config_from_dict(engine_config(tmp_path, "null", **sections))
        self.engine: Engine | None = None
        self.recorder: Recorder | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="engine", daemon=True)
        self._thread.start()

    def start(self) -> Engine:
        """Start an engine (again, after ``stop``) on the same control socket."""
        self.engine, self.recorder = self.run(
            start_engine(self._tmp_path, "null", **self._sections)
        )
        return self.engine

    def stop(self) -> None:
        if self.engine is not None:
            engine, self.engine = self.engine, None
            self.run(engine.close())

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        async def on_loop() -> T:
            return function(*args)

        return self.run(on_loop())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        self._loop.close()
