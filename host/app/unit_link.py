"""The app's line to the unit: a thread with its own asyncio loop that owns the DeviceClient.

Kivy keeps its own loop on the main thread; bleak wants an asyncio loop. The link thread
connects (to the remembered unit, else the first one a scan finds), says in words why it
cannot (out of range, not paired, the unit forgot this phone), retries in the background
with backoff, pairs when the driver asks, and passes events and replies to the App through
callbacks that MUST NOT block (the App queues them onto Kivy's clock).

Connection states, for the screens: ``searching`` (looking for / connecting to the unit),
``out_of_range`` (not found or not reachable), ``not_paired`` (reached, never paired),
``bond_lost`` (reached, paired before, but the unit no longer knows this phone),
``pairing``, ``ready``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from device.protocol import Command, Event, Ok
from host.client import Backoff, CommandFailed, DeviceClient, PairingFailed, UnitUnavailable

log = logging.getLogger(__name__)

WORDS = {
    "searching": "Looking for your car…",
    "out_of_range": "Your car is out of range: retrying by itself",
    "not_paired": "Not paired yet: pair with the car",
    "bond_lost": "The car no longer knows this phone: pair again",
    "pairing": "Pairing… compare the digits",
    "ready": "Connected",
}
WATCH_S = 0.5  # how often the link looks whether it is still up


@dataclass(frozen=True)
class Outcome:
    reply: Ok | None
    error: str = ""


class UnitLink:
    def __init__(
        self,
        make_client: Callable[[], DeviceClient],
        on_state: Callable[[str, str], None],
        on_event: Callable[[Event], None],
        address: str | None = None,
        ask_digits: Callable[[int], None] = lambda digits: None,
        backoff: Backoff | None = None,
    ) -> None:
        self._make_client = make_client
        self._on_state, self._on_event, self._ask_digits = on_state, on_event, ask_digits
        self.address = address
        self._backoff = backoff or Backoff(first_s=0.2, max_s=3.0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: asyncio.Task[None] | None = None
        self.client: DeviceClient | None = None
        self.state = ""
        self._pair_wanted: asyncio.Event | None = None
        self._answer: asyncio.Future[bool] | None = None
        self._was_paired = address is not None

    # --- from the App (any thread) --------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="unit-link")
        self._thread.daemon = True
        self._thread.start()
        ready.wait()

    def stop(self, timeout_s: float = 5.0) -> None:
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def pair(self) -> None:
        """The driver asked to pair: done when the unit is reached and not yet paired."""
        self._call(lambda: self._pair_wanted.set() if self._pair_wanted else None)

    def answer_digits(self, same: bool) -> None:
        """The driver compared the digits on the phone with the car's screen."""

        def answer() -> None:
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(same)

        self._call(answer)

    def use_address(self, address: str) -> None:
        """Talk to the unit at ``address`` from now on (the driver chose a car)."""

        async def switching() -> None:
            self.address = address
            if self.client is not None and self.client.connected and self.client.address != address:
                self._was_paired = False
                with contextlib.suppress(UnitUnavailable):
                    await self.client.connect(address)

        self._submit(switching())

    def scan(self, on_done: Callable[[list[Any]], None]) -> None:
        async def scanning() -> None:
            found: list[Any] = []
            with contextlib.suppress(UnitUnavailable):
                found = await (self.client or self._make_client()).scan()
            on_done(found)

        self._submit(scanning())

    def request(self, command: Command, on_done: Callable[[Outcome], None]) -> None:
        async def asking() -> None:
            try:
                if self.client is None:
                    raise UnitUnavailable("not connected to the car")
                outcome = Outcome(await self.client.request(command))
            except CommandFailed as exc:
                outcome = Outcome(None, _sentence(exc.error.msg or exc.error.code))
            except UnitUnavailable as exc:
                outcome = Outcome(None, _sentence(str(exc)))
            on_done(outcome)

        self._submit(asking())

    def run_coroutine(self, make: Callable[[DeviceClient], Any]) -> Future[Any] | None:
        """Run ``make(client)`` on the link's loop (the relay); None when not connected."""
        if self.client is None:
            return None
        client = self.client
        return self._submit(make(client))

    # --- the link thread ------------------------------------------------------------------

    def _call(self, function: Callable[[], None]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(function)

    def _submit(self, coroutine: Any) -> Future[Any] | None:
        if self._loop is None or self._loop.is_closed():
            coroutine.close()
            return None
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        except RuntimeError:
            coroutine.close()
            return None

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._pair_wanted = asyncio.Event()
        self._main = loop.create_task(self._stay_connected())
        ready.set()
        try:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main)
            if self.client is not None:
                loop.run_until_complete(self.client.close())
        finally:
            loop.close()

    def _report(self, state: str, words: str = "") -> None:
        if state != self.state:
            self.state = state
            log.info("unit link: %s %s", state, words)
        self._on_state(state, words or WORDS[state])

    async def _stay_connected(self) -> None:
        delays = self._backoff.delays()
        events: asyncio.Task[None] | None = None
        while True:
            client = self.client = self.client or self._make_client()
            if not client.connected:
                self._report("searching")
                try:
                    await client.connect(self.address)
                except Exception as exc:  # UnitUnavailable, or a radio that failed under it
                    log.info("unit not reached: %r", exc)
                    self._report("out_of_range")
                    await asyncio.sleep(next(delays))
                    continue
                delays = self._backoff.delays()
                self.address = client.address
            if not client.ready:
                self._report("bond_lost" if self._was_paired else "not_paired")
                await self._pair_when_asked(client)
                continue
            self._was_paired = True
            if events is None or events.done():
                events = asyncio.get_running_loop().create_task(self._pass_events(client))
            self._report("ready")
            while client.ready:
                await asyncio.sleep(WATCH_S)
            self._report("out_of_range", "The link to your car dropped: reconnecting")

    async def _pair_when_asked(self, client: DeviceClient) -> None:
        assert self._pair_wanted is not None
        self._pair_wanted.clear()
        waiting = asyncio.get_running_loop().create_task(self._pair_wanted.wait())
        while not waiting.done() and client.connected:
            await asyncio.sleep(WATCH_S / 5)
        if not waiting.done():
            waiting.cancel()
            return  # the link dropped first: connect again
        self._report("pairing")
        try:
            await client.pair(self._compare)
        except (PairingFailed, UnitUnavailable) as exc:
            self._report("not_paired", f"Pairing did not work: {exc}")
            await asyncio.sleep(0.5)

    async def _compare(self, digits: int) -> bool:
        self._answer = asyncio.get_running_loop().create_future()
        self._ask_digits(digits)
        try:
            return await asyncio.wait_for(self._answer, 60)
        except TimeoutError:
            return False

    async def _pass_events(self, client: DeviceClient) -> None:
        async for event in client.events():
            try:
                self._on_event(event)
            except Exception:  # a bug in a screen must not cut the phone off the car
                log.exception("event %s could not be shown", event.name)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
