"""Properties of the playout buffer that hold for any delivery the network can produce.

Whatever order packets arrive in — shuffled, duplicated, dropped, re-framed, interleaved with
pulls, across chained streams — the listener never hears a sample twice or out of order, the
decoder is always set up for the stream it decodes, and every packet is accounted for.
"""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from device.audio.packets import AudioPacket, StreamInfo
from device.audio.playout import LivePolicy, PlayoutBuffer, PullKind, RoadPolicy

FRAME = 960
PULL = -1


class FakeClock:
    def __init__(self) -> None:
        self.ms = 0

    def now(self) -> float:
        return self.ms / 1000


def stream_packets(serial: int, base: int, sizes: list[int]) -> list[AudioPacket]:
    info = StreamInfo(serial=serial, channels=2, pre_skip=312)
    out, granule = [], base
    for size in sizes:
        granule += size
        out.append(AudioPacket(info, b"x", granule_end=granule, samples=size))
    return out


@st.composite
def deliveries(draw):
    """Packets of up to three chained streams, and ops: push packet i, or PULL."""
    catalogue: list[AudioPacket] = []
    for serial in range(1, draw(st.integers(1, 3)) + 1):
        sizes = draw(st.lists(st.sampled_from([480, 960, 1920]), min_size=1, max_size=30))
        base = draw(st.integers(0, 10_000_000))
        catalogue += stream_packets(serial, base, sizes)
        # a packet re-framed by a relay: overlaps two real ones
        catalogue += stream_packets(serial, base + sizes[0] // 2, sizes[:1])
    op = st.one_of(st.integers(0, len(catalogue) - 1), st.just(PULL))
    return catalogue, draw(st.lists(op, max_size=250))


policies = st.sampled_from(
    [
        LivePolicy(target_ms=60, start_ms=20, max_excess_ms=100, trim_after_ms=200),
        LivePolicy(),
        RoadPolicy(target_ms=200, start_ms=40),
        RoadPolicy(),
    ]
)


class Listener:
    """Checks each pulled item as the renderer would meet it."""

    def __init__(self) -> None:
        self.heard: dict[int, int] = {}  # serial → granule_end of the last packet heard
        self.decoder_serial: int | None = None
        self.packets = 0

    def hear(self, item) -> None:
        assert item.samples > 0
        if item.new_stream is not None:
            self.decoder_serial = item.new_stream.serial
        if item.kind is not PullKind.PACKET:
            return
        serial = item.packet.stream.serial
        assert self.decoder_serial == serial, "decoded with another stream's decoder"
        assert item.packet.granule_start >= self.heard.get(serial, -(2**62)), "heard twice"
        self.heard[serial] = item.packet.granule_end
        self.packets += 1


def drain(buffer: PlayoutBuffer, listener: Listener) -> None:
    """Play out whatever is left, on a policy that starts with any depth."""
    buffer.set_policy(RoadPolicy(start_ms=0))
    for _ in range(10_000):
        if buffer.depth_ms == 0:
            return
        listener.hear(buffer.pull())
    raise AssertionError("the buffer never drained")


@settings(max_examples=300, deadline=None)
@given(deliveries(), policies, st.integers(0, 200))
def test_no_sample_is_heard_twice_or_out_of_order(delivery, policy, conceal_max_ms):
    catalogue, ops = delivery
    clock = FakeClock()
    buffer = PlayoutBuffer(clock, policy, conceal_max_ms=conceal_max_ms)
    listener = Listener()
    for op in ops:
        if op == PULL:
            listener.hear(buffer.pull())
            clock.ms += 20
        else:
            buffer.push(catalogue[op])
        assert buffer.depth_ms >= 0
    drain(buffer, listener)

    counters = buffer.counters
    if isinstance(policy, RoadPolicy):  # nothing is skipped below the road cap
        assert counters.skipped_ms == 0
        pushed = len(ops) - ops.count(PULL)
        assert listener.packets + counters.late_dropped + counters.duplicates_dropped == pushed


@st.composite
def jittery_delivery(draw):
    """One stream, delivered with bounded reordering (< 3 places), short losses, repeats."""
    count = draw(st.integers(1, 80))
    lost = draw(st.sets(st.integers(0, count - 1)))
    for index in range(count):  # losses in runs of at most two packets
        if {index, index + 1, index + 2} <= lost:
            lost.discard(index + 2)
    delivered = [i for i in range(count) if i not in lost]
    jitter = draw(st.lists(st.floats(0, 2.9), min_size=len(delivered), max_size=len(delivered)))
    arrival = {i: i + j for i, j in zip(delivered, jitter, strict=True)}
    order = sorted(delivered, key=arrival.__getitem__)
    repeats = draw(st.lists(st.sampled_from(delivered), max_size=10)) if delivered else []
    return delivered, order + repeats


@settings(max_examples=300, deadline=None)
@given(jittery_delivery())
def test_jitter_within_concealment_plays_every_delivered_packet_once(delivery):
    delivered, order = delivery
    catalogue = stream_packets(7, 1_000_000, [FRAME] * 80)
    buffer = PlayoutBuffer(FakeClock(), RoadPolicy(start_ms=0), conceal_max_ms=120)
    for index in order:
        buffer.push(catalogue[index])
    items = []
    while buffer.depth_ms > 0:
        items.append(buffer.pull())
    played = [item.packet for item in items if item.kind is PullKind.PACKET]
    assert played == [catalogue[i] for i in delivered]
    if delivered:
        losses_inside = delivered[-1] - delivered[0] + 1 - len(delivered)
        assert buffer.counters.concealed_ms == 20 * losses_inside
        assert items[0].new_stream is not None
    counters = buffer.counters
    assert (counters.duplicates_dropped, counters.late_dropped) == (len(order) - len(delivered), 0)


def test_concurrent_push_and_pull_keep_the_order():
    catalogue = stream_packets(9, 0, [FRAME] * 3000)
    buffer = PlayoutBuffer(FakeClock(), RoadPolicy(start_ms=0))
    listener = Listener()

    def network() -> None:
        for packet in catalogue:
            buffer.push(packet)
            buffer.push(packet)  # and a duplicate

    thread = threading.Thread(target=network)
    thread.start()
    while thread.is_alive():
        listener.hear(buffer.pull())
    thread.join()
    drain(buffer, listener)
    counters = buffer.counters
    # A puller slowed by a busy machine lets the buffer reach its cap: the oldest are skipped.
    skipped_packets = round(counters.skipped_ms / 20)
    heard_or_dropped = listener.packets + counters.late_dropped + counters.duplicates_dropped
    assert heard_or_dropped + skipped_packets == 6000
