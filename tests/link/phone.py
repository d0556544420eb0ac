"""A phone built from bumble for the link tests: a real central with its own host stack.

It joins the unit's virtual radio through the port the link server exposes (transport
``tcp-client:127.0.0.1:PORT``), and pairs, discovers, reads, writes and subscribes with
bumble's own client API. Its pairing settings are arguments, so the same phone plays the
driver's phone and every attacker.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from bumble import hci
from bumble.core import UUID, ProtocolError
from bumble.device import Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.keys import KeyStore, MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport

from device.protocol import (
    Command,
    FragmentReassembler,
    Message,
    decode_message,
    encode_message,
    fragment,
)
from device.protocol.gatt import AUDIO_UUID, COMMAND_UUID, EVENTS_UUID

YES_NO = PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT
NO_IO = PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT
REPLY_TIMEOUT_S = 3.0


class PhoneDelegate(PairingDelegate):
    """The phone's user: says yes to every question and notes the digits shown."""

    def __init__(self, io_capability: int, seen: list[int]) -> None:
        super().__init__(io_capability=io_capability)
        self.seen = seen

    async def compare_numbers(self, number: int, digits: int) -> bool:
        self.seen.append(number)
        return True

    async def confirm(self, auto: bool = False) -> bool:
        return True


@dataclass
class PhoneSettings:
    address: str = "D0:11:22:33:44:55"
    io_capability: int = YES_NO
    sc: bool = True
    mitm: bool = True
    bonding: bool = True
    keystore: KeyStore = field(default_factory=MemoryKeyStore)


class BumblePhone:
    def __init__(self, port: int, settings: PhoneSettings | None = None) -> None:
        self.port = port
        self.settings = settings or PhoneSettings()
        self.digits_seen: list[int] = []
        self.notifications: list[bytes] = []  # every EVENTS value, as received
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self._reassembler = FragmentReassembler()
        self._transport = None
        self.device: Device | None = None
        self.connection: Connection | None = None
        self.peer: Peer | None = None

    async def start(self) -> BumblePhone:
        self._transport = await open_transport(f"tcp-client:127.0.0.1:{self.port}")
        self.device = Device.with_hci(
            "phone",
            hci.Address(self.settings.address),
            self._transport.source,
            self._transport.sink,
        )
        self.device.keystore = self.settings.keystore
        s = self.settings
        self.device.pairing_config_factory = lambda _: PairingConfig(
            sc=s.sc,
            mitm=s.mitm,
            bonding=s.bonding,
            delegate=PhoneDelegate(s.io_capability, self.digits_seen),
        )
        await self.device.power_on()
        return self

    async def connect(self, unit_address: str) -> Connection:
        assert self.device is not None
        self.connection = await asyncio.wait_for(
            self.device.connect(hci.Address(unit_address)), REPLY_TIMEOUT_S
        )
        self.peer = Peer(self.connection)
        return self.connection

    async def pair(self) -> None:
        assert self.connection is not None
        await asyncio.wait_for(self.connection.pair(), REPLY_TIMEOUT_S)

    async def encrypt(self) -> None:
        assert self.connection is not None
        await asyncio.wait_for(self.connection.encrypt(), REPLY_TIMEOUT_S)

    async def encryption_error(self) -> int | None:
        """Try to encrypt with the keys this phone holds; the HCI error code, None if it worked."""
        try:
            await self.encrypt()
        except hci.HCI_Error as exc:
            return int(exc.error_code)
        return None

    async def discover(self) -> None:
        assert self.peer is not None
        await asyncio.wait_for(self.peer.discover_all(), REPLY_TIMEOUT_S)

    def characteristic(self, uuid: str) -> CharacteristicProxy:
        assert self.peer is not None
        (found,) = self.peer.get_characteristics_by_uuid(UUID(uuid))
        return found

    @property
    def connection_mtu(self) -> int:
        assert self.connection is not None
        return self.connection.att_mtu

    @property
    def command(self) -> CharacteristicProxy:
        return self.characteristic(COMMAND_UUID)

    @property
    def events(self) -> CharacteristicProxy:
        return self.characteristic(EVENTS_UUID)

    @property
    def audio(self) -> CharacteristicProxy:
        return self.characteristic(AUDIO_UUID)

    async def subscribe(self) -> None:
        await asyncio.wait_for(self.events.subscribe(self._on_notification), REPLY_TIMEOUT_S)

    def _on_notification(self, value: bytes) -> None:
        self.notifications.append(value)
        message = self._reassembler.feed(value)
        if message is not None:
            self.messages.put_nowait(decode_message(message))

    async def send(self, command: Command, with_response: bool = True) -> None:
        await self.write_message(encode_message(command), with_response)

    async def write_message(self, data: bytes, with_response: bool = True) -> None:
        assert self.connection is not None
        for value in fragment(data, self.connection.att_mtu):
            await asyncio.wait_for(self.command.write_value(value, with_response), REPLY_TIMEOUT_S)

    async def next_message(self, timeout: float = REPLY_TIMEOUT_S) -> Message:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def ask(self, command: Command) -> Message:
        await self.send(command)
        return await self.next_message()

    async def ready(self, unit_address: str) -> BumblePhone:
        """Connect, pair (the unit must be ready to say yes), discover, subscribe."""
        await self.connect(unit_address)
        await self.pair()
        await self.discover()
        await self.subscribe()
        return self

    def disconnected(self) -> asyncio.Future[int]:
        """Resolves with the reason when this phone's connection ends."""
        assert self.connection is not None
        future = asyncio.get_running_loop().create_future()
        self.connection.once(
            "disconnection", lambda reason: future.done() or future.set_result(reason)
        )
        return future

    async def disconnect(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.connection.disconnect(), REPLY_TIMEOUT_S)
            self.connection = None

    async def close(self) -> None:
        """The phone process goes away (no polite disconnect)."""
        if self._transport is not None:
            await self._transport.close()
            self._transport = None


KEY_MISSING = hci.HCI_ErrorCode.PIN_OR_KEY_MISSING_ERROR


def smp_error(exc: BaseException) -> int | None:
    """The SMP reason of a failed pairing, if that is what ``exc`` is."""
    if isinstance(exc, ProtocolError) and exc.error_namespace == "smp":
        return int(exc.error_code)
    return None
