"""bleak's client interface on the shared bumble stack.

``BleakClient(device, backend=BumbleClient, transport=..., confirm_pairing=ask_driver)``.
Backend options (bleak passes unknown keyword arguments through):

* ``transport`` — bumble transport spec, else ``$DRIVETIME_BLE_TRANSPORT``;
* ``state_dir`` — where the phone's identity and bonds live (see :mod:`.identity`);
* ``confirm_pairing`` — ``async (digits: int) -> bool``: show the six digits, return whether
  the driver saw the same ones on the unit (also accepted by ``pair()``);
* ``att_mtu`` — the ATT MTU to ask for on connect (23 skips the exchange).

On connect the client re-encrypts with the stored bond when there is one, so a bonded phone
regains access without a new prompt; ``pair=True`` pairs when there is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import att, core, hci
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.keys import PairingKeys

from host.bumble_backend.errors import BleakPairingError, bleak_errors
from host.bumble_backend.gatt_tree import ATT_HEADER_BYTES, service_collection
from host.bumble_backend.security import ConfirmPairing
from host.bumble_backend.stack import HostStack, open_stack

DEFAULT_ATT_MTU = 247  # one LE data packet with Data Length Extension (251 - 4 L2CAP bytes)

logger = logging.getLogger(__name__)


class BumbleClient(BaseBleakClient):
    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        services: set[str] | None = None,
        transport: str | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        confirm_pairing: ConfirmPairing | None = None,
        att_mtu: int = DEFAULT_ATT_MTU,
        **kwargs: Any,  # bleak's bluez=/winrt=, and scanner-only options
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        if att_mtu < att.ATT_DEFAULT_MTU:
            raise ValueError(f"att_mtu must be at least {att.ATT_DEFAULT_MTU}, got {att_mtu}")
        self._peer_address: hci.Address | None = None
        self._advertised_name: str | None = None
        if isinstance(address_or_ble_device, BLEDevice):
            self._advertised_name = address_or_ble_device.name
            if isinstance(address_or_ble_device.details, hci.Address):
                self._peer_address = address_or_ble_device.details
        self._wanted_services = services
        self._transport = transport
        self._state_dir = state_dir
        self._confirm_pairing = confirm_pairing
        self._att_mtu = att_mtu
        self._stack: HostStack | None = None
        self._connection: Connection | None = None
        self._disconnecting = False
        self._notify_callbacks: dict[int, Callable[[bytes], None]] = {}

    # --- connection -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._advertised_name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if self._connection is not None:
            return
        stack = self._stack = await open_stack(self._transport, self._state_dir)
        peer_address = self._peer_address or await self._find_by_address(stack)
        async with stack.connect_lock:
            connection = await self._connect_le(stack, peer_address)
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            if await self._bond() is not None:
                await self._reencrypt(connection)
            elif pair:
                await self.pair()
            if self._att_mtu > att.ATT_DEFAULT_MTU:
                with bleak_errors("MTU exchange"):
                    await Peer(connection).request_mtu(self._att_mtu)
            await self._discover_services(connection)
        except BaseException:
            with contextlib.suppress(BleakError, TimeoutError):
                await self.disconnect()
            raise

    async def _connect_le(self, stack: HostStack, peer_address: hci.Address) -> Connection:
        device = stack.device
        try:
            with bleak_errors(f"connect to {self.address}"):
                return await asyncio.wait_for(
                    device.connect_le(peer_address, timeout=self._timeout), self._timeout
                )
        except TimeoutError:
            # bumble times the radio part only: for a bonded unit it first scans for the
            # unit's identity (in case it uses private addresses), with no limit of its own.
            with contextlib.suppress(hci.HCI_Error, core.BaseBumbleError):
                await device.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command())
            raise

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._disconnecting = True
        with contextlib.suppress(hci.HCI_Error), bleak_errors("disconnect"):
            await connection.disconnect()

    def _on_disconnection(self, reason: int) -> None:
        solicited, self._disconnecting = self._disconnecting, False
        self._connection = None
        self._notify_callbacks.clear()
        if not solicited:
            logger.info("the link to %s dropped (HCI reason 0x%02X)", self.address, reason)
            if self._disconnected_callback is not None:
                self._disconnected_callback()

    async def _find_by_address(self, stack: HostStack) -> hci.Address:
        """A plain address string says nothing of the address type: learn it from a scan."""
        wanted = self.address.upper()
        found: asyncio.Future[Advertisement] = asyncio.get_running_loop().create_future()

        def on_advertisement(advertisement: Advertisement) -> None:
            if advertisement.address.to_string(False) == wanted and not found.done():
                found.set_result(advertisement)

        stack.device.on(stack.device.EVENT_ADVERTISEMENT, on_advertisement)
        await stack.start_scanning(active=False)
        try:
            advertisement = await asyncio.wait_for(found, self._timeout)
        except TimeoutError:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found"
            ) from None
        finally:
            stack.device.remove_listener(stack.device.EVENT_ADVERTISEMENT, on_advertisement)
            await stack.stop_scanning()
        self._advertised_name = self._advertised_name or advertisement.data.get(
            advertisement.data.Type.COMPLETE_LOCAL_NAME
        )
        return advertisement.address

    async def _discover_services(self, connection: Connection) -> None:
        peer = Peer(connection)
        with bleak_errors("service discovery"):
            await peer.discover_all()
        self.services = service_collection(
            peer.services, lambda: self.mtu_size, self._wanted_services
        )

    def _live_connection(self) -> Connection:
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    # --- security -------------------------------------------------------------------------

    async def _bond(self) -> PairingKeys | None:
        assert self._stack is not None and self._stack.device.keystore is not None
        return await self._stack.device.keystore.get(self._bond_name())

    def _bond_name(self) -> str:
        """Bonds are stored under the unit's identity address, which pairing gave us."""
        if self._connection is not None:
            return str(self._connection.peer_address)
        return str(self._peer_address) if self._peer_address else self.address.upper()

    async def _reencrypt(self, connection: Connection) -> None:
        with bleak_errors("re-encrypting with the stored bond"):
            try:
                await connection.encrypt()
            except hci.HCI_Error as exc:
                if exc.error_code != hci.HCI_PIN_OR_KEY_MISSING_ERROR:
                    raise
                # The unit forgot us (reset, or the driver removed this phone). Stay
                # connected without encryption: protected access fails until pair() runs
                # again, which replaces the stale bond.
                logger.warning("the unit at %s no longer has this phone's bond", self.address)

    async def pair(
        self, *args: Any, confirm_pairing: ConfirmPairing | None = None, **kwargs: Any
    ) -> None:
        connection = self._live_connection()
        if connection.is_encrypted and await self._bond() is not None:
            return  # bonded and re-encrypted on connect: nothing to ask the driver
        confirm = confirm_pairing or self._confirm_pairing
        if confirm is None:
            raise BleakPairingError(
                "pairing compares six digits with the unit: pass confirm_pairing=async "
                "(digits) -> bool to BleakClient or to pair()"
            )
        assert self._stack is not None
        self._stack.confirmers[connection.handle] = confirm
        try:
            with bleak_errors("pair"):
                await connection.pair()
        finally:
            self._stack.confirmers.pop(connection.handle, None)
        if not (connection.sc and connection.authenticated and connection.is_encrypted):
            raise BleakPairingError("pairing completed without an authenticated SC link")

    async def unpair(self) -> None:
        stack = self._stack = self._stack or await open_stack(self._transport, self._state_dir)
        name = self._bond_name()
        await self.disconnect()
        assert stack.device.keystore is not None
        with contextlib.suppress(KeyError):  # not bonded: nothing to forget
            await stack.device.keystore.delete(name)
        await stack.device.refresh_resolving_list()

    # --- GATT -----------------------------------------------------------------------------

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        connection = self._live_connection()
        cached = connection.gatt_client.cached_values.get(characteristic.handle)
        if use_cached and cached is not None:
            return bytearray(cached[1])
        with bleak_errors(f"read {characteristic.uuid}"):
            return bytearray(await characteristic.obj.read_value())

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._live_connection()
        with bleak_errors(f"read descriptor {descriptor.uuid}"):
            return bytearray(await descriptor.obj.read_value())

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        connection = self._live_connection()
        value = bytes(data)
        # bumble sends oversized commands as they are; a real controller would not.
        if not response and len(value) > connection.att_mtu - ATT_HEADER_BYTES:
            raise BleakError(
                f"write without response of {len(value)} bytes exceeds the ATT MTU "
                f"{connection.att_mtu} - {ATT_HEADER_BYTES}"
            )
        with bleak_errors(f"write {characteristic.uuid}"):
            await connection.gatt_client.write_value(
                characteristic.handle, value, with_response=response
            )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        connection = self._live_connection()
        with bleak_errors(f"write descriptor {descriptor.uuid}"):
            await connection.gatt_client.write_value(descriptor.handle, bytes(data), True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        connection = self._live_connection()
        proxy: CharacteristicProxy[bytes] = characteristic.obj

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        try:
            with bleak_errors(f"subscribe to {characteristic.uuid}"):
                await proxy.subscribe(on_value, prefer_notify=True)
        except BaseException:
            # bumble registers the subscriber before the CCCD write; a refused write must
            # not leave it listening to notifications the unit never agreed to send.
            proxy.subscribers.pop(on_value, None)
            connection.gatt_client.notification_subscribers.pop(characteristic.handle, None)
            connection.gatt_client.indication_subscribers.pop(characteristic.handle, None)
            raise
        self._notify_callbacks[characteristic.handle] = on_value

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._live_connection()
        on_value = self._notify_callbacks.pop(characteristic.handle, None)
        with bleak_errors(f"unsubscribe from {characteristic.uuid}"):
            await characteristic.obj.unsubscribe(on_value)
