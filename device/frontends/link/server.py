"""The unit's BLE GATT peripheral: phones pair, send commands, get replies and player events.

The link server owns the bumble device and ties the pieces together: the radio
(:mod:`radio`), the pairing rules (:mod:`pairing`), the bonds on the card (:mod:`bonds`), the
guarded GATT service (:mod:`gatt_service`), and one protocol session per connected phone
(:mod:`session`).

A connection is *trusted* — may use the service — once it is encrypted either by the keys of
a bond (a phone paired before) or by a pairing on this very connection that the driver
confirmed and that became a bond. A connection that started pairing is trusted only through
that pairing's bond, whatever address it claims. A failed pairing ends the connection (the
phone starts over on a clean link); so does a connection still untrusted after
``unbonded_grace_s``, so strangers cannot hold the unit's connection slots.

Everything here runs on the engine's event loop. ``notify_event`` never blocks: each phone has
a bounded queue that drops its oldest events when the phone falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bumble import att, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import GATT_DEVICE_NAME_CHARACTERISTIC
from bumble.host import Host

from device.frontends.link.bonds import BONDS_FILE, BondStore, Phone
from device.frontends.link.gatt_service import LinkService, build_service, is_subscribed
from device.frontends.link.identity import load_or_create_identity
from device.frontends.link.pairing import (
    DriverDelegate,
    PairingGate,
    PairingPrompt,
    StrictSession,
    pairing_config,
)
from device.frontends.link.radio import Radio, VirtualRadio, open_radio
from device.frontends.link.session import AudioSink, Execute, LinkSession
from device.protocol import Command, Error, ErrorCode, Knob, Message, Output, Outputs
from device.protocol.gatt import SERVICE_UUID
from device.protocol.link_messages import Forget

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 3  # the driver's phone, a passenger's, one spare for a phone reconnecting
PAIRING_FAILED_HANGUP_S = 0.5  # lets the Pairing Failed PDU reach the phone first
FORGOTTEN_HANGUP_S = 0.5  # lets the reply to the phone's own "forget" reach it first
NAME_READ_TIMEOUT_S = 3.0
HANG_UP_TIMEOUT_S = 2.0
LEGACY_ADVERTISING_BYTES = 31
AD_HEADER_BYTES = 2


def _ignore(*_: Any) -> None:
    pass


@dataclass
class _Link:
    """What the server knows about one connected phone."""

    session: LinkSession
    delegate: DriverDelegate | None = None
    pairing_started: bool = False
    trusted_as: str | None = None  # the bond this connection is trusted as
    grace: asyncio.TimerHandle | None = None  # hangs up if still untrusted by then


SCREEN_ONLY_COMMANDS = (Knob, Output, Outputs)


class LinkServer:
    def __init__(
        self,
        spec: str,
        *,
        execute: Execute,
        state_dir: Path,
        name: str = "Drivetime",
        max_bonds: int = 5,
        pairing_window_s: float = 60.0,
        on_pairing: Callable[[PairingPrompt], None] = _ignore,
        on_pairing_done: Callable[[str, bool], None] = _ignore,
        on_pairing_window: Callable[[bool], None] = _ignore,
        on_audio: AudioSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        commands_per_s: float = 50.0,
        unbonded_grace_s: float = 90.0,
        phone_port: int = 0,
    ) -> None:
        """``on_pairing`` shows a prompt's six digits; the driver answers with
        :meth:`confirm_pairing`. ``on_pairing_done(address, paired)`` says the prompt is over,
        ``on_pairing_window(open)`` when the window opens and closes (its time is up, a phone
        paired, or :meth:`close_pairing_window`). ``on_audio`` receives the relay frames a
        phone writes to AUDIO. ``clock`` (seconds, monotonic) times the pairing window and the
        rate limit. Callbacks run on the event loop and must not block. ``phone_port``: where
        the virtual radio takes phones (0: any free port; :attr:`phone_port` says which)."""
        self._spec = spec
        self._execute = execute
        self._state_dir = state_dir
        self._name = name
        self._max_bonds = max_bonds
        self._on_pairing_done = on_pairing_done
        self._on_audio = on_audio
        self._clock = clock
        self._commands_per_s = commands_per_s
        self._unbonded_grace_s = unbonded_grace_s
        self._gate = PairingGate(pairing_window_s, clock, on_pairing, on_pairing_window)
        self._links: dict[Connection, _Link] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._advertising = asyncio.Lock()
        self._radio: Radio | None = None
        self._device: Device | None = None
        self._service: LinkService | None = None
        self._bonds: BondStore | None = None
        self._closing = False
        self.address = ""
        self._requested_phone_port = phone_port
        self.phone_port: int | None = None  # virtual radio only, once started

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        identity = load_or_create_identity(self._state_dir)
        self.address = identity.address
        self._bonds = BondStore(self._state_dir / BONDS_FILE, self._max_bonds)
        self._radio = await open_radio(self._spec)
        if isinstance(self._radio, VirtualRadio):
            self.phone_port = await self._radio.expose_phone(port=self._requested_phone_port)
        device = Device(
            name=self._name,
            address=hci.Address(identity.address),
            host=Host(self._radio.hci.source, self._radio.hci.sink),
        )
        device.irk = identity.irk
        device.keystore = self._bonds  # before power_on, or bumble makes its own
        device.pairing_config_factory = self._pairing_config
        device.smp_session_proxy = StrictSession
        self._service = build_service(
            device.gatt_server, self._guard, self._on_command_write, self._on_audio_write
        )
        device.add_service(self._service.service)
        device.on(device.EVENT_CONNECTION, self._on_connection)
        self._device = device
        await device.power_on()
        await device.refresh_resolving_list()
        await self._advertise()
        log.info("link %s up as %s (%s)", self._spec, self._name, self.address)

    async def close(self) -> None:
        self._closing = True
        device = self._device
        if device is not None:
            for connection in list(self._links):
                await self._hang_up(connection)
            with contextlib.suppress(Exception):
                await device.stop_advertising()
            await device.power_off()
        for link in self._links.values():
            await link.session.close()
        self._links.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._radio is not None:
            await self._radio.close()
        self._device = None

    # --- the driver's and the engine's side ------------------------------------------------

    def open_pairing_window(self) -> None:
        self._gate.open()

    def close_pairing_window(self) -> None:
        self._gate.close()

    def confirm_pairing(self, accept: bool) -> None:
        """The driver's answer to the six digits on screen."""
        if not self._gate.answer(accept):
            log.info("no pairing prompt to answer")

    def connected_phones(self) -> list[str]:
        """Addresses of the phones connected now (bonded or not)."""
        return [str(connection.peer_address) for connection in self._links]

    def bonded_phones(self) -> list[Phone]:
        return self._bonds.phones() if self._bonds else []

    async def forget(self, address: str) -> bool:
        """Remove a phone's bond and drop its connection; False if it was not bonded.

        The phone loses access at once and is disconnected a moment later, so that the reply
        to its own ``forget`` still reaches it."""
        assert self._bonds is not None and self._device is not None
        stored = self._bonds.find(address)
        if stored is None:
            return False
        self._bonds.remove(stored)
        await self._device.refresh_resolving_list()
        self._hang_up_later(stored)
        log.info("forgot %s", stored)
        return True

    def notify_event(self, message: Message) -> None:
        """Send a player event to every trusted phone subscribed to EVENTS; never blocks."""
        if self._device is None or self._service is None:
            return
        for connection, link in self._links.items():
            server = self._device.gatt_server
            if link.trusted_as and is_subscribed(server, connection, self._service.events):
                link.session.post_event(message)

    # --- connections ---------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        if connection.role != hci.Role.PERIPHERAL:
            return
        link = _Link(
            LinkSession(
                execute=functools.partial(self._execute_from, connection),
                send=functools.partial(self._notify, connection),
                mtu=lambda: connection.att_mtu,
                on_audio=self._on_audio,
                clock=self._clock,
                commands_per_s=self._commands_per_s,
                label=str(connection.peer_address),
            )
        )
        self._links[connection] = link
        connection.on(connection.EVENT_DISCONNECTION, lambda _: self._on_disconnection(connection))
        connection.on(connection.EVENT_PAIRING_START, lambda: self._on_pairing_start(connection))
        connection.on(connection.EVENT_PAIRING, lambda keys: self._on_paired(connection, keys))
        connection.on(
            connection.EVENT_PAIRING_FAILURE, lambda reason: self._on_pairing_failed(connection)
        )
        connection.on(
            connection.EVENT_CONNECTION_ENCRYPTION_CHANGE,
            lambda: self._on_encryption(connection),
        )
        link.grace = asyncio.get_running_loop().call_later(
            self._unbonded_grace_s, self._hang_up_if_untrusted, connection
        )
        log.info("phone %s connected", connection.peer_address)
        self._spawn(self._advertise())

    async def _execute_from(self, connection: Connection, command: Command) -> Message:
        """Run a phone's command; "forget" with no address means the phone that sent it.
        The screen's own commands are not a phone's: holding the panel's knob would keep it
        from the volume, and moving the audio to another device (or to none) is the driver's
        choice on the unit."""
        if isinstance(command, SCREEN_ONLY_COMMANDS):
            return Error(
                re=command.id, code=ErrorCode.REFUSED, msg=f"{command.name}: on the unit only"
            )
        link = self._links.get(connection)
        if isinstance(command, Forget) and not command.address and link and link.trusted_as:
            command = dataclasses.replace(command, address=link.trusted_as)
        return await self._execute(command)

    def _on_disconnection(self, connection: Connection) -> None:
        log.info("phone %s disconnected", connection.peer_address)
        self._gate.finished(connection, paired=False)
        link = self._links.pop(connection, None)
        if link is not None:
            if link.grace is not None:
                link.grace.cancel()
            self._spawn(link.session.close())
        self._spawn(self._advertise())

    def _on_encryption(self, connection: Connection) -> None:
        """Encrypted by a bond's keys (a phone reconnecting): trusted as that bond."""
        link = self._links.get(connection)
        address = str(connection.peer_address)
        if link is None or link.pairing_started or not connection.is_encrypted:
            return
        if self._bonds is not None and self._bonds.is_bonded(address):
            link.trusted_as = address
            self._bonds.touch(address)
            log.info("bonded phone %s is back", address)

    def _on_pairing_start(self, connection: Connection) -> None:
        link = self._links.get(connection)
        if link is not None:
            link.pairing_started = True
            link.trusted_as = None

    def _on_paired(self, connection: Connection, keys: Any) -> None:
        assert self._bonds is not None
        link = self._links.get(connection)
        address = str(connection.peer_address)  # the identity address the phone distributed
        confirmed = link is not None and link.delegate is not None and link.delegate.confirmed
        if not (confirmed and connection.sc and keys.ltk and keys.ltk.authenticated):
            log.error("pairing with %s completed without the driver's yes: dropped", address)
            self._bonds.discard_staged(address)
            self._pairing_failed(connection, address)
            return
        try:
            evicted = self._bonds.commit(address)
        except (OSError, ValueError):
            log.exception("could not store the bond with %s", address)
            self._pairing_failed(connection, address)
            return
        assert link is not None
        link.trusted_as = address
        self._gate.finished(connection, paired=True)
        self._on_pairing_done(address, True)
        log.info("paired with %s", address)
        self._spawn(self._after_pairing(connection, address, evicted))

    def _on_pairing_failed(self, connection: Connection) -> None:
        self._pairing_failed(connection, str(connection.peer_address))

    def _pairing_failed(self, connection: Connection, address: str) -> None:
        """No bond: tell the driver, and end the link (a retry starts on a clean one)."""
        self._gate.finished(connection, paired=False)
        self._on_pairing_done(address, False)
        asyncio.get_running_loop().call_later(
            PAIRING_FAILED_HANGUP_S, lambda: self._spawn(self._hang_up(connection))
        )

    async def _after_pairing(
        self, connection: Connection, address: str, evicted: list[str]
    ) -> None:
        assert self._device is not None and self._bonds is not None
        await self._device.refresh_resolving_list()
        for old in evicted:
            self._hang_up_later(old)
        try:
            names = await asyncio.wait_for(
                connection.gatt_client.read_characteristics_by_uuid(
                    GATT_DEVICE_NAME_CHARACTERISTIC, None
                ),
                NAME_READ_TIMEOUT_S,
            )
        except Exception:  # the phone keeps its name to itself: the bond stays nameless
            log.info("could not read the name of %s", address, exc_info=True)
            return
        if names:
            self._bonds.set_name(address, names[0].decode("utf-8", "replace"))

    def _hang_up_if_untrusted(self, connection: Connection) -> None:
        link = self._links.get(connection)
        if link is not None and link.trusted_as is None and not self._gate.is_pairing(connection):
            log.info("phone %s neither bonded nor pairing: disconnecting", connection.peer_address)
            self._spawn(self._hang_up(connection))

    def _hang_up_later(self, address: str) -> None:
        """A bond is gone: its connections lose access now and the radio link shortly."""
        for connection, link in list(self._links.items()):
            if link.trusted_as == address or str(connection.peer_address) == address:
                link.trusted_as = None
                asyncio.get_running_loop().call_later(
                    FORGOTTEN_HANGUP_S, lambda c=connection: self._spawn(self._hang_up(c))
                )

    async def _hang_up(self, connection: Connection) -> None:
        if connection in self._links:
            with contextlib.suppress(Exception):  # gone meanwhile, or a radio that went quiet
                await asyncio.wait_for(connection.disconnect(), HANG_UP_TIMEOUT_S)

    # --- GATT ----------------------------------------------------------------------------

    def _guard(self, connection: Connection) -> None:
        if not connection.is_encrypted:
            raise att.ATT_Error(att.ErrorCode.INSUFFICIENT_ENCRYPTION)
        link = self._links.get(connection)
        if link is None or link.trusted_as is None or self._bonds is None:
            raise att.ATT_Error(att.ErrorCode.INSUFFICIENT_AUTHENTICATION)
        if not self._bonds.is_bonded(link.trusted_as):
            raise att.ATT_Error(att.ErrorCode.INSUFFICIENT_AUTHENTICATION)

    def _on_command_write(self, connection: Connection, value: bytes) -> None:
        link = self._links.get(connection)
        try:
            if link is not None:
                link.session.on_command_fragment(value)
        except Exception:  # bumble re-raises out of its ATT handler: never let one through
            log.exception("command write from %s", connection.peer_address)

    def _on_audio_write(self, connection: Connection, value: bytes) -> None:
        link = self._links.get(connection)
        try:
            if link is not None:
                link.session.on_audio_fragment(value)
        except Exception:
            log.exception("audio write from %s", connection.peer_address)

    async def _notify(self, connection: Connection, value: bytes) -> None:
        assert self._device is not None and self._service is not None
        await self._device.notify_subscriber(connection, self._service.events, value)
        await connection.drain()  # back-pressure: a slow phone fills its own queue, not ours

    # --- pairing and advertising -----------------------------------------------------------

    def _pairing_config(self, connection: Connection) -> Any:
        config = pairing_config(self._gate, connection)
        link = self._links.get(connection)
        if link is not None:
            link.delegate = config.delegate
        return config

    async def _advertise(self) -> None:
        async with self._advertising:
            if self._device is None or self._closing or len(self._links) >= MAX_CONNECTIONS:
                return
            interval = self._radio.advertising_interval_ms if self._radio else 100.0
            await self._device.start_advertising(
                advertising_data=advertising_data(self._name),
                scan_response_data=bytes(
                    AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, self._name.encode())])
                ),
                advertising_interval_min=interval,
                advertising_interval_max=interval,
            )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("link task failed", exc_info=task.exception())


def advertising_data(name: str) -> bytes:
    """Flags, the service UUID and as much of the name as fits the 31 legacy bytes.

    The virtual controller sends no scan response, and phones filter scans by service UUID:
    both go in the advertisement itself. The full name is in the scan response and in GAP.
    """
    flags = (AdvertisingData.FLAGS, bytes([0x06]))  # LE General Discoverable, no BR/EDR
    service = (
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        UUID(SERVICE_UUID).to_bytes(),
    )
    used = sum(AD_HEADER_BYTES + len(value) for _, value in (flags, service))
    room = LEGACY_ADVERTISING_BYTES - used - AD_HEADER_BYTES
    encoded = name.encode()
    short = encoded[:room].decode("utf-8", "ignore").encode()  # never half a character
    kind = (
        AdvertisingData.COMPLETE_LOCAL_NAME
        if short == encoded
        else AdvertisingData.SHORTENED_LOCAL_NAME
    )
    return bytes(AdvertisingData([flags, service, (kind, short)]))
