"""A client for the engine's control socket, used by ``drivetime-unit ctl``."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

from device.protocol import (
    Command,
    Error,
    Event,
    Message,
    Ok,
    ProtocolError,
    StreamDeframer,
    decode_message,
    encode_message,
    frame,
)


class EngineUnavailable(ConnectionError):
    pass


class CommandFailed(RuntimeError):
    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.msg}")
        self.error = error


class ControlClient:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._deframer = StreamDeframer()
        self._inbox: list[Message] = []
        self._ids = itertools.count(1)

    async def connect(self, timeout_s: float = 2.0) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self._path)), timeout_s
            )
        except (FileNotFoundError, ConnectionRefusedError, TimeoutError) as exc:
            raise EngineUnavailable(
                f"no engine answers on {self._path} ({exc.__class__.__name__}); "
                "start it with `drivetime-unit engine`"
            ) from None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()

    async def request(self, command: Command, timeout_s: float = 5.0) -> Ok:
        """Send a command and wait for its reply; events arriving meanwhile are kept."""
        command = type(command)(**{**command.args(), "id": next(self._ids) & 0xFFFF})
        assert self._writer is not None
        self._writer.write(frame(encode_message(command)))
        await self._writer.drain()
        while True:
            message = await asyncio.wait_for(self._next_message(keep_events=True), timeout_s)
            if isinstance(message, Ok) and message.re == command.id:
                return message
            if isinstance(message, Error) and message.re in (command.id, 0):
                raise CommandFailed(message)

    async def events(self) -> AsyncIterator[Event]:
        while True:
            message = await self._next_message(keep_events=False)
            if isinstance(message, Event):
                yield message

    async def _next_message(self, keep_events: bool) -> Message:
        assert self._reader is not None
        while True:
            for index, message in enumerate(self._inbox):
                if not (keep_events and isinstance(message, Event)):
                    return self._inbox.pop(index)
            data = await self._reader.read(4096)
            if not data:
                raise EngineUnavailable("the engine closed the connection")
            for payload in self._deframer.feed(data):
                try:
                    self._inbox.append(decode_message(payload))
                except ProtocolError as exc:
                    raise EngineUnavailable(f"the engine sent a bad message: {exc}") from None
