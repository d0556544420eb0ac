"""One phone connection's protocol session: fragments in, commands run in order, replies out.

No Bluetooth here (the link server feeds it GATT writes and gives it a ``send`` for
notifications), so it is tested and fuzzed at full speed without a radio.

* COMMAND writes are reassembled (:class:`FragmentReassembler`) and decoded; every broken
  or bad message gets one Error reply and a log line, never an exception (after a broken
  fragment the rest of that message is skipped quietly, up to the next FIRST fragment).
* Commands run through ``execute`` one at a time, in arrival order, on this session's own
  task; at most ``commands_per_s`` (a token bucket) and ``COMMAND_QUEUE`` waiting, beyond that
  the phone gets Error ``refused: busy`` at once.
* Replies and events leave one whole message at a time (a phone reassembles one message at a
  time), cut at the connection's current ATT MTU. Events never block the engine: when a phone
  falls behind, its oldest queued events are dropped; replies are never dropped for events.
* AUDIO writes are reassembled into relay frames and handed to ``on_audio`` from a bounded
  queue; when the consumer falls behind, new frames are dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from device.protocol import (
    Command,
    Error,
    ErrorCode,
    FragmentReassembler,
    Message,
    ProtocolError,
    decode_message,
    encode_message,
    fragment,
)
from device.protocol.framing import FIRST

log = logging.getLogger(__name__)

COMMAND_QUEUE = 16
OUTBOX_EVENTS = 64
OUTBOX_REPLIES = 64  # replies waiting for a phone that stopped reading; more is a flood
AUDIO_QUEUE_FRAMES = 64  # about 1.3 s of 20 ms Opus frames
MAX_ERROR_TEXT = 200

Execute = Callable[[Command], Awaitable[Message]]
AudioSink = Callable[[bytes], Awaitable[None] | None]


@dataclass
class SessionStats:
    commands: int = 0  # commands handed to execute
    errors: int = 0  # Error replies for bad fragments or messages, busy, failures
    busy: int = 0  # messages refused by the rate limit or a full queue
    replies_dropped: int = 0
    events_dropped: int = 0
    audio_frames: int = 0
    audio_dropped: int = 0
    audio_malformed: int = 0


class RateLimiter:
    """Token bucket: ``per_s`` on average, bursts of up to ``per_s``."""

    def __init__(self, per_s: float, clock: Callable[[], float]) -> None:
        self._per_s = per_s
        self._clock = clock
        self._tokens = per_s
        self._last = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self._per_s, self._tokens + (now - self._last) * self._per_s)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class LinkSession:
    def __init__(
        self,
        *,
        execute: Execute,
        send: Callable[[bytes], Awaitable[None]],
        mtu: Callable[[], int],
        on_audio: AudioSink | None = None,
        clock: Callable[[], float],
        commands_per_s: float = 50.0,
        label: str = "phone",
    ) -> None:
        self.stats = SessionStats()
        self._execute = execute
        self._send = send
        self._mtu = mtu
        self._on_audio = on_audio
        self._label = label
        self._rate = RateLimiter(commands_per_s, clock)
        self._commands = FragmentReassembler()
        self._skipping = False  # after a broken fragment, until the next FIRST fragment
        self._audio = FragmentReassembler()
        self._inbox: asyncio.Queue[Message] = asyncio.Queue(COMMAND_QUEUE)
        self._outbox: deque[tuple[Message, bool]] = deque()  # (message, is_event)
        self._outbox_ready = asyncio.Event()
        self._outbox_room = asyncio.Event()
        self._replies_waiting = 0
        self._audio_queue: asyncio.Queue[bytes] = asyncio.Queue(AUDIO_QUEUE_FRAMES)
        self._tasks = [
            asyncio.create_task(self._run_commands()),
            asyncio.create_task(self._send_messages()),
            asyncio.create_task(self._deliver_audio()),
        ]

    # --- called from GATT callbacks: quick, never raise ------------------------------------

    def on_command_fragment(self, value: bytes) -> None:
        if self._skipping and not (value and value[0] & FIRST):
            return  # the rest of a message already refused: one Error per broken message
        self._skipping = False
        try:
            data = self._commands.feed(value)
        except ProtocolError as exc:
            self._skipping = True
            self._refuse(0, exc.code, exc.message)
            return
        if data is None:
            return
        try:
            message: Message | ProtocolError = decode_message(data)
        except ProtocolError as exc:
            message = exc
        request_id = message.id if isinstance(message, Command) else 0
        if not self._rate.allow():  # every complete message counts, good or bad
            self._busy(request_id, "more than the allowed commands per second")
            return
        if isinstance(message, ProtocolError):
            self._refuse(0, message.code, message.message)
            return
        if not isinstance(message, Command):
            self._refuse(
                0, ErrorCode.UNKNOWN, f"the unit accepts commands only, got {message.name}"
            )
            return
        try:
            self._inbox.put_nowait(message)
        except asyncio.QueueFull:
            self._busy(request_id, f"{COMMAND_QUEUE} commands already waiting")

    def on_audio_fragment(self, value: bytes) -> None:
        try:
            frame = self._audio.feed(value)
        except ProtocolError as exc:
            self.stats.audio_malformed += 1
            log.debug("%s: audio fragment dropped: %s", self._label, exc)
            return
        if frame is None:
            return
        if self._on_audio is None:
            self.stats.audio_dropped += 1
            return
        try:
            self._audio_queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.stats.audio_dropped += 1
        else:
            self.stats.audio_frames += 1

    def post_event(self, event: Message) -> None:
        """Queue an event for this phone; drops its oldest waiting event when too many wait."""
        waiting_events = [entry for entry in self._outbox if entry[1]]
        if len(waiting_events) >= OUTBOX_EVENTS:
            self._outbox.remove(waiting_events[0])
            self.stats.events_dropped += 1
        self._post(event, is_event=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- inside ------------------------------------------------------------------------

    def _refuse(self, request_id: int, code: ErrorCode, text: str) -> None:
        log.info("%s: %s: %s", self._label, code, text)
        self.stats.errors += 1
        error = Error(re=request_id, code=code, msg=text[:MAX_ERROR_TEXT])
        try:
            self._inbox.put_nowait(error)  # behind earlier commands: replies stay in order
        except asyncio.QueueFull:
            self._post(error, is_event=False)

    def _busy(self, request_id: int, why: str) -> None:
        self.stats.busy += 1
        self.stats.errors += 1
        log.info("%s: busy: %s", self._label, why)
        self._post(Error(re=request_id, code=ErrorCode.REFUSED, msg=f"busy: {why}"), False)

    def _post(self, message: Message, is_event: bool) -> None:
        if not is_event:
            if self._replies_waiting >= OUTBOX_REPLIES:  # only a flood gets here
                self.stats.replies_dropped += 1
                return
            self._replies_waiting += 1
        self._outbox.append((message, is_event))
        self._outbox_ready.set()

    async def _run_commands(self) -> None:
        while True:
            message = await self._inbox.get()
            while self._replies_waiting >= OUTBOX_REPLIES // 2:
                # the phone is not reading its replies: stop taking commands, so the inbox
                # fills and further commands are refused as busy instead of answered into
                # a queue nobody empties
                self._outbox_room.clear()
                await self._outbox_room.wait()
            if isinstance(message, Command):
                self.stats.commands += 1
                message = await self._run(message)
            self._post(message, is_event=False)

    async def _run(self, command: Command) -> Message:
        try:
            return await self._execute(command)
        except Exception as exc:  # the unit keeps serving whatever one command did
            log.exception("%s: command %s failed", self._label, command.name)
            self.stats.errors += 1
            return Error(re=command.id, code=ErrorCode.INTERNAL, msg=str(exc)[:MAX_ERROR_TEXT])

    async def _send_messages(self) -> None:
        while True:
            while not self._outbox:
                self._outbox_ready.clear()
                await self._outbox_ready.wait()
            message, is_event = self._outbox.popleft()
            if not is_event:
                self._replies_waiting -= 1
                self._outbox_room.set()
            try:
                for value in fragment(_encode(message), self._mtu()):
                    await self._send(value)
            except Exception:  # a link that went away mid-message; the server closes us
                log.debug("%s: could not send %s", self._label, message.name, exc_info=True)

    async def _deliver_audio(self) -> None:
        while True:
            frame = await self._audio_queue.get()
            try:
                result = self._on_audio(frame) if self._on_audio else None
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s: audio consumer failed", self._label)


def _encode(message: Message) -> bytes:
    try:
        return encode_message(message)
    except ProtocolError as exc:  # a reply too large for the protocol: say so instead
        request_id = getattr(message, "re", 0)
        return encode_message(Error(re=request_id, code=exc.code, msg=exc.message))
