"""The touchscreen's line to the engine: a background thread that stays connected.

Why a thread with its own asyncio loop rather than Kivy's ``App.async_run``:

* the socket is read, and the engine reconnected, while Kivy is busy with a frame (10-30 ms
  under llvmpipe, longer for a texture upload), so events never wait behind a slow frame and
  a stuck frame never holds a command back;
* Kivy keeps its stock ``App.run()`` loop, and tests drive the UI by pumping
  ``EventLoop.idle()`` like any Kivy app (Kivy's async test helpers break on pytest 9);
* what crosses threads is small and one-way: callbacks here only hand an event or a reply
  to the App, which queues it and fires a Clock trigger (Kivy's scheduling is thread-safe).

Two connections: one watches (events only), one carries commands. ``ControlClient`` reads
one message at a time, so a reader shared by an event loop and a request would race.
Callbacks run on the link thread and MUST NOT block it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from device.control_client import CommandFailed, ControlClient, EngineUnavailable
from device.protocol import Command, Event, Ok, Watch

log = logging.getLogger(__name__)

RETRY_INITIAL_S = 0.1  # a local socket: retrying is cheap, and the driver is waiting
RETRY_MAX_S = 1.0


@dataclass(frozen=True)
class Outcome:
    """A command's result: the engine's reply, or why there is none (words for the driver)."""

    reply: Ok | None
    error: str = ""


EventSink = Callable[[Event], None]
ConnectionSink = Callable[[bool, str], None]  # (connected, why not)
ReplySink = Callable[[Outcome], None]


class EngineLink:
    def __init__(
        self,
        socket_path: Path,
        on_event: EventSink,
        on_connection: ConnectionSink,
        retry_initial_s: float = RETRY_INITIAL_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self._path = socket_path
        self._on_event = on_event
        self._on_connection = on_connection
        self._retry = (retry_initial_s, retry_max_s)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._watching: asyncio.Task[None] | None = None
        self._commands: ControlClient | None = None
        self._command_lock: asyncio.Lock | None = None
        self._connected: bool | None = None

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="engine-link", daemon=True
        )
        self._thread.start()
        ready.wait()

    def stop(self, timeout_s: float = 2.0) -> None:
        loop, watching = self._loop, self._watching
        if loop is not None and watching is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(watching.cancel)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def send(self, command: Command, on_done: ReplySink | None = None) -> Future[Outcome] | None:
        """Send ``command`` from any thread; ``on_done`` gets the Outcome on the link thread.
        Returns the future (None once the link is stopped)."""
        loop = self._loop
        try:
            if loop is None or loop.is_closed():
                raise RuntimeError("stopped")
            future = asyncio.run_coroutine_threadsafe(self._request(command), loop)
        except RuntimeError:
            if on_done is not None:
                on_done(Outcome(None, "The screen is shutting down"))
            return None
        if on_done is not None:
            future.add_done_callback(lambda done: on_done(_outcome_of(done)))
        return future

    # --- the link thread ------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._command_lock = asyncio.Lock()
        self._watching = loop.create_task(self._keep_watching())
        ready.set()
        try:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._watching)
            loop.run_until_complete(self._close_commands())
        finally:
            loop.close()

    async def _keep_watching(self) -> None:
        delay = self._retry[0]
        while True:
            client = ControlClient(self._path)
            try:
                await client.connect(timeout_s=1.0)
                await client.request(Watch())
                self._report_connection(True, "")
                delay = self._retry[0]
                async for event in client.events():
                    self._deliver(event)
            except (EngineUnavailable, CommandFailed) as exc:
                self._report_connection(False, str(exc))
            finally:
                await client.close()
            await self._close_commands()  # it went with the engine: reconnect on next send
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry[1])

    def _deliver(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:  # a bug in one screen must not cut the screen off the engine
            log.exception("event %s could not be shown", event.name)

    def _report_connection(self, connected: bool, why: str) -> None:
        if connected != self._connected:
            self._connected = connected
            log.info("engine %s%s", "connected" if connected else "unavailable: ", why)
            self._on_connection(connected, why)

    async def _request(self, command: Command) -> Outcome:
        assert self._command_lock is not None
        async with self._command_lock:  # one request in flight per connection
            try:
                if self._commands is None:
                    client = ControlClient(self._path)
                    await client.connect(timeout_s=1.0)
                    self._commands = client
                return Outcome(await self._commands.request(command))
            except CommandFailed as exc:
                return Outcome(None, _sentence(exc.error.msg or exc.error.code))
            except EngineUnavailable as exc:
                log.info("%s not sent: %s", command.name, exc)
                await self._drop_commands()
                return Outcome(None, "The engine is not answering")

    async def _close_commands(self) -> None:
        assert self._command_lock is not None
        async with self._command_lock:
            await self._drop_commands()

    async def _drop_commands(self) -> None:
        if self._commands is not None:
            client, self._commands = self._commands, None
            await client.close()


def _outcome_of(future: Future[Outcome]) -> Outcome:
    if future.cancelled():
        return Outcome(None, "The screen is shutting down")
    error = future.exception()
    if error is not None:  # a bug, not a refusal: say so rather than stay silent
        log.error("command failed: %r", error)
        return Outcome(None, "Something went wrong")
    return future.result()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
