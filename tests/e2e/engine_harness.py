"""Run a real engine in the test's event loop and watch what it tells its listeners."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from device.config import config_from_dict
from device.core.listener import PlayerListener, PlayerSnapshot, PlayoutStats
from device.engine import Engine


@dataclass
class Recorder(PlayerListener):
    states: list[PlayerSnapshot] = field(default_factory=list)
    now_playing: list[tuple[float, str, str, str]] = field(default_factory=list)
    stats: list[PlayoutStats] = field(default_factory=list)

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        self.states.append(snapshot)

    def on_now_playing(self, artist: str, title: str, album: str) -> None:
        self.now_playing.append((time.monotonic(), artist, title, album))

    def on_stats(self, stats: PlayoutStats) -> None:
        self.stats.append(stats)

    @property
    def state_names(self) -> list[str]:
        return [s.state for s in self.states]

    async def wait_for_state(self, state: str, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.states or self.states[-1].state != state:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {state!r} within {timeout_s} s: {self.state_names}")
            await asyncio.sleep(0.02)


def engine_config(tmp_path: Path, output: str, **sections: dict) -> dict:
    data = {
        "audio": {"output": output, "volume": 100},
        "engine": {"socket": str(tmp_path / "run" / "engine.sock")},
        "network": {"stall_timeout_s": 1.0, "backoff_initial_s": 0.05, "backoff_max_s": 0.5},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


async def start_engine(tmp_path: Path, output: str, **sections: dict) -> tuple[Engine, Recorder]:
    engine = Engine(config_from_dict(engine_config(tmp_path, output, **sections)))
    recorder = Recorder()
    engine.player.add_listener(recorder)
    await engine.start()
    return engine, recorder
