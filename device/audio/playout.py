"""Playout buffer: encoded Opus packets in, one frame's worth per pull out.

The network side ``push()``es packets as they arrive; the renderer ``pull()``s once per Opus
frame and decodes what it gets (a PACKET), conceals a missing frame (CONCEAL) or plays
SILENCE. The buffer holds encoded packets only; it starts no thread and does no I/O.

**One play timeline.** Every logical stream (Ogg serial) is mapped onto one continuous
timeline of 48 kHz samples by *segments*: runs of one serial placed at a constant offset.

* A packet of a known serial is placed by its granule position. Reconnecting to the same
  stream therefore splices: what is already buffered or played is a duplicate
  (``duplicates_dropped``); what arrives after its slot was passed — concealed, skipped,
  or before where we entered the stream — is ``late_dropped``.
* A packet of a new serial (a chained song, a restarted source) opens a segment right after
  the timeline's end; the first item pulled from it carries ``new_stream``. A packet of that
  new stream arriving out of order just before it moves the segment's start back (as long as
  nothing of it has played and the hole stays concealable).
* A hole of at most ``conceal_max_ms`` is concealed. A packet landing further beyond the end
  of the open segment (the source kept streaming through a network outage) opens a segment
  of the same serial right after the end: the outage is *spliced* out, ``missed_ms`` counts
  what was truly missed, and nothing is heard twice. So every hole is concealable.

**Starting and running dry.** Pulls return SILENCE until ``policy.start_ms`` is buffered.
When nothing is buffered at the play position the buffer is dry: one underrun, CONCEAL for up
to ``conceal_max_ms``, then SILENCE, until ``start_ms`` is buffered again. The play position
stands still while dry, so audio that was merely late continues where it stopped.

**Policies** (``device.audio.playout_policy``). *Live* skips the oldest audio down to the
target when the depth exceeds target + max_excess (after a stall, or the server's burst on
join: the first pull plays from the live edge), or when a smaller surplus held for
``trim_after_ms`` (measured with the injected clock). *Road* keeps everything up to its cap.
Switching live→road keeps all audio; road→live skips down to the live target at once.
Skipped stream starts are not lost: the next item pulled still carries ``new_stream``.

**Growing the road buffer without artifacts.** A join fills the road buffer with whatever the
server bursts (Icecast sends up to ``burst-size`` of recent audio, several seconds); beyond
that the buffer grows gradually. While ``wants_growth()`` is True, the renderer looks at
each decoded frame: when it is quiet (a talk pause, the gap between songs) it plays one extra
frame of decoder concealment after it — which continues the quiet signal smoothly — without
pulling a packet, and reports it with ``note_stretch(samples)``. Wall time passes while the
play position stands still, so the depth grows by what the network delivers meanwhile (about
20 ms per stretch on a steady link), and no sound is ever cut or repeated.

**Threads.** ``push()`` runs on the network side, ``pull()`` on the render thread; one lock
guards all state and is held only for O(log n) work per call (packets sit in per-segment
lists sorted by granule, consumed through a head index; skipping moves the index).
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from device.audio.packets import AudioPacket, StreamInfo
from device.audio.playout_policy import (
    Clock,
    LivePolicy,
    PolicyError,
    RoadPolicy,
    SurplusWatch,
    check_policy,
    ms_to_samples,
    samples_to_ms,
)
from device.audio.playout_timeline import Segment, Stream

__all__ = [
    "Clock",
    "LivePolicy",
    "PlayoutBuffer",
    "PlayoutCounters",
    "PlayoutItem",
    "PolicyError",
    "PullKind",
    "RoadPolicy",
]

MAX_KNOWN_SERIALS = 64  # finished streams remembered, so their stragglers are not replayed


class PullKind(enum.Enum):
    PACKET = "packet"  # decode ``packet``
    CONCEAL = "conceal"  # packet-loss concealment for ``samples``
    SILENCE = "silence"  # digital silence for ``samples``
    PCM = "pcm"  # ``pcm`` holds ``samples`` frames already decoded (local music files)


@dataclass
class PlayoutItem:
    kind: PullKind
    samples: int  # 48 kHz frames this item covers
    packet: AudioPacket | None = None  # for PACKET
    new_stream: StreamInfo | None = None  # first item of a new logical stream: reset decoder
    pcm: bytes | memoryview | None = None  # for PCM: 48 kHz stereo s16le, at most 120 ms


@dataclass
class PlayoutCounters:
    underruns: int = 0
    concealed_ms: float = 0.0
    skipped_ms: float = 0.0
    missed_ms: float = 0.0
    late_dropped: int = 0
    duplicates_dropped: int = 0
    stretched_ms: float = 0.0


class PlayoutBuffer:
    """The jitter/playout buffer between the network and the renderer (see module doc).

    ``push`` is called from the network side, ``pull``/``wants_growth``/``note_stretch`` from
    the render thread, the rest from the player; all are thread-safe and never block beyond
    one short lock. ``clock`` is the injected monotonic clock (live surplus trimming).
    """

    def __init__(
        self,
        clock: Clock,
        policy: LivePolicy | RoadPolicy,
        frame_samples: int = 960,
        conceal_max_ms: int = 120,
    ) -> None:
        if frame_samples <= 0:
            raise ValueError(f"frame_samples must be > 0, got {frame_samples}")
        if conceal_max_ms < 0:
            raise ValueError(f"conceal_max_ms must be >= 0, got {conceal_max_ms}")
        self._clock = clock
        self._policy = check_policy(policy)
        self._frame = frame_samples
        self._conceal_max = ms_to_samples(conceal_max_ms)
        self._lock = threading.Lock()
        self._counts = _SampleCounts()
        self._surplus = SurplusWatch()
        self._clear()

    def _clear(self) -> None:
        self._segments: deque[Segment] = deque()  # timeline order; the last one is open
        self._streams: OrderedDict[int, Stream] = OrderedDict()
        self._play_t = 0  # timeline position of the next sample to play
        self._end_t = 0  # end of the furthest packet placed (>= _play_t)
        self._playing = False
        self._dry_left = 0  # concealment still allowed in this dry episode
        self._position: tuple[int, int] | None = None
        self._surplus.reset()

    # ---- network side

    def push(self, packet: AudioPacket) -> None:
        """Add one packet as it arrives (any order, duplicates welcome)."""
        if packet.samples <= 0:
            raise ValueError(f"packet must cover > 0 samples, got {packet.samples}")
        with self._lock:
            self._place(packet)
            cap = ms_to_samples(self._policy.cap_ms)
            if self._end_t - self._play_t > cap:
                self._skip_to_depth(cap)

    def _place(self, packet: AudioPacket) -> None:
        stream = self._streams.get(packet.stream.serial)
        if stream is None:
            self._open_segment(packet, opens_stream=True)
            return
        stream.info = packet.stream
        seg = stream.segment_for(packet.granule_start)
        if seg is None:
            if self._can_move_start(stream, packet):
                self._move_start(stream, packet)
            else:
                self._reject(stream, packet)
            return
        pos = seg.pos(packet.granule_start)
        if seg.close_t is None and pos > self._end_t + self._conceal_max:
            self._splice(stream, packet)
            return
        end = pos + packet.samples
        if pos < self._play_t or (seg.close_t is not None and end > seg.close_t):
            self._reject(stream, packet)
        elif seg.insert(packet):
            self._end_t = max(self._end_t, end)
        else:
            self._counts.duplicates += 1

    def _open_segment(self, packet: AudioPacket, opens_stream: bool) -> None:
        serial = packet.stream.serial
        if self._segments:
            last = self._segments[-1]
            last.close_t = self._end_t
            if last.serial != serial:  # that stream has ended on the timeline
                self._streams[last.serial].note_passed(last.granule(self._end_t), None)
        stream = self._streams.get(serial)
        if stream is None:
            stream = self._streams[serial] = Stream(packet.stream, packet.granule_start)
            self._forget_old_streams()
        seg = Segment(packet, self._end_t, opens_stream)
        stream.segments.append(seg)
        self._segments.append(seg)
        self._end_t += packet.samples

    def _splice(self, stream: Stream, packet: AudioPacket) -> None:
        open_seg = self._segments[-1]
        gap_from = open_seg.granule(self._end_t)
        stream.note_passed(gap_from, packet.granule_start)
        self._counts.missed += packet.granule_start - gap_from
        self._open_segment(packet, opens_stream=False)

    def _can_move_start(self, stream: Stream, packet: AudioPacket) -> bool:
        seg = stream.segments[0] if stream.segments else None
        return (
            seg is not None
            and seg.opens_stream
            and seg is self._segments[-1]
            and seg.buffered
            and self._play_t <= seg.t0
            and 0 <= seg.g0 - packet.granule_end <= self._conceal_max
        )

    def _move_start(self, stream: Stream, packet: AudioPacket) -> None:
        # The stream's packets all shift later; it is the last segment, so nothing follows.
        seg = stream.segments[0]
        self._end_t += seg.g0 - packet.granule_start
        seg.g0 = stream.entered_g = packet.granule_start
        seg.insert(packet)

    def _reject(self, stream: Stream, packet: AudioPacket) -> None:
        if stream.was_passed(packet):
            self._counts.late += 1
        else:
            self._counts.duplicates += 1

    def _forget_old_streams(self) -> None:
        while len(self._streams) > MAX_KNOWN_SERIALS:
            oldest = next(iter(self._streams.values()))
            if oldest.segments:
                return
            self._streams.popitem(last=False)

    # ---- render side

    def pull(self) -> PlayoutItem:
        """The next item to render. Called once per Opus frame from the render thread."""
        with self._lock:
            if not self._playing:
                if self._front() is None or self._depth() < ms_to_samples(self._policy.start_ms):
                    return self._waiting_item()
                self._playing = True
                self._dry_left = 0
            if isinstance(self._policy, LivePolicy):
                self._keep_live(self._clock.now())
            front = self._front()
            if front is None:
                return self._go_dry()
            seg, pos = front
            if pos > self._play_t:
                return self._conceal_hole(seg, pos)
            packet = seg.pop_first()
            self._play_t += packet.samples
            self._position = (packet.stream.serial, packet.granule_end)
            return PlayoutItem(PullKind.PACKET, packet.samples, packet, self._take_marker(seg))

    def _front(self) -> tuple[Segment, int] | None:
        """The segment and timeline position of the next buffered packet; retires played ones."""
        segs = self._segments
        while segs and not segs[0].buffered:
            if segs[0].close_t is None:
                return None  # the open segment, played out: dry
            if self._play_t < segs[0].close_t:
                break  # its lost tail is still ahead, to be concealed
            self._retire_front()
        for seg in segs:
            if seg.buffered:
                return seg, seg.first_pos()
        return None

    def _conceal_hole(self, seg: Segment, pos: int) -> PlayoutItem:
        # A hole before the first packet of a new segment belongs to the segment before it.
        owner = seg if self._play_t >= seg.t0 else self._segments[0]
        samples = min(self._frame, (pos if owner is seg else seg.t0) - self._play_t)
        self._streams[owner.serial].note_passed(
            owner.granule(self._play_t), owner.granule(self._play_t + samples)
        )
        self._play_t += samples
        self._counts.concealed += samples
        return PlayoutItem(PullKind.CONCEAL, samples, None, self._take_marker(owner))

    def _go_dry(self) -> PlayoutItem:
        self._playing = False
        self._counts.underruns += 1
        self._dry_left = self._conceal_max
        self._surplus.reset()
        return self._waiting_item()

    def _waiting_item(self) -> PlayoutItem:
        if self._dry_left > 0:
            samples = min(self._frame, self._dry_left)
            self._dry_left -= samples
            self._counts.concealed += samples
            return PlayoutItem(PullKind.CONCEAL, samples)
        return PlayoutItem(PullKind.SILENCE, self._frame)

    def _take_marker(self, seg: Segment) -> StreamInfo | None:
        if not seg.announce:
            return None
        seg.announce = False
        return self._streams[seg.serial].info

    def _keep_live(self, now: float) -> None:
        policy = self._policy
        assert isinstance(policy, LivePolicy)
        target = ms_to_samples(policy.target_ms)
        surplus = self._depth() - target
        if surplus > ms_to_samples(policy.max_excess_ms):
            self._skip_to_depth(target)
            self._surplus.reset()
        elif self._surplus.held(now, surplus > self._frame, policy.trim_after_ms / 1000):
            self._skip_to_depth(target)

    # ---- skipping

    def _skip_to_depth(self, keep: int) -> None:
        """Drop the oldest audio; play resumes at the last packet that keeps >= ``keep``."""
        cut = self._end_t - keep
        if cut <= self._play_t:
            return
        resume: tuple[int, int] | None = None  # (segment index, packet index)
        for i, seg in enumerate(self._segments):
            if not seg.buffered:
                continue
            if seg.first_pos() > cut:
                resume = resume or (i, seg.head)
                break
            resume = (i, seg.last_index_at_or_before(cut))
        if resume is None:
            return
        index, packet_index = resume
        for _ in range(index):
            seg = self._segments[0]
            assert seg.close_t is not None  # a later segment exists
            self._note_skipped(seg, seg.close_t)
            seg.drop_before(len(seg.starts))
            self._retire_front()
        seg = self._segments[0]
        new_play_t = seg.pos(seg.starts[packet_index])
        self._note_skipped(seg, new_play_t)
        seg.drop_before(packet_index)
        self._counts.skipped += new_play_t - self._play_t
        self._play_t = new_play_t

    def _note_skipped(self, seg: Segment, until_t: int) -> None:
        from_t = max(self._play_t, seg.t0)
        if until_t > from_t:
            self._streams[seg.serial].note_passed(seg.granule(from_t), seg.granule(until_t))

    def _retire_front(self) -> None:
        seg = self._segments.popleft()
        self._streams[seg.serial].segments.remove(seg)
        if seg.announce and self._segments:  # its start was skipped: announce the next one
            self._segments[0].announce = True

    def _depth(self) -> int:
        return self._end_t - self._play_t

    # ---- player side

    def set_policy(self, policy: LivePolicy | RoadPolicy) -> None:
        """Switch policy while playing. Live→road keeps everything; road→live skips to target."""
        check_policy(policy)
        with self._lock:
            was_road = isinstance(self._policy, RoadPolicy)
            self._policy = policy
            self._surplus.reset()
            if was_road and isinstance(policy, LivePolicy):
                self._skip_to_depth(ms_to_samples(policy.target_ms))

    def note_stretch(self, samples: int) -> None:
        """The renderer played ``samples`` of extra quiet audio without pulling (growth)."""
        if samples <= 0:
            raise ValueError(f"stretch must cover > 0 samples, got {samples}")
        with self._lock:
            self._counts.stretched += samples

    def wants_growth(self) -> bool:
        """True while playing in road mode with growth on and the depth below target."""
        with self._lock:
            policy = self._policy
            return (
                isinstance(policy, RoadPolicy)
                and policy.grow
                and self._playing
                and self._depth() < ms_to_samples(policy.target_ms)
            )

    def reset(self) -> None:
        """Drop everything (a new room). Call once the old source has stopped pushing.

        Counters keep counting across rooms; take differences of snapshots per room.
        """
        with self._lock:
            self._clear()

    @property
    def depth_ms(self) -> float:
        """Audio buffered ahead of the play position (concealable holes included)."""
        with self._lock:
            return samples_to_ms(self._depth())

    @property
    def playing(self) -> bool:
        """False while (re)buffering up to the policy's start depth."""
        with self._lock:
            return self._playing

    @property
    def position(self) -> tuple[int, int] | None:
        """(serial, granule_end) of the last packet pulled, or None before the first."""
        with self._lock:
            return self._position

    @property
    def counters(self) -> PlayoutCounters:
        """A snapshot copy."""
        with self._lock:
            return self._counts.snapshot()


class _SampleCounts:
    """Counters kept in exact samples; converted to ms only in snapshots."""

    def __init__(self) -> None:
        self.underruns = self.late = self.duplicates = 0
        self.concealed = self.skipped = self.missed = self.stretched = 0

    def snapshot(self) -> PlayoutCounters:
        return PlayoutCounters(
            underruns=self.underruns,
            concealed_ms=samples_to_ms(self.concealed),
            skipped_ms=samples_to_ms(self.skipped),
            missed_ms=samples_to_ms(self.missed),
            late_dropped=self.late,
            duplicates_dropped=self.duplicates,
            stretched_ms=samples_to_ms(self.stretched),
        )
