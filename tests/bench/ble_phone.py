"""The phone of the Bluetooth benchmark, in a process of its own; prints its figures as JSON.

    python -m tests.bench.ble_phone controls --port P --socket S --state-dir D
    python -m tests.bench.ble_phone relay --port P --socket S --state-dir D --file F --unit-pid N

It is the host side's :class:`DeviceClient` on the bumble backend for bleak, reaching the
unit's virtual radio on ``tcp-client:127.0.0.1:P`` as ``drivetime-host`` does in the demo. The
driver's side of pairing (open the window, confirm the digits) goes through the unit's control
socket ``S`` and answers yes as soon as the digits are shown, so no human time is counted.

* ``controls`` — :data:`PAIRINGS` pairings of a new phone each (its own state directory: a
  new identity, no bond), timed from ``connect()`` to paired and ready; then
  :data:`RECONNECTS` reconnections of the last, bonded phone, ``connect()`` to ready; then,
  on that link, the command → state event round trip (:data:`ROUND_TRIPS` ``Volume``
  commands after :data:`WARM_UP`) and ``Status`` request → reply (:data:`STATUS_REQUESTS`).
  The phone's radio (its bumble stack) is opened before each clock starts: a phone's radio
  is on before the driver gets in. Commands go out every :data:`COMMAND_GAP_S`, under the
  unit's limit of 50 commands per second per phone (beyond it the unit answers "busy").
* ``relay`` — pairs (untimed), asks the unit to play a relay, relays the Ogg/Opus file ``F``
  with :func:`host.relay.relay_source` (paced by its granule positions, 1 s ahead) and times
  it; CPU of this process (``getrusage``) and of the unit's process (``psutil``, pid ``N``)
  are read around the relay alone, so start-up and pairing are not counted. The unit's
  ``stats`` events (sent to the phone as to every remote) are kept: their concealment and
  underrun counters say whether audio went missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import resource
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil

from device.control_client import ControlClient, EngineUnavailable
from device.protocol import (
    PairConfirm,
    Pairing,
    PairOpen,
    PlayerState,
    Relay,
    Stats,
    Status,
    Volume,
    Watch,
)
from host.bumble_backend import BUMBLE_BACKENDS, close_stacks, open_stack
from host.client import DeviceClient
from host.relay import relay_source

PAIRINGS = 10
RECONNECTS = 10
WARM_UP = 20
ROUND_TRIPS = 300
STATUS_REQUESTS = 100
COMMAND_GAP_S = 0.025  # 40 commands/s: under the unit's 50 per second per phone
SETTLE_S = 0.5  # between runs: the unit is advertising again, as long after a drive
EVENT_TIMEOUT_S = 2.0
UNIT_UP_TIMEOUT_S = 20.0
PLAYOUT_S = 3.0  # after the last frame: the 1 s lead and the road buffer's start play out
VOLUMES = (40, 60)  # alternating: every command changes the volume, so every one is an event


def transport(port: int) -> str:
    return f"tcp-client:127.0.0.1:{port}"


async def _yes(digits: int) -> bool:
    return True


class Driver:
    """The driver at the unit's screen: opens the pairing window and says yes to the digits."""

    def __init__(self, socket_path: Path) -> None:
        self._screen = ControlClient(socket_path)
        self._watcher = ControlClient(socket_path)
        self._confirming: asyncio.Task[None] | None = None
        self.prompts = 0

    async def start(self) -> None:
        deadline = time.monotonic() + UNIT_UP_TIMEOUT_S
        while True:
            try:
                await self._screen.connect()
                break
            except EngineUnavailable:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
        await self._watcher.connect()
        await self._watcher.request(Watch())
        self._confirming = asyncio.create_task(self._confirm_every_prompt())

    async def open_window(self) -> None:
        await self._screen.request(PairOpen())

    async def _confirm_every_prompt(self) -> None:
        async for event in self._watcher.events():
            if isinstance(event, Pairing) and event.state == "confirm":
                self.prompts += 1
                await self._screen.request(PairConfirm(accept=True))

    async def close(self) -> None:
        confirming, self._confirming = self._confirming, None
        if confirming is not None:
            await _cancel(confirming)
        await self._watcher.close()
        await self._screen.close()


async def _radio_on(port: int, state_dir: Path) -> None:
    """Open this phone's bumble stack (its radio), waiting for the unit's radio to be up."""
    await close_stacks()  # one identity per stack: a new phone needs a new one
    deadline = time.monotonic() + UNIT_UP_TIMEOUT_S
    while True:
        try:
            await open_stack(transport(port), state_dir)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _phone(port: int, state_dir: Path) -> DeviceClient:
    return DeviceClient(**BUMBLE_BACKENDS, transport=transport(port), state_dir=str(state_dir))


async def _pair_new_phone(port: int, state_dir: Path, driver: Driver) -> tuple[DeviceClient, Any]:
    """A phone with no bond pairs; returns it (ready) and (connect s, pair s)."""
    await _radio_on(port, state_dir)
    await driver.open_window()
    phone = _phone(port, state_dir)
    started = time.perf_counter()
    await phone.connect()
    connected = time.perf_counter()
    await phone.pair(_yes)
    paired = time.perf_counter()
    if not phone.ready:
        raise RuntimeError("paired, but the phone is not ready")
    return phone, (connected - started, paired - connected)


# ---- controls -------------------------------------------------------------------------------


async def controls(driver: Driver, port: int, state_dir: Path) -> dict[str, Any]:
    phone: DeviceClient | None = None
    try:
        pairings: list[dict[str, float]] = []
        for run in range(PAIRINGS):
            phone, (connect_s, pair_s) = await _pair_new_phone(
                port, state_dir / f"phone-{run}", driver
            )
            pairings.append({"connect_s": connect_s, "pair_s": pair_s})
            await phone.close()
            phone = None
            await asyncio.sleep(SETTLE_S)
        bonded_dir = state_dir / f"phone-{PAIRINGS - 1}"  # the newest bond: never evicted
        await _radio_on(port, bonded_dir)
        reconnects: list[float] = []
        for run in range(RECONNECTS):
            if phone is not None:
                await phone.close()
                await asyncio.sleep(SETTLE_S)
            phone = _phone(port, bonded_dir)
            started = time.perf_counter()
            await phone.connect()
            reconnects.append(time.perf_counter() - started)
            if not phone.ready:
                raise RuntimeError(f"bonded reconnect {run + 1}: connected but not ready")
        assert phone is not None
        round_trips, missing = await _volume_round_trips(phone)
        status = await _status_round_trips(phone)
        return {
            "pairings": pairings,
            "driver_prompts": driver.prompts,
            "reconnects_s": reconnects,
            "volume_round_trips_s": round_trips,
            "volume_events_missing": missing,
            "status_round_trips_s": status,
            "command_gap_s": COMMAND_GAP_S,
            "warm_up": WARM_UP,
            "mtu": phone.mtu,
        }
    finally:
        if phone is not None:
            await phone.close()


async def _volume_round_trips(phone: DeviceClient) -> tuple[list[float], int]:
    """Send → the PlayerState event carrying that volume, measured on arrival."""
    heard: asyncio.Queue[tuple[float, int]] = asyncio.Queue()

    async def listen() -> None:
        async for event in phone.events():
            if isinstance(event, PlayerState):
                heard.put_nowait((time.perf_counter(), event.volume))

    listening = asyncio.create_task(listen())
    await asyncio.sleep(0)  # the reader is listening before the first command
    times: list[float] = []
    missing = 0
    try:
        async for n, sent_at in _paced(WARM_UP + ROUND_TRIPS):
            percent = VOLUMES[n % 2]
            await phone.request(Volume(percent=percent))
            try:
                arrived = await asyncio.wait_for(_event_with(heard, percent), EVENT_TIMEOUT_S)
            except TimeoutError:
                missing += 1
                continue
            if n >= WARM_UP:
                times.append(arrived - sent_at)
    finally:
        await _cancel(listening)
    return times, missing


async def _event_with(heard: asyncio.Queue[tuple[float, int]], volume: int) -> float:
    while True:
        arrived, seen = await heard.get()
        if seen == volume:
            return arrived


async def _status_round_trips(phone: DeviceClient) -> list[float]:
    times: list[float] = []
    async for _, sent_at in _paced(STATUS_REQUESTS):
        await phone.request(Status())
        times.append(time.perf_counter() - sent_at)
    return times


async def _paced(count: int) -> AsyncIterator[tuple[int, float]]:
    """(n, the moment slot n was taken) every :data:`COMMAND_GAP_S`: commands leave at an
    even rate (perf_counter)."""
    first = time.perf_counter()
    for n in range(count):
        wait = first + n * COMMAND_GAP_S - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        yield n, time.perf_counter()


# ---- relay ----------------------------------------------------------------------------------


async def relay(
    driver: Driver, port: int, state_dir: Path, song: Path, unit_pid: int
) -> dict[str, Any]:
    unit = psutil.Process(unit_pid)
    phone: DeviceClient | None = None
    stats: list[dict[str, Any]] = []
    try:
        phone, _ = await _pair_new_phone(port, state_dir, driver)
        await driver.close()  # nothing of the driver's runs during the relay
        listening = asyncio.create_task(_keep_stats(phone, stats))
        await asyncio.sleep(0)
        state = PlayerState(**(await phone.request(Relay(label=song.name))).data)
        counted = {"bytes": 0}
        cpu_before, unit_before, started = _own_cpu_s(), _cpu_s(unit), time.monotonic()
        frames = await phone.relay(_counting(relay_source(str(song)), counted))
        wall_s = time.monotonic() - started
        phone_cpu_s, unit_cpu_s = _own_cpu_s() - cpu_before, _cpu_s(unit) - unit_before
        at_relay_end = stats[-1] if stats else None
        await asyncio.sleep(PLAYOUT_S)
        await _cancel(listening)
        return {
            "room": state.room,
            "frames_sent": frames,
            "bytes_sent": counted["bytes"],
            "file_bytes": song.stat().st_size,
            "relay_wall_s": wall_s,
            "phone_cpu_s": phone_cpu_s,
            "unit_cpu_s": unit_cpu_s,
            "unit_stats_at_relay_end": at_relay_end,
            "unit_stats_after_playout": stats[-1] if stats else None,
            "stats_events": len(stats),
            "mtu": phone.mtu,
        }
    finally:
        if phone is not None:
            await phone.close()


async def _counting(frames: AsyncIterator[bytes], counted: dict[str, int]) -> AsyncIterator[bytes]:
    async for frame in frames:
        counted["bytes"] += len(frame)
        yield frame


async def _keep_stats(phone: DeviceClient, stats: list[dict[str, Any]]) -> None:
    async for event in phone.events():
        if isinstance(event, Stats):
            stats.append(asdict(event))


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _with_driver(
    socket_path: Path, scenario: Callable[[Driver], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    driver = Driver(socket_path)
    await driver.start()
    try:
        return await scenario(driver)
    finally:
        await close_stacks()
        await driver.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ble_phone")
    parser.add_argument("scenario", choices=("controls", "relay"))
    parser.add_argument("--port", type=int, required=True, help="the unit's virtual radio port")
    parser.add_argument("--socket", type=Path, required=True, help="the unit's control socket")
    parser.add_argument("--state-dir", type=Path, required=True, help="the phones' state")
    parser.add_argument("--file", type=Path, help="relay: the .opus file to relay")
    parser.add_argument("--unit-pid", type=int, help="relay: the unit's process, for its CPU")
    args = parser.parse_args(argv)
    if args.scenario == "controls":
        scenario = functools.partial(controls, port=args.port, state_dir=args.state_dir)
    else:
        if args.file is None or args.unit_pid is None:
            parser.error("relay needs --file and --unit-pid")
        if not args.file.is_file():
            parser.error(f"no file {args.file}")
        scenario = functools.partial(
            relay, port=args.port, state_dir=args.state_dir, song=args.file,
            unit_pid=args.unit_pid,
        )  # fmt: skip
    result = asyncio.run(_with_driver(args.socket, scenario))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
