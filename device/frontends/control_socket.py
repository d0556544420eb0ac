"""The engine's local control socket: the touchscreen UI and ``drivetime-unit ctl`` use it.

A Unix stream socket readable and writable by the owner only (mode 0600, in a 0700
directory). Messages are framed as in ``device.protocol.framing``. A client that sends
garbage gets an Error reply and stays connected when the framing is intact; a broken frame
closes only that client. Event delivery never blocks the engine: each watcher has a bounded
queue, and a client that cannot keep up loses its oldest events, not the engine's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from device.core.catalog_service import CatalogService
from device.core.player import Player
from device.frontends.commands import UnitServices, execute
from device.frontends.event_hub import EventHub
from device.protocol import (
    Command,
    Error,
    ErrorCode,
    Event,
    Message,
    ProtocolError,
    StreamDeframer,
    Watch,
    decode_message,
    encode_message,
    frame,
)

log = logging.getLogger(__name__)
WATCH_QUEUE_EVENTS = 64
READ_BYTES = 4096
MAX_CLIENTS = 16  # the UI, a few ctl sessions; more is a runaway client, not a use


class EngineAlreadyRunning(RuntimeError):
    pass


class ControlServer:
    def __init__(
        self,
        player: Player,
        path: Path,
        catalog: CatalogService | None = None,
        events: EventHub | None = None,
        services: UnitServices | None = None,
    ) -> None:
        self._player = player
        self._services = services or UnitServices(player, catalog)
        self._events = events or EventHub(player)
        self._path = path
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if await _answers(self._path):
            raise EngineAlreadyRunning(f"another engine is already serving {self._path}")
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()  # a stale socket from a power cut
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self._path))
        finally:
            os.umask(old_umask)
        os.chmod(self._path, 0o600)

    async def close(self) -> None:
        if self._server is None:
            return  # never started (maybe another engine serves the path): leave it alone
        self._server.close()
        await self._server.wait_closed()
        for task in list(self._clients):
            task.cancel()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._clients) >= MAX_CLIENTS:
            busy = Error(re=0, code=ErrorCode.REFUSED, msg=f"more than {MAX_CLIENTS} clients")
            writer.write(frame(encode_message(busy)))
            writer.close()
            return
        self._clients.add(task)
        watcher: _Watcher | None = None
        unsubscribe = None
        deframer = StreamDeframer()
        try:
            while data := await reader.read(READ_BYTES):
                for payload in deframer.feed(data):
                    command, reply = await self._reply_to(payload)
                    writer.write(frame(encode_message(reply)))
                    if isinstance(reply, Error) or watcher is not None:
                        continue
                    if isinstance(command, Watch):
                        watcher = _Watcher(writer)
                        unsubscribe = self._events.subscribe(watcher.put, replay=True)
                await writer.drain()
        except ProtocolError as exc:
            log.info("control client dropped: %s", exc)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if watcher is not None:
                if unsubscribe is not None:
                    unsubscribe()
                watcher.close()
            writer.close()
            self._clients.discard(task)

    async def _reply_to(self, payload: bytes) -> tuple[Command | None, Message]:
        """The decoded command (None if it is not one) and the reply to send."""
        try:
            message = decode_message(payload)
        except ProtocolError as exc:
            return None, Error(re=0, code=exc.code, msg=exc.message[:256])
        if not isinstance(message, Command):
            return None, Error(re=0, code=ErrorCode.UNKNOWN, msg="the engine accepts commands only")
        try:
            return message, await execute(self._services, message)
        except Exception as exc:  # the engine keeps playing whatever one command did
            log.exception("command %s failed", message.name)
            return message, Error(re=message.id, code=ErrorCode.INTERNAL, msg=str(exc)[:256])


async def _answers(path: Path) -> bool:
    """Is something already listening on ``path``? (A stale file from a power cut is not.)"""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


class _Watcher:
    """Streams events to one client through a bounded queue; never blocks the player."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._queue: asyncio.Queue[Event] = asyncio.Queue(WATCH_QUEUE_EVENTS)
        self._task = asyncio.create_task(self._deliver())

    def put(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # a client that stopped reading loses the oldest
        self._queue.put_nowait(event)

    async def _deliver(self) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while True:
                event = await self._queue.get()
                self._writer.write(frame(encode_message(event)))
                await self._writer.drain()

    def close(self) -> None:
        self._task.cancel()
