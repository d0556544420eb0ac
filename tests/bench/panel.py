"""The panel: event → engine command applied, the frame parser, and ignition off.

* Event → applied: a KNOB frame written to the pty's panel end (the Pico's USB serial as the
  unit sees it) until the player's state shows the new volume, through the real serial
  driver, the panel frontend and the command dispatcher; the in-process fake panel beside it
  shows what the serial hop costs. Goal p95 ≤ 10 ms.
* Parser: ``FrameReader`` over 200,000 frames (frames/s, MB/s), and at a bit error rate of
  1e-3 over 100,000 frames: false events (goal 0) and the share still delivered.
* Ignition off (the default 2 s fade): the PowerManager's own times to state saved and audio
  faded, and the time until the file output is silent, measured on the samples.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from device.core.listener import PlayerListener
from hw.panel.events import IgnitionChanged
from hw.panel.firmware import panel_codec as codec
from tests.bench.ble import latency_ms
from tests.e2e.engine_harness import start_engine
from tests.hw.noisy_line import false_events, noisy_line
from tests.hw.pty_panel import PtyPanel

SAMPLES = 300
PARSER_FRAMES = 200_000
BER_FRAMES = 100_000
BIT_ERROR_RATE = 1e-3
IGNITION_RUNS = 5
RATE = 48_000


class VolumeWatch(PlayerListener):
    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.at = 0.0
        self.volume = -1

    def on_state(self, snapshot: Any) -> None:
        if snapshot.volume != self.volume:
            self.volume = snapshot.volume
            self.at = time.perf_counter()
            self.changed.set()


async def _event_to_command(tmp: Path, kind: str) -> list[float]:
    pty = PtyPanel(str(tmp / f"panel-{kind}")) if kind == "serial" else None
    device = f"serial:{pty.link_path},115200" if pty is not None else "fake"
    engine, _ = await start_engine(
        tmp / kind, "null", panel={"device": device}, audio={"volume": 50}
    )
    watch = VolumeWatch()
    engine.player.add_listener(watch)
    watch.volume = engine.player.snapshot().volume
    try:
        while pty is not None and not engine.panel.device.connected:
            await asyncio.sleep(0.01)
        samples = []
        for index in range(SAMPLES):
            steps = 1 if index % 2 == 0 else -1
            watch.changed.clear()
            await asyncio.sleep(0.005 + random.random() * 0.01)  # not in step with the reader
            sent = time.perf_counter()
            if pty is not None:
                pty.send_event(codec.KNOB, steps)
            else:
                from hw.panel.events import KnobTurned

                engine.panel.device.emit(KnobTurned(steps))
            await asyncio.wait_for(watch.changed.wait(), 2)
            samples.append(watch.at - sent)
        return samples
    finally:
        await engine.close()
        if pty is not None:
            pty.unplug()


def _parser() -> dict[str, Any]:
    rng = random.Random(7)
    frames = [
        codec.encode(codec.PRESS, seq, rng.randint(0, 5), rng.randint(0, 1))
        for seq in range(PARSER_FRAMES)
    ]
    line = b"".join(frames)
    reader = codec.FrameReader()
    start = time.perf_counter()
    decoded = reader.feed(line)
    elapsed = time.perf_counter() - start
    assert len(decoded) == PARSER_FRAMES

    sent, noisy, flipped = noisy_line(rng, BER_FRAMES, BIT_ERROR_RATE)
    received = codec.FrameReader().feed(noisy)
    false = len(false_events(sent, received))
    return {
        "frames": PARSER_FRAMES,
        "frames_per_s": round(PARSER_FRAMES / elapsed),
        "mb_per_s": round(len(line) / elapsed / 1e6, 2),
        "ber": BIT_ERROR_RATE,
        "ber_frames": BER_FRAMES,
        "bits_flipped": flipped,
        "false_events": false,
        "delivered_share": round(len(received) / BER_FRAMES, 4),
    }


def _level(path: Path, seconds: float = 0.05) -> float:
    data = path.read_bytes()
    tail = np.frombuffer(data[-int(seconds * RATE) * 4 :], dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(tail**2))) if tail.size else 0.0


async def _ignition(room_url: str, tmp: Path) -> dict[str, Any]:
    heard = tmp / "ignition.raw"
    power = {"shutdown_delay_s": 600.0, "poweroff_command": "true"}  # timed, never reached
    engine, _ = await start_engine(
        tmp / "ignition", f"file:{heard}", panel={"device": "fake"}, power=power
    )
    saved, faded, silent = [], [], []
    try:
        await engine.player.join(room_url)
        for _ in range(IGNITION_RUNS):
            while not heard.exists() or _level(heard) < 300:
                await asyncio.sleep(0.02)
            off = time.monotonic()
            engine.panel.device.emit(IgnitionChanged(on=False))
            while _level(heard) >= 1.0:
                await asyncio.sleep(0.01)
            silent.append(time.monotonic() - off)
            while engine.power.faded_after_s < 0 or not engine.power.shutting_down:
                await asyncio.sleep(0.01)
            saved.append(engine.power.saved_after_s)
            faded.append(engine.power.faded_after_s)
            engine.panel.device.emit(IgnitionChanged(on=True))
            engine.power.saved_after_s = engine.power.faded_after_s = -1.0
            await asyncio.sleep(0.5)
    finally:
        await engine.close()
    return {
        "fade_s": engine.config.power.fade_s,
        "state_saved": latency_ms(saved),
        "faded": latency_ms(faded),
        "silent_at_output": latency_ms(silent),
    }


def measure(room_url: str, tmp: Path) -> dict[str, Any]:
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "serial": latency_ms(asyncio.run(_event_to_command(tmp, "serial"))),
        "fake": latency_ms(asyncio.run(_event_to_command(tmp, "fake"))),
        "parser": _parser(),
        "ignition": asyncio.run(_ignition(room_url, tmp)),
    }
