"""The phone's typed async client of the car unit over Bluetooth LE, on any bleak backend.

    unit = DeviceClient()                      # the platform's bleak backend
    unit = DeviceClient(**BUMBLE_BACKENDS, transport="usb:0")   # or bumble's, with its options
    await unit.scan()                          # the units in range, nearest first
    await unit.connect()                       # the first unit a scan finds (or connect(address))
    if not unit.ready:
        await unit.pair(show_digits_and_ask)   # SC numeric comparison, once per phone
    ok = await unit.request(Volume(percent=40))
    async for event in unit.events(): ...

Commands go to COMMAND as protocol fragments sized to the link's ATT MTU; replies and events
come back as EVENTS notifications, reassembled and matched to requests by id. Subscribing to
EVENTS is what the unit counts as ``watch``, and needs a bonded, encrypted link: until then
the client is connected but not ``ready``. ``keep_connected()`` is the run loop that brings
the link back, with backoff, whenever it drops. Every way of not reaching the unit is a
``UnitUnavailable`` whose message says which; a command the unit refuses is ``CommandFailed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode

from device.protocol import (
    Command,
    Error,
    Event,
    FragmentReassembler,
    Ok,
    ProtocolError,
    decode_message,
    encode_message,
    fragment,
)
from device.protocol.gatt import AUDIO_UUID, COMMAND_UUID, EVENTS_UUID, SERVICE_UUID

REPLY_TIMEOUT_S = 5.0  # the unit answers in milliseconds; a long radio stall is the limit
SCAN_TIMEOUT_S = 10.0  # looking for a unit to connect to: stops at the first one
LISTING_SCAN_S = 3.0  # listing every unit around: scans the whole time
CONNECT_TIMEOUT_S = 10.0
EVENT_QUEUE_LIMIT = 256  # per events() reader; a stalled reader loses the oldest first
NOT_PAIRED_CODES = (
    BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION,
    BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION,
)

ConfirmDigits = Callable[[int], Awaitable[bool]]

logger = logging.getLogger(__name__)


class UnitUnavailable(ConnectionError):
    """The unit cannot be reached, the link dropped, or a reply never came; says which."""


class NotPaired(UnitUnavailable):
    """The unit refuses this phone until it pairs (or pairs again, if the unit forgot it)."""


class PairingFailed(UnitUnavailable):
    """Pairing did not complete: the digits were rejected on either side, or it timed out."""


class CommandFailed(RuntimeError):
    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.msg}")
        self.error = error


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: ``first_s``, growing by ``factor`` up to ``max_s``,
    each spread by ±``jitter`` so phones in one car park do not retry in step."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.2

    def delays(self) -> Iterator[float]:
        delay = self.first_s
        while True:
            yield delay * random.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(self.max_s, delay * self.factor)


class DeviceClient:
    def __init__(
        self,
        *,
        scanner_backend: type | None = None,
        client_backend: type | None = None,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
        scan_timeout_s: float = SCAN_TIMEOUT_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        **backend_kwargs: Any,
    ) -> None:
        """``backend_kwargs`` go to bleak's scanner and client, which pass them to the backend
        (e.g. the bumble backend's ``transport``, ``state_dir``, ``att_mtu``)."""
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._backend_kwargs = backend_kwargs
        self._reply_timeout_s = reply_timeout_s
        self._scan_timeout_s = scan_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self.address: str | None = None
        self.link_drops = 0
        self._client: BleakClient | None = None
        self._ready = False
        self._closed = False
        self._link_down = asyncio.Event()
        self._connect_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._reassembler = FragmentReassembler()
        self._pending: dict[int, asyncio.Future[Ok | Error]] = {}
        self._event_queues: set[asyncio.Queue[Event | None]] = set()
        self._ids = itertools.cycle(range(1, 0x10000))

    async def __aenter__(self) -> DeviceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- link -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def ready(self) -> bool:
        """Connected, paired and subscribed to EVENTS: commands can be sent."""
        return self.connected and self._ready

    @property
    def mtu(self) -> int:
        return self._live_client().mtu_size

    async def connect(self, address: str | None = None) -> None:
        """Connect to the unit at ``address``, else the one this client last used, else the
        first one a scan finds."""
        async with self._connect_lock:
            if self.connected and address in (None, self.address):
                return
            await self._hang_up()  # connected elsewhere: one unit at a time
            target: BLEDevice | str = address or self.address or await self._scan()
            client = BleakClient(
                target,
                disconnected_callback=self._on_link_lost,
                timeout=self._connect_timeout_s,
                backend=self._client_backend,
                **self._backend_kwargs,
            )
            try:
                await client.connect()
            except (BleakError, TimeoutError, OSError) as exc:
                raise UnitUnavailable(f"cannot connect to the unit at {target}: {exc}") from exc
            self._client, self.address = client, client.address
            self._reassembler = FragmentReassembler()
            self._link_down.clear()
            try:
                await self._subscribe()
            except UnitUnavailable:
                await self._hang_up()
                raise

    async def scan(self, timeout_s: float = LISTING_SCAN_S) -> list[BLEDevice]:
        """Every unit advertising within ``timeout_s``, nearest (strongest signal) first."""
        try:
            found = await BleakScanner.discover(
                timeout=timeout_s,
                return_adv=True,
                service_uuids=[SERVICE_UUID],
                backend=self._scanner_backend,
                **self._backend_kwargs,
            )
        except (BleakError, OSError) as exc:
            raise UnitUnavailable(f"cannot scan for units: {exc}") from exc
        units = [(adv.rssi, d) for d, adv in found.values() if SERVICE_UUID in adv.service_uuids]
        return [device for _, device in sorted(units, key=lambda unit: -unit[0])]

    async def _scan(self) -> BLEDevice:
        try:
            device = await BleakScanner.find_device_by_filter(
                lambda _, adv: SERVICE_UUID in adv.service_uuids,
                timeout=self._scan_timeout_s,
                service_uuids=[SERVICE_UUID],
                backend=self._scanner_backend,
                **self._backend_kwargs,
            )
        except (BleakError, OSError) as exc:
            raise UnitUnavailable(f"cannot scan for the unit: {exc}") from exc
        if device is None:
            raise UnitUnavailable(f"no Drivetime unit advertised within {self._scan_timeout_s:g} s")
        return device

    async def _subscribe(self) -> None:
        """Subscribe to EVENTS; a refusal for want of encryption means: not paired yet."""
        try:
            await self._live_client().start_notify(EVENTS_UUID, self._on_events_value)
        except BleakGATTProtocolError as exc:
            if exc.code not in NOT_PAIRED_CODES:
                raise UnitUnavailable(f"the unit refused event notifications: {exc}") from exc
            self._ready = False
            return
        except BleakError as exc:
            raise UnitUnavailable(f"cannot subscribe to the unit's events: {exc}") from exc
        self._ready = True

    async def pair(self, confirm: ConfirmDigits) -> None:
        """Pair with numeric comparison: ``confirm(digits)`` shows the six digits the unit
        shows too and returns whether the driver saw the same. The bond is kept, so later
        connections re-encrypt without asking again."""
        client = self._live_client()
        try:
            await client.pair(confirm_pairing=confirm)
        except (BleakError, TimeoutError) as exc:
            raise PairingFailed(f"pairing with the unit failed: {exc}") from exc
        await self._subscribe()
        if not self._ready:
            raise PairingFailed("paired, but the unit still refuses this phone")

    async def unpair(self) -> None:
        """Forget the bond on this phone (and drop the link)."""
        client = self._live_client()
        self._ready = False
        await client.unpair()

    def _on_link_lost(self, client: BleakClient) -> None:
        if client is not self._client:
            return  # a client replaced by a reconnection
        self._ready = False
        self.link_drops += 1
        self._fail_pending(UnitUnavailable("the link to the unit dropped"))
        self._link_down.set()

    async def keep_connected(self, backoff: Backoff | None = None) -> None:
        """Run until ``close()``: connect if not connected, and whenever the link drops,
        reconnect to the same unit, waiting longer after each failed attempt. A bonded phone
        comes back ``ready``."""
        backoff = backoff or Backoff()
        if not self.connected:
            self._link_down.set()
        while not self._closed:
            await self._link_down.wait()
            for delay in backoff.delays():
                await asyncio.sleep(delay)
                if self._closed:
                    return
                try:
                    await self.connect(self.address)
                    logger.info("reconnected to the unit at %s", self.address)
                    break
                except UnitUnavailable as exc:
                    logger.info("reconnection failed (%s); retrying", exc)

    async def close(self) -> None:
        self._closed = True
        self._link_down.set()
        self._fail_pending(UnitUnavailable("the client was closed"))
        for queue in self._event_queues:
            _put_dropping_oldest(queue, None)
        await self._hang_up()

    async def _hang_up(self) -> None:
        client, self._client = self._client, None
        self._ready = False
        if client is not None:
            with contextlib.suppress(BleakError, TimeoutError, OSError):
                await client.disconnect()

    def _live_client(self) -> BleakClient:
        if self._client is None or not self._client.is_connected:
            raise UnitUnavailable("not connected to the unit")
        return self._client

    # --- commands and events --------------------------------------------------------------

    async def request(self, command: Command, timeout_s: float | None = None) -> Ok:
        """Send ``command`` (its id is assigned here) and wait for the unit's reply."""
        if not self.ready:
            self._live_client()
            raise NotPaired("the unit accepts commands only from a paired phone: pair() first")
        timeout_s = self._reply_timeout_s if timeout_s is None else timeout_s
        command = type(command)(**{**command.args(), "id": next(self._ids)})
        reply_future: asyncio.Future[Ok | Error] = asyncio.get_running_loop().create_future()
        self._pending[command.id] = reply_future
        try:
            async with asyncio.timeout(timeout_s):
                await self._send_command(encode_message(command))
                reply = await reply_future
        except TimeoutError:
            raise UnitUnavailable(
                f"the unit did not reply to {command.name} within {timeout_s:g} s"
            ) from None
        finally:
            self._pending.pop(command.id, None)
        if isinstance(reply, Error):
            raise CommandFailed(reply)
        return reply

    async def _send_command(self, message: bytes) -> None:
        client = self._live_client()
        fragments = fragment(message, client.mtu_size)
        try:
            # One message's fragments must not interleave with another's. The first goes
            # with response, so a refusal (not paired) surfaces as an error instead of a
            # silent drop; the rest go without, several per connection event.
            async with self._write_lock:
                await client.write_gatt_char(COMMAND_UUID, fragments[0], response=True)
                for part in fragments[1:]:
                    await client.write_gatt_char(COMMAND_UUID, part, response=False)
        except BleakGATTProtocolError as exc:
            if exc.code in NOT_PAIRED_CODES:
                self._ready = False
                raise NotPaired("the unit no longer accepts this phone: pair again") from exc
            raise UnitUnavailable(f"the unit refused the command write: {exc}") from exc
        except BleakError as exc:
            raise UnitUnavailable(f"writing to the unit failed: {exc}") from exc

    async def events(self) -> AsyncIterator[Event]:
        """Events from the unit as they arrive, until ``close()``; each reader gets all."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(EVENT_QUEUE_LIMIT)
        self._event_queues.add(queue)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._event_queues.discard(queue)

    def _on_events_value(self, _: BleakGATTCharacteristic, value: bytearray) -> None:
        try:
            data = self._reassembler.feed(bytes(value))
            if data is None:
                return
            message = decode_message(data)
        except ProtocolError as exc:
            logger.warning("dropped a bad message from the unit: %s", exc)
            return
        if isinstance(message, Event):
            for queue in self._event_queues:
                _put_dropping_oldest(queue, message)
        elif isinstance(message, Ok | Error):
            self._deliver_reply(message)

    def _deliver_reply(self, reply: Ok | Error) -> None:
        waiting = self._pending.get(reply.re)
        if waiting is None and isinstance(reply, Error) and reply.re == 0 and self._pending:
            # The unit could not read a command far enough to know its id: the oldest one.
            waiting = next(iter(self._pending.values()))
        if waiting is not None and not waiting.done():
            waiting.set_result(reply)

    def _fail_pending(self, error: Exception) -> None:
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(error)

    # --- relay ----------------------------------------------------------------------------

    async def relay(self, frames: Iterable[bytes] | AsyncIterable[bytes]) -> int:
        """Write relayed Opus frames to AUDIO (fragmented, without response); returns how
        many were sent. The unit plays them when it has no network of its own."""
        sent = 0
        async for frame in _as_async(frames):
            client = self._live_client()
            if not self._ready:
                # An unpaired phone's writes without response are dropped without a word.
                raise NotPaired("the unit accepts audio only from a paired phone: pair() first")
            try:
                for part in fragment(frame, client.mtu_size):
                    await client.write_gatt_char(AUDIO_UUID, part, response=False)
            except BleakError as exc:
                raise UnitUnavailable(f"relaying audio to the unit failed: {exc}") from exc
            sent += 1
        return sent


def _put_dropping_oldest(queue: asyncio.Queue[Event | None], item: Event | None) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


async def _as_async(items: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
