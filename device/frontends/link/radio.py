"""The unit's Bluetooth controller, chosen by a spec string.

* ``"hci-socket:0"``, ``"usb:0"``, ... — any bumble transport spec: a real controller.
* ``"virtual"`` — bumble's in-process radio: a ``LocalLink`` with one virtual controller for
  the unit. :meth:`VirtualRadio.expose_phone` adds a TCP port where a phone process runs its
  own bumble host (transport ``tcp-client:127.0.0.1:PORT``) on the same virtual radio.

Why not bumble's ``tcp-server:`` transport for the phone port: it keeps one controller for
the life of the port, shares one HCI parser across clients, and its HCI Reset clears nothing.
A phone process that dies leaves its controller connected to the unit (the unit keeps a dead
link) and half a packet in the parser, and a new phone at the same address cannot connect
("connection already exists"). Here every TCP client gets a fresh controller (a fresh phone
radio), and a client that goes away takes its links down as a phone leaving radio range does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from bumble import hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink, StreamPacketSource

log = logging.getLogger(__name__)

VIRTUAL = "virtual"
VIRTUAL_ADVERTISING_INTERVAL_MS = 20.0
"""The virtual controller connects and reports only on the next advertisement: a short
interval keeps connects fast in tests and demos (a real radio uses the host's choice)."""

REAL_ADVERTISING_INTERVAL_MS = 100.0
"""Phones find a unit advertising at 100 ms within a scan or two; power is no concern in a car."""


class RadioUnavailable(OSError):
    """The named controller could not be opened (absent, busy, no permission)."""


@dataclass
class Hci:
    """What a bumble ``Host`` needs: a source of controller packets and a sink for ours."""

    source: Any
    sink: Any


class Radio:
    """A controller opened from a spec string; :meth:`close` releases it."""

    advertising_interval_ms = REAL_ADVERTISING_INTERVAL_MS

    def __init__(self, hci_io: Hci, transport: Any = None) -> None:
        self.hci = hci_io
        self._transport = transport

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.close()
            self._transport = None


class VirtualRadio(Radio):
    """bumble's in-process radio; phones join it through :meth:`expose_phone`."""

    advertising_interval_ms = VIRTUAL_ADVERTISING_INTERVAL_MS

    def __init__(self) -> None:
        self.link = LocalLink()
        self.controller = Controller("unit", link=self.link)
        super().__init__(Hci(source=self.controller, sink=AsyncPipeSink(self.controller)))
        self._gateways: list[PhoneGateway] = []

    async def expose_phone(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve a phone controller's HCI on a TCP port; returns the port."""
        gateway = PhoneGateway(self.link)
        bound = await gateway.start(host, port)
        self._gateways.append(gateway)
        return bound

    async def close(self) -> None:
        for gateway in self._gateways:
            await gateway.close()
        self._gateways.clear()
        with contextlib.suppress(KeyError):
            self.link.remove_controller(self.controller)


async def open_radio(spec: str) -> Radio:
    """Open the controller named by ``spec`` (``"virtual"`` or a bumble transport spec)."""
    if spec == VIRTUAL:
        return VirtualRadio()
    if ":" not in spec:
        raise ValueError(f"link {spec!r}: expected 'virtual' or a transport like 'hci-socket:0'")
    try:
        transport = await open_transport(spec)
    except Exception as exc:  # bumble raises whatever its backend raised (OSError, usb1, ...)
        raise RadioUnavailable(f"link {spec!r}: {type(exc).__name__}: {exc}") from exc
    return Radio(Hci(source=transport.source, sink=transport.sink), transport)


class PhoneGateway:
    """A TCP port where each client is a fresh virtual phone controller on the shared link."""

    def __init__(self, link: LocalLink) -> None:
        self._link = link
        self._server: asyncio.Server | None = None
        self._clients: set[_PhoneClient] = set()

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_client, host, port)
        return self._server.sockets[0].getsockname()[1]

    def _new_client(self) -> _PhoneClient:
        client = _PhoneClient(self._link, self._clients.discard)
        self._clients.add(client)
        return client

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for client in list(self._clients):
            client.close()


class _PhoneClient(StreamPacketSource):
    """One phone process: its HCI stream in, a controller of its own on the link."""

    def __init__(self, link: LocalLink, on_gone: Any) -> None:
        super().__init__()
        self._link = link
        self._on_gone = on_gone
        self._transport: asyncio.Transport | None = None
        self.controller: Controller | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.controller = Controller(
            f"phone@{transport.get_extra_info('peername')}",
            host_source=self,
            host_sink=_TcpSink(transport),
            link=self._link,
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._leave_radio()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._leave_radio()

    def _leave_radio(self) -> None:
        """The phone is gone: its links time out for its peers, its controller leaves."""
        controller, self.controller = self.controller, None
        self._transport = None
        if controller is None:
            return
        controller.host = None
        controller.le_legacy_advertiser.stop()
        for advertising_set in controller.advertising_sets.values():
            advertising_set.stop()
        reason = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
        for connection in list(controller.le_connections.values()):
            with contextlib.suppress(Exception):  # the peer may have left at the same time
                connection.send_ll_control_pdu(ll.TerminateInd(reason))
            controller.le_connections.pop(connection.peer_address, None)
        with contextlib.suppress(KeyError):
            self._link.remove_controller(controller)
        self._on_gone(self)


class _TcpSink:
    """Controller → phone host: HCI packets onto the client's socket."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def on_packet(self, packet: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(packet)
