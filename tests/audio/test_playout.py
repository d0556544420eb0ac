"""The playout buffer's behaviour, as the listener would notice it.

Each test pushes hand-built 20 ms packets the way the network would deliver them and pulls
the way the renderer does (once per frame, the clock advancing 20 ms per pull), then reads
what was rendered: ``"A3"`` is packet 3 of stream A, ``"new B0"`` is a packet that carries
the new-stream marker (the renderer resets its decoder, the player announces the song),
``"conceal 960"`` / ``"silence 960"`` are concealment and silence of that many samples.
"""

from __future__ import annotations

import pytest

from device.audio.packets import AudioPacket, StreamInfo
from device.audio.playout import (
    LivePolicy,
    PlayoutBuffer,
    PlayoutItem,
    PolicyError,
    PullKind,
    RoadPolicy,
)

FRAME = 960  # 20 ms at 48 kHz
STREAMS = {"A": StreamInfo(serial=0xA, channels=2, pre_skip=312, tags={"TITLE": "Song A"})}
STREAMS["B"] = StreamInfo(serial=0xB, channels=2, pre_skip=312, tags={"TITLE": "Song B"})
BASE_GRANULE = {"A": 5_000_000, "B": 312}  # A joined mid-stream; B starts with its pre-skip


class FakeClock:
    def __init__(self) -> None:
        self.ms = 100_000  # whole milliseconds keep the arithmetic exact

    def now(self) -> float:
        return self.ms / 1000


def packet(name: str, stream: StreamInfo | None = None) -> AudioPacket:
    """``packet("A3")``: the fourth 20 ms packet of stream A."""
    key, index = name[0], int(name[1:])
    return AudioPacket(
        stream=stream or STREAMS[key],
        data=name.encode(),
        granule_end=BASE_GRANULE[key] + (index + 1) * FRAME,
        samples=FRAME,
    )


def packets(key: str, first: int, last: int) -> list[AudioPacket]:
    return [packet(f"{key}{i}") for i in range(first, last + 1)]


def push(buffer: PlayoutBuffer, *items: AudioPacket | list[AudioPacket]) -> None:
    for item in items:
        for p in item if isinstance(item, list) else [item]:
            buffer.push(p)


def describe(item: PlayoutItem) -> str:
    if item.kind is PullKind.PACKET:
        assert item.packet is not None
        body = item.packet.data.decode()
    else:
        body = f"{item.kind.value} {item.samples}"
    return f"new {body}" if item.new_stream is not None else body


class Rig:
    """A buffer, its clock, and a renderer that pulls one frame every 20 ms."""

    def __init__(self, policy: LivePolicy | RoadPolicy | None = None, **kwargs: int) -> None:
        self.clock = FakeClock()
        self.buffer = PlayoutBuffer(self.clock, policy or LivePolicy(), **kwargs)

    def render(self, frames: int) -> list[str]:
        return [describe(item) for item in self.render_items(frames)]

    def render_items(self, frames: int) -> list[PlayoutItem]:
        items = []
        for _ in range(frames):
            items.append(self.buffer.pull())
            self.clock.ms += 20
        return items


# ---- the timeline


def test_plays_packets_in_order_and_marks_the_first_as_a_new_stream():
    rig = Rig()
    push(rig.buffer, packets("A", 0, 4))
    assert rig.render(5) == ["new A0", "A1", "A2", "A3", "A4"]
    assert rig.buffer.position == (0xA, packet("A4").granule_end)


def test_plays_silence_until_the_start_depth_is_buffered():
    rig = Rig(LivePolicy(start_ms=60))
    push(rig.buffer, packets("A", 0, 1))  # 40 ms
    assert rig.render(2) == ["silence 960", "silence 960"]
    assert not rig.buffer.playing
    push(rig.buffer, packet("A2"))  # 60 ms
    assert rig.render(3) == ["new A0", "A1", "A2"]
    assert rig.buffer.playing
    assert rig.buffer.counters.underruns == 0


def test_reordered_packets_play_in_granule_order():
    rig = Rig()
    push(rig.buffer, [packet(n) for n in ("A0", "A2", "A1", "A4", "A3")])
    assert rig.render(5) == ["new A0", "A1", "A2", "A3", "A4"]


def test_reordering_at_the_start_of_a_stream_keeps_its_first_packet():
    rig = Rig()
    push(rig.buffer, [packet(n) for n in ("A1", "A0", "A2", "A4", "A3")])
    push(rig.buffer, [packet(n) for n in ("B1", "B0", "B2")])
    assert rig.render(8) == ["new A0", "A1", "A2", "A3", "A4", "new B0", "B1", "B2"]


def test_a_lost_packet_is_concealed_for_exactly_its_length():
    rig = Rig()
    push(rig.buffer, packet("A0"), packet("A1"), packet("A3"), packet("A4"))
    assert rig.render(5) == ["new A0", "A1", "conceal 960", "A3", "A4"]
    assert rig.buffer.counters.concealed_ms == 20
    push(rig.buffer, packet("A2"))  # arrives after its slot was concealed
    assert rig.buffer.counters.late_dropped == 1


def test_a_hole_shorter_than_a_frame_is_concealed_for_its_length():
    rig = Rig()
    short = AudioPacket(STREAMS["A"], b"A1-short", packet("A1").granule_end - 480, 480)
    push(rig.buffer, packet("A0"), short, packet("A2"), packet("A3"))
    assert rig.render(4) == ["new A0", "A1-short", "conceal 480", "A2"]


def test_reconnecting_to_the_same_stream_plays_every_granule_exactly_once():
    rig = Rig(RoadPolicy(start_ms=60))
    push(rig.buffer, packets("A", 0, 9))
    played = rig.render_items(4)  # A0..A3
    # The connection drops; the reconnect's burst starts behind what was already played.
    push(rig.buffer, packets("A", 2, 14))
    played += rig.render_items(11)
    assert [item.packet.granule_end for item in played if item.packet] == [
        BASE_GRANULE["A"] + i * FRAME for i in range(1, 16)
    ]
    assert rig.buffer.counters.duplicates_dropped == 8  # A2, A3 played; A4..A9 buffered
    assert rig.buffer.counters.late_dropped == 0


def test_an_outage_longer_than_concealment_is_spliced_out_not_heard_as_silence():
    rig = Rig(RoadPolicy(start_ms=60))
    push(rig.buffer, packets("A", 0, 9))
    assert rig.render(5) == ["new A0", "A1", "A2", "A3", "A4"]
    # The source kept streaming through a 1 s outage; the reconnect delivers A60 onwards.
    push(rig.buffer, packets("A", 60, 69))
    assert rig.render(15) == [f"A{i}" for i in (*range(5, 10), *range(60, 70))]
    counters = rig.buffer.counters
    assert counters.missed_ms == 1000
    assert counters.concealed_ms == 0
    assert counters.underruns == 0
    push(rig.buffer, packet("A30"))  # a packet from inside the outage turns up after all
    assert rig.buffer.counters.late_dropped == 1


def test_a_chained_stream_is_marked_on_its_first_packet():
    rig = Rig()
    push(rig.buffer, packets("A", 0, 2), packets("B", 0, 2))
    items = rig.render_items(6)
    assert [describe(item) for item in items] == ["new A0", "A1", "A2", "new B0", "B1", "B2"]
    assert items[3].new_stream == STREAMS["B"]


def test_a_straggler_of_a_finished_stream_is_dropped_not_replayed():
    rig = Rig()
    push(rig.buffer, packets("A", 0, 2), packets("B", 0, 2), packet("A3"))
    assert rig.render(6) == ["new A0", "A1", "A2", "new B0", "B1", "B2"]
    assert rig.buffer.counters.late_dropped == 1


# ---- running dry


def test_running_dry_conceals_then_goes_silent_and_rebuffers():
    rig = Rig(LivePolicy(start_ms=60), conceal_max_ms=120)
    push(rig.buffer, packets("A", 0, 2))
    assert rig.render(3) == ["new A0", "A1", "A2"]
    assert rig.render(8) == ["conceal 960"] * 6 + ["silence 960"] * 2
    counters = rig.buffer.counters
    assert (counters.underruns, counters.concealed_ms) == (1, 120)
    assert not rig.buffer.playing
    push(rig.buffer, packet("A3"))  # 20 ms: not enough to resume
    assert rig.render(1) == ["silence 960"]
    push(rig.buffer, packets("A", 4, 5))
    # The late audio continues where it stopped: nothing was skipped.
    assert rig.render(4) == ["A3", "A4", "A5", "conceal 960"]
    assert rig.buffer.counters.underruns == 2


def test_audio_arriving_during_the_dry_concealment_waits_for_the_start_depth():
    rig = Rig(LivePolicy(start_ms=60))
    push(rig.buffer, packets("A", 0, 2))
    rig.render(3)
    assert rig.render(1) == ["conceal 960"]
    push(rig.buffer, packet("A3"))
    assert rig.render(1) == ["conceal 960"]  # still rebuffering, still concealing
    push(rig.buffer, packets("A", 4, 5))
    assert rig.render(1) == ["A3"]


def test_after_an_outage_in_live_mode_play_resumes_at_what_the_server_sends_now():
    rig = Rig(LivePolicy(start_ms=60))
    push(rig.buffer, packets("A", 0, 2))
    rig.render(3 + 50)  # a 1 s outage: dry
    push(rig.buffer, packets("A", 53, 55))
    assert rig.render(3) == ["A53", "A54", "A55"]
    assert rig.buffer.counters.missed_ms == 50 * 20


# ---- live policy


def test_live_mode_skips_a_stale_burst_after_a_stall_to_the_live_edge():
    rig = Rig(LivePolicy(target_ms=120, start_ms=60, max_excess_ms=300))
    push(rig.buffer, packets("A", 0, 5))
    rig.render(6 + 10)  # the stall: A0..A5, then dry
    push(rig.buffer, packets("A", 6, 105))  # 2 s of stale backlog in one burst
    # Play resumes 120 ms behind the newest packet (A105 ends the buffer).
    assert rig.render(1) == ["A100"]
    assert rig.buffer.depth_ms == 100
    assert rig.buffer.counters.skipped_ms == 94 * 20  # A6..A99
    assert rig.render(5) == [f"A{i}" for i in range(101, 106)]


def test_joining_live_with_a_5_s_server_burst_starts_at_the_live_edge():
    rig = Rig(LivePolicy(target_ms=120))
    push(rig.buffer, packets("A", 0, 249))
    assert rig.render(1) == ["new A244"]
    assert rig.buffer.counters.skipped_ms == 244 * 20


def test_joining_on_the_road_keeps_the_whole_server_burst():
    rig = Rig(RoadPolicy())
    push(rig.buffer, packets("A", 0, 249))
    assert rig.render(3) == ["new A0", "A1", "A2"]
    assert rig.buffer.depth_ms == 5000 - 60
    assert rig.buffer.counters.skipped_ms == 0


def test_a_skipped_stream_start_is_still_announced_with_the_newest_stream_info():
    rig = Rig(LivePolicy(target_ms=120, max_excess_ms=300))
    push(rig.buffer, packets("A", 0, 9))
    assert rig.render(3) == ["new A0", "A1", "A2"]
    retagged_b = StreamInfo(serial=0xB, channels=2, pre_skip=312, tags={"TITLE": "Song B!"})
    push(rig.buffer, packets("B", 0, 28), packet("B29", retagged_b))  # 740 ms buffered
    items = rig.render_items(2)
    assert [describe(item) for item in items] == ["new B24", "B25"]
    assert items[0].new_stream is retagged_b
    assert rig.buffer.counters.skipped_ms == (7 + 24) * 20  # A3..A9, B0..B23


def test_a_skipped_stream_start_is_announced_when_play_resumes_after_a_splice():
    rig = Rig(LivePolicy(target_ms=120))
    push(rig.buffer, packets("A", 0, 4), packets("A", 100, 149))  # the join, then an outage
    assert rig.render(1) == ["new A144"]


def test_live_mode_trims_a_surplus_that_never_drains():
    rig = Rig(LivePolicy(target_ms=120, max_excess_ms=300, trim_after_ms=5_000))
    push(rig.buffer, packets("A", 0, 19))  # 400 ms: behind, yet under the skip threshold
    for i in range(20, 20 + 250):  # a steady stream: pulls at 0 s .. 4.98 s
        rig.render(1)
        push(rig.buffer, packet(f"A{i}"))
    assert rig.buffer.counters.skipped_ms == 0
    # At 5 s the surplus has held for the whole window: back to the target depth.
    assert rig.render(1) == ["A264"]
    assert rig.buffer.counters.skipped_ms == (264 - 250) * 20
    assert rig.buffer.depth_ms == 100


def test_live_mode_keeps_a_surplus_the_jitter_needs():
    rig = Rig(LivePolicy(target_ms=120, max_excess_ms=300, trim_after_ms=5_000))
    push(rig.buffer, packets("A", 0, 19))  # 400 ms
    sent = 20
    for _second in range(10):  # once a second the network stalls 300 ms, then catches up
        rig.render(15)
        push(rig.buffer, packets("A", sent, sent + 14))
        sent += 15
        for _ in range(35):
            rig.render(1)
            push(rig.buffer, packet(f"A{sent}"))
            sent += 1
    counters = rig.buffer.counters
    assert (counters.skipped_ms, counters.underruns, counters.concealed_ms) == (0, 0, 0)
    assert rig.buffer.position == (0xA, packet("A499").granule_end)


# ---- road policy and growth


def test_road_mode_drops_the_oldest_audio_only_beyond_its_hard_cap():
    rig = Rig(RoadPolicy(target_ms=1_000))  # cap: target + 10 s
    push(rig.buffer, packets("A", 0, 599))  # 12 s
    assert rig.buffer.depth_ms == 11_000
    assert rig.buffer.counters.skipped_ms == 1_000
    assert rig.render(1) == ["new A50"]


def test_growth_is_wanted_only_on_the_road_below_target_while_playing():
    road = Rig(RoadPolicy(target_ms=1_000, start_ms=200))
    push(road.buffer, packets("A", 0, 9))
    assert not road.buffer.wants_growth()  # still prebuffering
    road.render(1)
    assert road.buffer.wants_growth()
    push(road.buffer, packets("A", 10, 59))
    assert not road.buffer.wants_growth()  # at target

    no_grow = Rig(RoadPolicy(target_ms=1_000, start_ms=200, grow=False))
    push(no_grow.buffer, packets("A", 0, 9))
    no_grow.render(1)
    assert not no_grow.buffer.wants_growth()

    live = Rig(LivePolicy())
    push(live.buffer, packets("A", 0, 3))
    live.render(1)
    assert not live.buffer.wants_growth()


def test_each_stretched_frame_grows_the_depth_by_what_the_network_delivered_meanwhile():
    rig = Rig(RoadPolicy(target_ms=30_000, start_ms=200))
    push(rig.buffer, packets("A", 0, 9))
    assert rig.render(1) == ["new A0"]
    assert rig.buffer.depth_ms == 180
    for i in range(10, 15):  # five quiet frames: the renderer stretches instead of pulling
        assert rig.buffer.wants_growth()
        rig.buffer.note_stretch(FRAME)
        rig.clock.ms += 20
        push(rig.buffer, packet(f"A{i}"))
    assert rig.buffer.depth_ms == 280
    assert rig.buffer.counters.stretched_ms == 100
    assert rig.render(1) == ["A1"]  # the play position stood still: nothing was skipped


# ---- switching policy while playing


def test_switching_live_to_road_keeps_everything_buffered():
    rig = Rig(LivePolicy())
    push(rig.buffer, packets("A", 0, 9))
    assert rig.render(2) == ["new A0", "A1"]
    rig.buffer.set_policy(RoadPolicy())
    push(rig.buffer, packets("A", 10, 59))  # 1 s more: live mode would have skipped
    assert rig.render(58) == [f"A{i}" for i in range(2, 60)]
    assert rig.buffer.counters.skipped_ms == 0


def test_switching_road_to_live_skips_to_the_live_target_at_once():
    rig = Rig(RoadPolicy(start_ms=200))
    push(rig.buffer, packets("A", 0, 49))
    assert rig.render(10) == ["new A0", *(f"A{i}" for i in range(1, 10))]
    rig.buffer.set_policy(LivePolicy(target_ms=120))
    assert rig.buffer.depth_ms == 120
    assert rig.buffer.counters.skipped_ms == 800 - 120
    assert rig.render(2) == ["A44", "A45"]


# ---- the player's side


def test_reset_drops_everything_and_the_next_room_starts_afresh():
    rig = Rig()
    push(rig.buffer, packets("A", 0, 9))
    rig.render(2)
    rig.buffer.reset()
    assert (rig.buffer.depth_ms, rig.buffer.playing, rig.buffer.position) == (0, False, None)
    assert rig.render(1) == ["silence 960"]
    push(rig.buffer, packets("B", 0, 2))
    assert rig.render(3) == ["new B0", "B1", "B2"]


def test_counters_are_a_snapshot():
    rig = Rig()
    snapshot = rig.buffer.counters
    snapshot.underruns = 99
    assert rig.buffer.counters.underruns == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: LivePolicy(start_ms=200, target_ms=120),
        lambda: LivePolicy(max_excess_ms=-1),
        lambda: LivePolicy(trim_after_ms=0),
        lambda: RoadPolicy(start_ms=-5),
        lambda: RoadPolicy(target_ms=0, start_ms=0),
    ],
)
def test_contradictory_policies_are_refused(make):
    with pytest.raises(PolicyError):
        make()


def test_bad_input_is_refused_with_a_clear_error():
    clock = FakeClock()
    with pytest.raises(TypeError, match="LivePolicy or RoadPolicy"):
        PlayoutBuffer(clock, "live")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="frame_samples"):
        PlayoutBuffer(clock, LivePolicy(), frame_samples=0)
    buffer = PlayoutBuffer(clock, LivePolicy())
    with pytest.raises(ValueError, match="> 0 samples"):
        buffer.push(AudioPacket(STREAMS["A"], b"", granule_end=960, samples=0))
    with pytest.raises(ValueError, match="> 0 samples"):
        buffer.note_stretch(0)
    with pytest.raises(TypeError):
        buffer.set_policy(None)  # type: ignore[arg-type]
