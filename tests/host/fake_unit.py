"""A stand-in for the car unit's GATT server on bumble's virtual radio.

The unit's own link frontend is written separately; this peripheral follows the same contract
(device/protocol/gatt.py) so the phone side can be tested through the real bleak API now:

* two virtual controllers on one ``LocalLink``: the unit's in process, the phone's served on
  ``tcp-server:127.0.0.1:PORT`` so the phone's bumble backend connects exactly as it would to
  a controller on the network (``transport`` is the spec it uses);
* COMMAND / EVENTS / AUDIO with encrypted, authenticated access, a protected CCCD, and an Ok
  echo of every complete command: ``Ok(re=id, data={"c": name, "a": args})`` — or an
  ``Error`` for the names in ``refuse``, late for those in ``slow``, or nothing while
  ``silent``;
* pairing: SC + MITM numeric comparison only; the digits it was shown are kept for the test.
  ``sc`` and ``io_capability`` can be lowered to play a weak (or malicious) unit.

It records what a test needs to assert: fragment sizes, commands, relayed frames, digits.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

from bumble import att, smp
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device, DeviceConfiguration
from bumble.gatt import (
    GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
    Characteristic,
    CharacteristicValue,
    Descriptor,
    Service,
)
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink
from bumble.transport.tcp_server import open_tcp_server_transport_with_socket

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
from device.protocol.gatt import (
    ADVERTISED_NAME,
    AUDIO_UUID,
    COMMAND_UUID,
    EVENTS_UUID,
    SERVICE_UUID,
)

UNIT_ADDRESS = "F1:F2:F3:F4:F5:F6"  # static random
ADVERTISING_INTERVAL_MS = 20  # the virtual controller connects on the next advertisement
PROTECTED = (
    att.Attribute.READ_REQUIRES_ENCRYPTION
    | att.Attribute.READ_REQUIRES_AUTHENTICATION
    | att.Attribute.WRITE_REQUIRES_ENCRYPTION
    | att.Attribute.WRITE_REQUIRES_AUTHENTICATION
)
READ_WRITE = att.Attribute.READABLE | att.Attribute.WRITEABLE


def _refuse_read(connection: Connection) -> bytes:
    raise att.ATT_Error(att.ATT_READ_NOT_PERMITTED_ERROR)


@dataclass
class UnitRecord:
    digits: list[int] = field(default_factory=list)
    pairing_requests: list[smp.SMP_Pairing_Request_Command] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    command_fragment_sizes: list[int] = field(default_factory=list)
    audio_frames: list[bytes] = field(default_factory=list)
    notification_sizes: list[int] = field(default_factory=list)


class UnitDelegate(PairingDelegate):
    def __init__(self, unit: FakeUnit) -> None:
        super().__init__(io_capability=unit.io_capability)
        self._unit = unit

    async def confirm(self, auto: bool = False) -> bool:
        return False  # Just Works is never enough for the unit

    async def compare_numbers(self, number: int, digits: int) -> bool:
        self._unit.record.digits.append(number)
        return self._unit.accept_pairing


class UnitSession(smp.Session):
    """Refuses a phone that does not ask for SC + MITM with a yes/no display (unless the unit
    is playing a weak one, ``sc=False``)."""

    def on_smp_pairing_request_command(self, command: smp.SMP_Pairing_Request_Command) -> None:
        unit = self.manager.device.unit
        unit.record.pairing_requests.append(command)
        wants = smp.AuthReq.SC | smp.AuthReq.MITM
        weak = command.auth_req & wants != wants or command.io_capability not in (
            smp.IoCapability.DISPLAY_YES_NO,
            smp.IoCapability.KEYBOARD_DISPLAY,
        )
        if weak and unit.sc:
            self.send_pairing_failed(smp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return
        super().on_smp_pairing_request_command(command)


class FakeUnit:
    def __init__(self) -> None:
        self.record = UnitRecord()
        self.accept_pairing = True
        self.sc = True
        self.io_capability = PairingDelegate.DISPLAY_OUTPUT_AND_YES_NO_INPUT
        self.refuse: set[str] = set()
        self.silent = False
        self.slow: dict[str, float] = {}  # command name → seconds before its reply
        self.transport = ""
        self._reassemblers: dict[int, FragmentReassembler] = {}
        self._audio: dict[int, FragmentReassembler] = {}

    @classmethod
    async def start(cls) -> FakeUnit:
        unit = cls()
        await unit._start()
        return unit

    async def _start(self) -> None:
        link = LocalLink()
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
        # Nagle + delayed ACK would add ~40 ms to every ATT round trip.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self._phone_side = await open_tcp_server_transport_with_socket(sock)
        Controller(
            "phone",
            host_source=self._phone_side.source,
            host_sink=self._phone_side.sink,
            link=link,
        )
        self.transport = f"tcp-client:127.0.0.1:{sock.getsockname()[1]}"
        controller = Controller("unit", link=link)
        config = DeviceConfiguration(
            name=ADVERTISED_NAME, address=Address(UNIT_ADDRESS), irk=bytes(range(16))
        )
        self.device = Device(config=config, host=Host(controller, AsyncPipeSink(controller)))
        self.device.unit = self
        self.device.smp_session_proxy = UnitSession
        self.device.pairing_config_factory = lambda connection: PairingConfig(
            sc=self.sc, mitm=True, bonding=True, delegate=UnitDelegate(self)
        )
        self.device.add_service(self._service())
        await self.device.power_on()
        await self.device.start_advertising(
            auto_restart=True,
            advertising_data=self.advertising_data(),
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    @staticmethod
    def advertising_data() -> bytes:
        # No scan response on the virtual controller: UUID and name both go here (29 bytes).
        return bytes(
            AdvertisingData(
                [
                    (
                        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        bytes(UUID(SERVICE_UUID)),
                    ),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, ADVERTISED_NAME.encode()),
                ]
            )
        )

    def _service(self) -> Service:
        self.command = Characteristic(
            COMMAND_UUID,
            Characteristic.WRITE | Characteristic.WRITE_WITHOUT_RESPONSE,
            READ_WRITE | PROTECTED,
            CharacteristicValue(read=_refuse_read, write=self._on_command_fragment),
        )
        self.events = Characteristic(
            EVENTS_UUID,
            Characteristic.NOTIFY,
            READ_WRITE | PROTECTED,
            CharacteristicValue(read=_refuse_read, write=self._refuse_write),
        )
        self.audio = Characteristic(
            AUDIO_UUID,
            Characteristic.WRITE_WITHOUT_RESPONSE,
            READ_WRITE | PROTECTED,
            CharacteristicValue(read=_refuse_read, write=self._on_audio_fragment),
        )
        # bumble's automatic CCCD is unprotected: an unpaired phone could subscribe.
        self.events.descriptors = [
            Descriptor(
                GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
                READ_WRITE | PROTECTED,
                self.device.gatt_server.make_descriptor_value(self.events),
            )
        ]
        return Service(SERVICE_UUID, [self.command, self.events, self.audio])

    @staticmethod
    def _refuse_write(connection: Connection, value: bytes) -> None:
        raise att.ATT_Error(att.ATT_WRITE_NOT_PERMITTED_ERROR)

    def _on_command_fragment(self, connection: Connection, value: bytes) -> None:
        self.record.command_fragment_sizes.append(len(value))
        reassembler = self._reassemblers.setdefault(connection.handle, FragmentReassembler())
        try:
            message = reassembler.feed(value)
            command = None if message is None else decode_message(message)
        except ProtocolError as exc:
            # An exception here would leave the phone's write unanswered for 30 s.
            self._reply(connection, Error(re=0, code=exc.code, msg=exc.message[:200]))
            return
        if command is None:
            return
        assert isinstance(command, Command)
        self.record.commands.append(command)
        delay_s = self.slow.get(command.name, 0.0)
        if command.name in self.refuse:
            self._reply(connection, Error(re=command.id, code="refused", msg="refused"), delay_s)
        else:
            echo = Ok(re=command.id, data={"c": command.name, "a": command.args()})
            self._reply(connection, echo, delay_s)

    def _reply(self, connection: Connection, reply: Ok | Error, delay_s: float = 0.0) -> None:
        async def send() -> None:
            await asyncio.sleep(delay_s)
            await self.notify(connection, reply)

        if not self.silent:
            asyncio.get_running_loop().create_task(send())

    def _on_audio_fragment(self, connection: Connection, value: bytes) -> None:
        frame = self._audio.setdefault(connection.handle, FragmentReassembler()).feed(value)
        if frame is not None:
            self.record.audio_frames.append(frame)

    async def notify(self, connection: Connection, message: Ok | Error | Event) -> None:
        for part in fragment(encode_message(message), connection.att_mtu):
            self.record.notification_sizes.append(len(part))
            await self.device.notify_subscriber(connection, self.events, part)

    async def broadcast(self, event: Event) -> None:
        for connection in list(self.device.connections.values()):
            await self.notify(connection, event)

    async def drop_links(self) -> None:
        """As if the car drove out of range: the unit ends every connection."""
        for connection in list(self.device.connections.values()):
            await connection.disconnect()

    async def forget_bonds(self) -> None:
        await self.device.keystore.delete_all()

    async def close(self) -> None:
        await self.device.power_off()
        self._phone_side.server.close()
