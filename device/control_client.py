"""A client for the engine's control socket, used by ``drivetime-unit ctl``.

Every way of not reaching the engine — no socket, nobody listening, no permission, a reply
that never comes, a connection that breaks, bytes that are not the protocol — is an
``EngineUnavailable`` whose message says which; a command the engine refuses is a
``CommandFailed``.
"""

from __future__ import annotations

import asyncio
import contextlib
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

REPLY_TIMEOUT_S = 5.0  # an engine answers in milliseconds; this long means it is stuck


class EngineUnavailable(ConnectionError):
    """The engine cannot be reached or stopped answering; the message says why."""


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
        except PermissionError:
            raise EngineUnavailable(
                f"permission denied on {self._path}: the control socket admits only the user "
                "the engine runs as"
            ) from None
        except OSError as exc:  # e.g. a path too long for a Unix socket, or not a socket
            raise EngineUnavailable(
                f"cannot connect to {self._path}: {exc.strerror or exc}"
            ) from None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):  # the engine may have gone first
                await self._writer.wait_closed()

    async def request(self, command: Command, timeout_s: float | None = None) -> Ok:
        """Send a command and wait for its reply (``REPLY_TIMEOUT_S`` by default); events
        arriving meanwhile are kept."""
        timeout_s = REPLY_TIMEOUT_S if timeout_s is None else timeout_s
        command = type(command)(**{**command.args(), "id": next(self._ids) & 0xFFFF})
        assert self._writer is not None
        try:
            async with asyncio.timeout(timeout_s):
                self._writer.write(frame(encode_message(command)))
                await self._writer.drain()
                while True:
                    message = await self._next_message(keep_events=True)
                    if isinstance(message, Ok) and message.re == command.id:
                        return message
                    if isinstance(message, Error) and message.re in (command.id, 0):
                        raise CommandFailed(message)
        except TimeoutError:
            raise EngineUnavailable(
                f"the engine on {self._path} did not reply to {command.name} within {timeout_s:g} s"
            ) from None
        except EngineUnavailable:
            raise
        except OSError as exc:  # a write to a connection the engine dropped
            raise EngineUnavailable(f"the connection to the engine broke: {exc}") from None

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
            try:
                data = await self._reader.read(4096)
            except OSError as exc:
                raise EngineUnavailable(f"the connection to the engine broke: {exc}") from None
            if not data:
                raise EngineUnavailable("the engine closed the connection")
            try:
                self._inbox.extend(decode_message(p) for p in self._deframer.feed(data))
            except ProtocolError as exc:
                raise EngineUnavailable(f"the engine sent a bad message: {exc}") from None
