"""Renderer: turns what the playout buffer hands out into fixed PCM blocks for an output.

It runs on the output's render thread: it pulls one item per Opus frame, decodes packets
(or conceals a missing one), drops pre-skip and end-trim samples, resets the decoder at each
new chained stream, and slices the result into the output's block size. All buffers are
allocated once.

Growing the road buffer: when the buffer wants more depth and the frame just decoded is
quiet (a talk pause, the gap between songs), the renderer plays one extra frame of
concealment after it without consuming a packet. The decoder's concealment continues the
quiet signal smoothly, so the extra 20 ms is inaudible, while the network keeps filling the
buffer during the time it bought.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import numpy as np

from device.audio.opus_codec import OpusDecodeError, OpusDecoder
from device.audio.packets import AudioPacket, StreamInfo
from device.audio.pcm import CAR_PCM
from device.audio.playout import PlayoutItem, PullKind

log = logging.getLogger(__name__)
MAX_FRAME_SAMPLES = 5760  # 120 ms, the longest Opus packet
PLC_STEP_SAMPLES = 120  # libopus conceals in multiples of 2.5 ms
QUIET_PEAK = 104  # about -50 dBFS in s16: a frame this quiet can be stretched unheard
# Enum members as module constants: a class attribute lookup per frame is not free.
_PACKET = PullKind.PACKET
_CONCEAL = PullKind.CONCEAL
_PCM = PullKind.PCM


class PacketFeed(Protocol):
    """Where the renderer gets its frames: the playout buffer, a local file's demuxer, or a
    music queue handing over decoded PCM."""

    def pull(self) -> PlayoutItem | None:
        """The next frame's worth; None when the source has ended for good."""

    def wants_growth(self) -> bool: ...

    def note_stretch(self, samples: int) -> None: ...


class Renderer:
    """A BlockSource for outputs. ``fill`` is called from the output's render thread."""

    def __init__(
        self,
        feed: PacketFeed,
        *,
        on_stream_start: Callable[[StreamInfo], None] = lambda info: None,
        on_packet_played: Callable[[AudioPacket], None] = lambda packet: None,
    ) -> None:
        self._feed = feed
        self._on_stream_start = on_stream_start
        self._on_packet_played = on_packet_played
        self._bytes_per_frame = CAR_PCM.bytes_per_frame
        self._decoder: OpusDecoder | None = None
        self._frame = bytearray(MAX_FRAME_SAMPLES * self._bytes_per_frame)
        self._frame_view = memoryview(self._frame)
        self._pending_start = 0  # unread PCM lives in _frame[_pending_start:_pending_end]
        self._pending_end = 0
        self._silence = bytes(len(self._frame))
        self._stretch_next = 0  # samples of concealment owed to buffer growth
        self.paused = False
        self._ended_feed: PacketFeed | None = None
        self.decode_errors = 0
        self.render_errors = 0
        # Since the first packet of the current feed: frames the listener heard as a gap
        # (concealment or silence standing in for missing audio; growth stretches excluded).
        self.gap_frames = 0
        self._heard_audio = False

    def fill(self, block: memoryview) -> int:
        """Fill ``block`` completely; return the frames of audio in it (see BlockSource):
        fewer than the block when the feed ended inside it, 0 once it has ended."""
        size = len(block)
        if self.paused:
            block[:] = self._zeros(size)
            return size // self._bytes_per_frame
        written = 0
        while written < size:
            start, end = self._pending_start, self._pending_end
            if start == end:
                if not self._render_next_safely():
                    block[written:] = self._zeros(size - written)
                    return written // self._bytes_per_frame
                start, end = self._pending_start, self._pending_end
            take = min(size - written, end - start)
            block[written : written + take] = self._frame_view[start : start + take]
            self._pending_start = start + take
            written += take
        return size // self._bytes_per_frame

    def set_feed(self, feed: PacketFeed) -> None:
        """Switch to another source; what is already decoded (under 20 ms) still plays."""
        self._feed = feed
        self._stretch_next = 0
        self.gap_frames = 0
        self._heard_audio = False

    @property
    def ended(self) -> bool:
        """The current feed has ended (a local file played to its end)."""
        return self._ended_feed is self._feed

    def _render_next_safely(self) -> bool:
        """Render the next frame; a bug or a bad feed costs one frame of silence, never the
        output thread (an output whose thread died would leave the car silent for good)."""
        try:
            return self._render_next()
        except Exception:
            self.render_errors += 1
            if self.render_errors in (1, 10, 100) or self.render_errors % 1000 == 0:
                log.exception("rendering failed (%d times); playing silence", self.render_errors)
            self._frame_view[: 960 * self._bytes_per_frame] = self._zeros(
                960 * self._bytes_per_frame
            )
            self._set_pending(0, 960)
            return True

    def _render_next(self) -> bool:
        """Decode the next frame into the pending buffer; False when the feed has ended."""
        if self._stretch_next:
            frames = self._conceal(self._stretch_next)
            self._feed.note_stretch(self._stretch_next)
            self._stretch_next = 0
            self._set_pending(0, frames)
            return True
        feed = self._feed  # set_feed may swap it from another thread meanwhile
        item = None if self._ended_feed is feed else feed.pull()
        if item is None:
            self._ended_feed = feed
            return False
        if item.new_stream is not None:
            self._start_stream(item.new_stream)
        if item.kind is _PCM:
            assert item.pcm is not None
            return self._take_pcm(item.pcm)
        packet = item.packet
        if packet is not None and packet.stream.codec != "opus":  # MP3 radio: decoded already
            self._on_packet_played(packet)
            return self._take_pcm(packet.data)
        decoder = self._decoder
        if item.kind is not _PACKET or decoder is None:
            return self._render_without_packet(item)
        assert packet is not None
        self._heard_audio = True
        try:
            frames = decoder.decode_into(packet.data, self._frame_view)
        except OpusDecodeError:
            self.decode_errors += 1
            frames = self._conceal(packet.samples)
        start, end = 0, frames
        if packet.trim_start or packet.trim_end:  # pre-skip, end trimming: rare
            start = min(packet.trim_start, frames)
            end = max(start, frames - packet.trim_end)
        self._set_pending(start, end)
        self._on_packet_played(packet)
        if self._feed.wants_growth() and self._is_quiet(start, end):
            self._stretch_next = frames
        return True

    def _take_pcm(self, pcm: bytes | memoryview) -> bool:
        """Already decoded audio (a music file, MP3 radio): copied as it is."""
        size = min(len(pcm), len(self._frame)) // self._bytes_per_frame * self._bytes_per_frame
        self._frame_view[:size] = pcm[:size]
        self._heard_audio = True
        self._set_pending(0, size // self._bytes_per_frame)
        return True

    def _render_without_packet(self, item: PlayoutItem) -> bool:
        """Concealment, silence, or a packet that came before its stream's headers (nothing
        can decode it: silence)."""
        if item.kind is not _PACKET and self._heard_audio:
            self.gap_frames += item.samples
        if item.kind is _CONCEAL and self._decoder is not None:
            self._set_pending(0, self._conceal(item.samples))
            return True
        frames = min(item.samples, MAX_FRAME_SAMPLES)
        self._frame_view[: frames * self._bytes_per_frame] = self._zeros(
            frames * self._bytes_per_frame
        )
        self._set_pending(0, frames)
        return True

    def _start_stream(self, info: StreamInfo) -> None:
        if info.codec != "opus":
            self._on_stream_start(info)  # a PCM file: announced, nothing to decode
            return
        if self._decoder is None:
            self._decoder = OpusDecoder.for_stream(info)
            self._decoder.bind_output(self._frame_view)
        else:
            self._decoder.start_stream(info)  # fresh state, the link's channels and gain
        self._on_stream_start(info)

    def _conceal(self, samples: int) -> int:
        """Conceal ``samples`` frames; libopus works in 2.5 ms steps, the rest is silence."""
        samples = min(samples, MAX_FRAME_SAMPLES)
        concealable = samples - samples % PLC_STEP_SAMPLES
        frames = 0
        if self._decoder is not None and concealable:
            frames = self._decoder.conceal_into(concealable, self._frame_view)
        if frames < samples:
            start, end = frames * self._bytes_per_frame, samples * self._bytes_per_frame
            self._frame_view[start:end] = self._zeros(end - start)
        return samples

    def _zeros(self, size: int) -> memoryview:
        if size > len(self._silence):
            self._silence = bytes(size)
        return memoryview(self._silence)[:size]

    def _set_pending(self, start_frame: int, end_frame: int) -> None:
        self._pending_start = start_frame * self._bytes_per_frame
        self._pending_end = end_frame * self._bytes_per_frame

    def _is_quiet(self, start_frame: int, end_frame: int) -> bool:
        if end_frame <= start_frame:
            return False
        samples = np.frombuffer(
            self._frame,
            dtype="<i2",
            count=(end_frame - start_frame) * 2,
            offset=start_frame * self._bytes_per_frame,
        )
        return int(samples.max()) < QUIET_PEAK and int(samples.min()) > -QUIET_PEAK

    def close(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
