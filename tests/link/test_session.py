"""The protocol session behind the GATT callbacks, at full speed without a radio."""

from __future__ import annotations

import asyncio

from device.frontends.link.session import (
    AUDIO_QUEUE_FRAMES,
    COMMAND_QUEUE,
    OUTBOX_EVENTS,
    LinkSession,
)
from device.protocol import (
    Command,
    Error,
    ErrorCode,
    FragmentReassembler,
    Message,
    Ok,
    PlayerState,
    Status,
    Volume,
    decode_message,
    encode_message,
    fragment,
)
from tests.link.conftest import run
from tests.link.fuzz import expected_replies, fuzzed_values

MTU = 23


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A session whose notifications are collected and reassembled as a phone would."""

    def __init__(self, execute=None, mtu: int = MTU, **options) -> None:
        self.clock = FakeClock()
        self.sent: list[bytes] = []
        self.audio: list[bytes] = []
        self.executed: list[Command] = []
        self._reassembler = FragmentReassembler()
        self.received: list[Message] = []
        self.session = LinkSession(
            execute=execute or self.execute,
            send=self.send,
            mtu=lambda: mtu,
            on_audio=options.pop("on_audio", self.audio.append),
            clock=self.clock,
            **options,
        )

    async def execute(self, command: Command) -> Message:
        self.executed.append(command)
        return Ok(re=command.id, data={"did": command.name})

    async def send(self, value: bytes) -> None:
        self.sent.append(value)
        message = self._reassembler.feed(value)
        if message is not None:
            self.received.append(decode_message(message))

    def write(self, message: bytes) -> None:
        for value in fragment(message, MTU):
            self.session.on_command_fragment(value)

    async def settle(self, count: int, timeout: float = 5.0) -> list[Message]:
        """Wait until ``count`` messages came back (and a moment more for any extra)."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                await asyncio.sleep(0.001)
        for _ in range(20):
            await asyncio.sleep(0)
        return self.received


def test_commands_are_answered_in_order_one_at_a_time():
    running = 0
    overlapped = False

    async def slow_execute(command: Command) -> Message:
        nonlocal running, overlapped
        running += 1
        overlapped |= running > 1
        await asyncio.sleep(0.002 * (command.id % 3))
        running -= 1
        return Ok(re=command.id)

    async def scenario():
        h = Harness(execute=slow_execute)
        for request_id in range(1, 11):
            h.write(encode_message(Volume(id=request_id, percent=request_id)))
        replies = await h.settle(10)
        await h.session.close()
        return replies

    replies = run(scenario())
    assert [reply.re for reply in replies] == list(range(1, 11))
    assert not overlapped


def test_a_long_reply_is_cut_at_the_mtu_and_arrives_whole():
    long_reply = Ok(re=3, data={"text": "x" * 600, "more": list(range(50))})

    async def scenario():
        h = Harness(execute=lambda command: _returning(long_reply))
        h.write(encode_message(Status(id=3)))
        replies = await h.settle(1)
        await h.session.close()
        return h, replies

    h, replies = run(scenario())
    assert replies == [long_reply]
    assert len(h.sent) > 30
    assert max(len(value) for value in h.sent) == MTU - 3


def test_more_than_the_rate_limit_is_refused_as_busy_until_time_passes():
    async def scenario():
        h = Harness(commands_per_s=50.0)
        for request_id in range(60):
            h.write(encode_message(Status(id=request_id)))
            await asyncio.sleep(0)  # the engine keeps up: only the rate limit refuses
        first = list(await h.settle(60))
        h.clock.now += 1.0
        h.write(encode_message(Status(id=99)))
        after = await h.settle(61)
        await h.session.close()
        return first, after[-1]

    first, after = run(scenario())
    busy = [m for m in first if isinstance(m, Error)]
    assert len(busy) == 10
    assert all(m.code == ErrorCode.REFUSED and m.msg.startswith("busy") for m in busy)
    assert sorted(m.re for m in busy) == list(range(50, 60))
    assert after == Ok(re=99, data={"did": "status"})


def test_a_full_command_queue_answers_busy_at_once():
    release = asyncio.Event

    async def scenario():
        gate = release()

        async def blocked(command: Command) -> Message:
            await gate.wait()
            return Ok(re=command.id)

        h = Harness(execute=blocked, commands_per_s=1000.0)
        for request_id in range(COMMAND_QUEUE + 5):
            h.write(encode_message(Status(id=request_id)))
        early = list(await h.settle(5))
        gate.set()
        replies = await h.settle(COMMAND_QUEUE + 5)
        await h.session.close()
        return early, replies

    early, replies = run(scenario())
    # COMMAND_QUEUE wait for the engine, the rest are refused without waiting
    assert all(isinstance(m, Error) and m.msg.startswith("busy") for m in early)
    assert len([m for m in replies if isinstance(m, Ok)]) == COMMAND_QUEUE


def test_a_failing_engine_gives_an_internal_error_and_the_session_goes_on():
    async def flaky(command: Command) -> Message:
        if command.id == 1:
            raise RuntimeError("decoder exploded")
        return Ok(re=command.id)

    async def scenario():
        h = Harness(execute=flaky)
        h.write(encode_message(Status(id=1)))
        h.write(encode_message(Status(id=2)))
        replies = await h.settle(2)
        await h.session.close()
        return replies

    first, second = run(scenario())
    assert first == Error(re=1, code=ErrorCode.INTERNAL, msg="decoder exploded")
    assert second == Ok(re=2)


def test_bad_messages_get_an_error_naming_the_problem():
    cases = [
        (b"not json", ErrorCode.MALFORMED),
        (b'{"v":1,"c":"launch_missiles","id":4}', ErrorCode.UNKNOWN),
        (b'{"v":9,"c":"status","id":4}', ErrorCode.VERSION),
        (b'{"v":1,"c":"volume","id":4,"a":{"percent":400}}', ErrorCode.BAD_ARGUMENT),
        (encode_message(Ok(re=1)), ErrorCode.UNKNOWN),
        (b"[" * 3000 + b"]" * 3000, ErrorCode.TOO_LARGE),
    ]

    async def scenario():
        h = Harness()
        for data, _ in cases:
            for value in _fragments_of_any_size(data):
                h.session.on_command_fragment(value)
        replies = await h.settle(len(cases))
        await h.session.close()
        return h, replies

    h, replies = run(scenario())
    assert [(type(r), r.code) for r in replies] == [(Error, code) for _, code in cases]
    assert h.executed == []


def test_fuzzed_fragments_never_crash_and_each_bad_message_gets_one_error():
    """Thousands of random and mutated fragments: every complete message and every broken
    message gets exactly one reply, in order; only valid commands reach the engine."""
    values = fuzzed_values(seed=20240601, count=4000)
    expected, _ = expected_replies(values)

    async def scenario():
        h = Harness(commands_per_s=1e9)
        for index, value in enumerate(values):
            h.session.on_command_fragment(value)
            if index % 8 == 0:
                await asyncio.sleep(0)  # let the session drain, as a radio would pace writes
        replies = await h.settle(len(expected), timeout=20)
        await h.session.close()
        return h, replies

    h, replies = run(scenario(), timeout=30)
    assert [type(reply) for reply in replies] == expected
    assert expected.count(Error) > 1000 and expected.count(Ok) > 100
    assert len(h.executed) == expected.count(Ok)
    assert max(len(value) for value in h.sent) <= MTU - 3


def test_a_phone_that_lags_loses_its_oldest_events_not_its_replies():
    async def scenario():
        h = Harness()
        h.write(encode_message(Status(id=1)))
        for volume in range(OUTBOX_EVENTS + 10):  # all queued before the phone reads any
            h.session.post_event(PlayerState(volume=volume))
        received = await h.settle(OUTBOX_EVENTS + 1)
        await h.session.close()
        return h, received

    h, received = run(scenario())
    assert Ok(re=1, data={"did": "status"}) in received
    volumes = [m.volume for m in received if isinstance(m, PlayerState)]
    assert volumes == list(range(10, OUTBOX_EVENTS + 10))
    assert h.session.stats.events_dropped == 10


def test_audio_fragments_become_frames_and_a_slow_consumer_loses_new_frames_counted():
    frames = [bytes([n]) * (100 + n) for n in range(AUDIO_QUEUE_FRAMES + 20)]

    async def scenario():
        delivered: list[bytes] = []
        resume = asyncio.Event()

        async def slow_consumer(frame: bytes) -> None:
            await resume.wait()
            delivered.append(frame)

        h = Harness(on_audio=slow_consumer)
        h.session.on_audio_fragment(b"\x05garbage")  # a stray fragment: counted, skipped
        for frame in frames:
            for value in fragment(frame, MTU):
                h.session.on_audio_fragment(value)
        resume.set()
        async with asyncio.timeout(5):
            while len(delivered) < AUDIO_QUEUE_FRAMES:
                await asyncio.sleep(0.001)
        await h.session.close()
        return h.session.stats, delivered

    stats, delivered = run(scenario())
    assert delivered[0] == frames[0]  # in order, the consumer's first one already taken
    assert delivered == sorted(delivered, key=len)
    assert stats.audio_malformed == 1
    assert stats.audio_frames + stats.audio_dropped == len(frames)
    assert stats.audio_dropped >= 19 and len(delivered) == stats.audio_frames


async def _returning(message: Message) -> Message:
    return message


def _fragments_of_any_size(data: bytes) -> list[bytes]:
    """A message too big for the protocol still arrives in legal-looking fragments."""
    room = MTU - 4
    chunks = [data[i : i + room] for i in range(0, len(data), room)]
    return [
        bytes(
            [
                (index & 0x3F)
                | (0x80 if index == 0 else 0)
                | (0x40 if index == len(chunks) - 1 else 0)
            ]
        )
        + chunk
        for index, chunk in enumerate(chunks)
    ]
