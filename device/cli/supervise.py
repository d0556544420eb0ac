"""``drivetime-unit run``: the engine and the touchscreen, started in order and kept running.

The unit is two processes (docs/architecture.md): the engine owns the audio, the UI is a
client of its control socket. The engine starts first and the UI only once the engine's socket
answers (or ``ENGINE_ANSWER_WAIT_S`` has passed), so audio resumes before the UI spends a
second loading Kivy. Each child runs in its own process group, so a Ctrl-C at the terminal
reaches the supervisor alone and the children stop in order.

A child that exits is restarted on its own and the other is left alone: a UI crash never
touches the music; after an engine crash the UI shows "restarting" and reconnects by itself.
Restarts wait 0.5 s, doubling to 10 s; a child that ran 30 s is healthy again and its next
restart waits 0.5 s. A child that exits with status 2 (the unit's "cannot run as configured")
five times in a row without a healthy run will not start by waiting: the supervisor stops
the other child and exits 2 saying so. SIGTERM or SIGINT stops the UI, then the engine
(SIGTERM, SIGKILL after ``STOP_TIMEOUT_S``), and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from device.control_client import ControlClient, EngineUnavailable
from device.protocol import Status

log = logging.getLogger(__name__)
T = TypeVar("T")

ENGINE_ANSWER_WAIT_S = 10.0  # the UI reconnects anyway; this only orders the start
STOP_TIMEOUT_S = 5.0  # after SIGTERM, before SIGKILL
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 10.0
HEALTHY_AFTER_S = 30.0  # a run this long resets the backoff and the failure count
CANNOT_START_STATUS = 2  # what the unit's commands exit with on a bad config or device
GIVE_UP_AFTER = 5  # exits with CANNOT_START_STATUS in a row, none of them healthy


@dataclass
class Backoff:
    """When to restart a child that exited; pure, so the policy is readable in one place."""

    next_delay_s: float = FIRST_DELAY_S
    cannot_start_count: int = 0

    def after_exit(self, status: int, uptime_s: float) -> float | None:
        """Seconds to wait before the restart, or None: the child cannot start, give up."""
        if uptime_s >= HEALTHY_AFTER_S:
            self.next_delay_s = FIRST_DELAY_S
            self.cannot_start_count = 0
        self.cannot_start_count = (
            self.cannot_start_count + 1 if status == CANNOT_START_STATUS else 0
        )
        if self.cannot_start_count >= GIVE_UP_AFTER:
            return None
        delay_s = self.next_delay_s
        self.next_delay_s = min(delay_s * 2, MAX_DELAY_S)
        return delay_s


def describe_exit(status: int) -> str:
    """``asyncio``'s return code in words: a negative one is the signal that ended it."""
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-status).name}"
        return f"was killed by signal {-status}"
    return f"exited with status {status}"


class Child:
    """One supervised command: started, restarted after each exit, stopped on request."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self.argv = argv
        self.process: asyncio.subprocess.Process | None = None

    async def keep_running(self, stopping: asyncio.Event) -> str | None:
        """Run until ``stopping`` is set (None; the caller stops the process, in order) or
        the child cannot start (the reason, for the driver)."""
        backoff = Backoff()
        while not stopping.is_set():
            started = time.monotonic()
            try:
                # process_group=0: its own group, so the terminal's Ctrl-C is ours to pass on
                self.process = await asyncio.create_subprocess_exec(*self.argv, process_group=0)
            except OSError as exc:
                return f"cannot start the {self.name}: {exc.strerror or exc}"
            log.info("%s started (pid %d)", self.name, self.process.pid)
            status = await _until_stopping(self.process.wait(), stopping)
            if status is None:
                return None
            uptime_s = time.monotonic() - started
            delay_s = backoff.after_exit(status, uptime_s)
            how = describe_exit(status)
            if delay_s is None:
                return (
                    f"the {self.name} {how} {GIVE_UP_AFTER} times in a row right after starting: "
                    "it cannot run as configured (its own message above says why); giving up"
                )
            log.warning(
                "%s (pid %d) %s after %.1f s; restarting it in %.1f s",
                self.name,
                self.process.pid,
                how,
                uptime_s,
                delay_s,
            )
            await _until_stopping(asyncio.sleep(delay_s), stopping)
        return None

    async def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL if it is still there after STOP_TIMEOUT_S."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("%s did not stop within %.0f s: killing it", self.name, STOP_TIMEOUT_S)
            _signal_group(process.pid, signal.SIGKILL)
            await process.wait()
        log.info("%s (pid %d) stopped", self.name, process.pid)


async def run_supervisor(
    config_path: str | None,
    socket_path: Path,
    *,
    ui: bool = True,
    screenshots: Path | None = None,
    verbose: bool = False,
) -> int:
    """Run the engine (and the UI) until SIGTERM or SIGINT (0) or a child cannot start (2)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    options = (["--config", config_path] if config_path else []) + (["-v"] if verbose else [])
    children = [Child("engine", [sys.executable, "-m", "device", *options, "engine"])]
    tasks = [asyncio.create_task(children[0].keep_running(stopping), name="engine")]
    if ui:
        await _until_stopping(_engine_answers(socket_path, tasks[0]), stopping)
        if not stopping.is_set() and not tasks[0].done():
            shots = ["--screenshots", str(screenshots)] if screenshots else []
            children.append(Child("ui", [sys.executable, "-m", "device.ui", *options, *shots]))
            tasks.append(asyncio.create_task(children[1].keep_running(stopping), name="ui"))
    await _until_stopping(asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED), stopping)
    stopping.set()
    reasons = [reason for reason in await asyncio.gather(*tasks) if reason]
    for child in reversed(children):  # the UI first: the engine is what it would miss
        await child.stop()
    for reason in reasons:
        print(f"drivetime-unit run: {reason}", file=sys.stderr)
    return CANNOT_START_STATUS if reasons else 0


async def _engine_answers(socket_path: Path, engine_task: asyncio.Task[str | None]) -> None:
    """Return once the engine answers a status request, has given up, or the wait is over."""
    started = time.monotonic()
    deadline = started + ENGINE_ANSWER_WAIT_S
    while time.monotonic() < deadline and not engine_task.done():
        client = ControlClient(socket_path)
        try:
            await client.connect(timeout_s=1.0)
            await client.request(Status(), timeout_s=1.0)
            log.info("engine answered after %.1f s; starting the UI", time.monotonic() - started)
            return
        except EngineUnavailable:
            await asyncio.sleep(0.1)
        finally:
            await client.close()
    if not engine_task.done():
        log.warning(
            "engine did not answer on %s within %.0f s; starting the UI anyway (it reconnects)",
            socket_path,
            ENGINE_ANSWER_WAIT_S,
        )


async def _until_stopping(awaitable: Awaitable[T], stopping: asyncio.Event) -> T | None:
    """``awaitable``'s result, or None as soon as ``stopping`` is set (it is then cancelled)."""
    work = asyncio.ensure_future(awaitable)
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if work.done():
        return work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return None


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it went by itself meanwhile
        os.killpg(pgid, signum)
