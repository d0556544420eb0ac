"""The playout buffer's timeline bookkeeping: segments of one serial, and per-stream memory.

A *segment* is a run of one serial's packets placed at a constant offset on the play
timeline (position = t0 + granule - g0). A *stream* remembers its segments and the granule
ranges that were passed without playing, so that a packet arriving for them is classified
as late rather than played out of time. Not thread-safe: the PlayoutBuffer's lock guards it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque

from device.audio.packets import AudioPacket, StreamInfo

MAX_PASSED_RANGES = 32  # per stream; only the late/duplicate classification forgets


class Segment:
    """One serial's packets at one offset on the timeline: position = t0 + granule - g0."""

    def __init__(self, packet: AudioPacket, t0: int, opens_stream: bool) -> None:
        self.serial = packet.stream.serial
        self.t0 = t0
        self.g0 = packet.granule_start
        self.opens_stream = opens_stream  # False for a splice after an outage
        self.announce = opens_stream  # the next item pulled from here carries new_stream
        self.close_t: int | None = None  # timeline end once a later segment follows
        self.starts = [packet.granule_start]  # sorted; [head:] are buffered
        self.packets = [packet]
        self.head = 0

    def pos(self, granule: int) -> int:
        return self.t0 + granule - self.g0

    def granule(self, pos: int) -> int:
        return self.g0 + pos - self.t0

    @property
    def buffered(self) -> bool:
        return self.head < len(self.starts)

    def first_pos(self) -> int:
        return self.pos(self.starts[self.head])

    def last_index_at_or_before(self, pos: int) -> int:
        return bisect_right(self.starts, self.granule(pos), self.head) - 1

    def insert(self, packet: AudioPacket) -> bool:
        """Place ``packet``; False when it overlaps a buffered one."""
        start, starts = packet.granule_start, self.starts
        if not self.buffered or start >= self.packets[-1].granule_end:
            starts.append(start)  # the usual case: in order
            self.packets.append(packet)
            return True
        i = bisect_left(starts, start, self.head)
        if i < len(starts) and starts[i] < packet.granule_end:
            return False
        if i > self.head and self.packets[i - 1].granule_end > start:
            return False
        starts.insert(i, start)
        self.packets.insert(i, packet)
        return True

    def pop_first(self) -> AudioPacket:
        packet = self.packets[self.head]
        self.drop_before(self.head + 1)
        return packet

    def drop_before(self, index: int) -> None:
        self.head = index
        if self.head >= 32 and 2 * self.head >= len(self.starts):
            del self.starts[: self.head]  # amortised O(1) per packet
            del self.packets[: self.head]
            self.head = 0


class Stream:
    """What is known about one serial: its live segments and which granules were passed."""

    def __init__(self, info: StreamInfo, entered_g: int) -> None:
        self.info = info
        self.entered_g = entered_g  # granules before this precede where we joined: late
        self.segments: list[Segment] = []
        # granule ranges passed without playing (concealed, skipped, spliced out, after the
        # stream ended on the timeline); hi None = no end
        self.passed: deque[tuple[int, int | None]] = deque(maxlen=MAX_PASSED_RANGES)

    def segment_for(self, granule: int) -> Segment | None:
        for seg in reversed(self.segments):
            if seg.g0 <= granule:
                return seg
        return None

    def was_passed(self, packet: AudioPacket) -> bool:
        lo, hi = packet.granule_start, packet.granule_end
        if lo < self.entered_g:
            return True
        return any(a < hi and (b is None or lo < b) for a, b in self.passed)

    def note_passed(self, lo: int, hi: int | None) -> None:
        if self.passed and self.passed[-1][1] == lo:  # contiguous concealment: one range
            lo = self.passed.pop()[0]
        self.passed.append((lo, hi))
