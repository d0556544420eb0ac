"""One bumble host stack per HCI transport, shared by every scanner and client of a process.

A phone has one radio, while bleak code creates scanners and clients freely. Each transport
spec (``tcp-client:127.0.0.1:9000``, ``usb:0``, ``hci-socket:0``) gets one bumble ``Device``
in the running event loop, opened on first use and kept until :func:`close_stacks`. The spec
comes from the ``transport`` argument, else ``$DRIVETIME_BLE_TRANSPORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError
from bumble.device import Device, DeviceConfiguration
from bumble.host import Host
from bumble.transport import open_transport
from bumble.transport.common import Transport

from host.bumble_backend.identity import PhoneIdentity, open_bond_store, resolve_state_dir
from host.bumble_backend.security import ConfirmPairing, StrictSession, pairing_config

TRANSPORT_ENV = "DRIVETIME_BLE_TRANSPORT"
PHONE_NAME = "Drivetime host"

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class HostStack:
    spec: str
    state_dir: Path
    device: Device
    transport: Transport
    connect_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The digit-comparison callback of the client pairing on each connection, by handle.
    confirmers: dict[int, ConfirmPairing] = field(default_factory=dict)
    _scanner_count: int = 0
    _scan_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start_scanning(self, active: bool) -> None:
        """Scanners share the radio: it scans while at least one of them does."""
        async with self._scan_lock:
            self._scanner_count += 1
            if not self.device.is_scanning:
                await self.device.start_scanning(active=active, filter_duplicates=False)

    async def stop_scanning(self) -> None:
        async with self._scan_lock:
            self._scanner_count = max(0, self._scanner_count - 1)
            if self._scanner_count == 0 and self.device.is_scanning:
                await self.device.stop_scanning()

    async def close(self) -> None:
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await connection.disconnect()
        with contextlib.suppress(Exception):
            await self.device.power_off()
        await self.transport.close()


_stacks: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[HostStack]] = {}


def resolve_transport(spec: str | None) -> str:
    spec = spec or os.environ.get(TRANSPORT_ENV)
    if not spec:
        raise BleakError(
            f"no Bluetooth transport: pass transport='usb:0' (or tcp-client:HOST:PORT, "
            f"hci-socket:0, ...) or set {TRANSPORT_ENV}"
        )
    return spec


async def open_stack(
    transport: str | None = None, state_dir: str | os.PathLike[str] | None = None
) -> HostStack:
    """The stack of ``transport`` in this event loop, opened on first use."""
    spec = resolve_transport(transport)
    loop = asyncio.get_running_loop()
    for key in [key for key in _stacks if key[0].is_closed()]:
        del _stacks[key]  # left over by a finished event loop (one per test, say)
    key = (loop, spec)
    if key not in _stacks:
        _stacks[key] = loop.create_task(_open(spec, resolve_state_dir(state_dir)))
    opening = _stacks[key]
    try:
        stack = await asyncio.shield(opening)
    except Exception:
        if opening.done() and _stacks.get(key) is opening:
            del _stacks[key]  # let the next caller try again
        raise
    if _transport_lost(stack) and _stacks.get(key) is opening:
        # The radio went away (a USB dongle pulled; the unit's virtual radio with its
        # process): this stack can do nothing more. Open the transport again.
        del _stacks[key]
        with contextlib.suppress(Exception):
            await stack.close()
        return await open_stack(transport, state_dir)
    if state_dir is not None and Path(state_dir) != stack.state_dir:
        raise BleakError(f"transport {spec} is already open with state directory {stack.state_dir}")
    return stack


def _transport_lost(stack: HostStack) -> bool:
    terminated = getattr(getattr(stack.transport, "source", None), "terminated", None)
    return terminated is not None and terminated.done()


async def close_stacks() -> None:
    """Close every stack of the running event loop (their connections drop)."""
    loop = asyncio.get_running_loop()
    for key in [key for key in _stacks if key[0] is loop]:
        opening = _stacks.pop(key)
        with contextlib.suppress(Exception):
            await (await opening).close()


async def _open(spec: str, state_dir: Path) -> HostStack:
    identity = PhoneIdentity.load_or_create(state_dir)
    try:
        transport = await open_transport(spec)
    except Exception as exc:
        raise BleakBluetoothNotAvailableError(
            f"cannot open Bluetooth transport {spec}: {exc}",
            BleakBluetoothNotAvailableReason.NO_BLUETOOTH,
        ) from exc
    config = DeviceConfiguration(name=PHONE_NAME, address=identity.address, irk=identity.irk)
    device = Device(config=config, host=Host(transport.source, transport.sink))
    device.keystore = open_bond_store(state_dir, identity)
    stack = HostStack(spec, state_dir, device, transport)
    device.smp_session_proxy = StrictSession
    device.pairing_config_factory = lambda connection: pairing_config(
        stack.confirmers.get(connection.handle)
    )
    try:
        await asyncio.wait_for(device.power_on(), 10)
    except Exception as exc:
        await transport.close()
        raise BleakBluetoothNotAvailableError(
            f"the Bluetooth controller on {spec} did not start: {exc!r}",
            BleakBluetoothNotAvailableReason.UNKNOWN,
        ) from exc
    logger.info("bumble host on %s as %s", spec, identity.address)
    return stack
