"""Demux an Ogg Opus byte stream (file, Icecast mount, chained links) into timed packets.

Pure code, no I/O and no threads: the source feeds bytes as they arrive and gets events back.
Each Opus packet is placed on its stream's timeline (RFC 7845 section 4): the page granule
gives the end of the last packet completed on the page and earlier packets end where the later
ones start; durations come from each packet's TOC byte (RFC 6716 section 3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device.audio.ogg import GRANULE_NONE, OggPacketAssembler, OggPage, OggPageReader
from device.audio.opus_head import (
    HEAD_MAGIC,
    TAGS_MAGIC,
    OpusHead,
    OpusHeaderError,
    OpusTags,
    UnsupportedStream,
)
from device.audio.packets import AudioPacket, StreamInfo

__all__ = [
    "OpusPacketError",
    "OpusStreamReader",
    "StreamEnded",
    "StreamEvent",
    "StreamStarted",
    "UnsupportedStream",
    "opus_packet_samples",
]

SNIFF_LIMIT_BYTES = 64 * 1024
MAX_PACKET_SAMPLES = 5760  # 120 ms at 48 kHz, the longest Opus packet

_SILK_FRAME_SAMPLES = (480, 960, 1920, 2880)
_HYBRID_FRAME_SAMPLES = (480, 960)
_CELT_FRAME_SAMPLES = (120, 240, 480, 960)
_KNOWN_CODECS = {
    b"\x01vorbis": "Vorbis",
    b"\x7fFLAC": "FLAC",
    b"Speex   ": "Speex",
    b"\x80theora": "Theora",
    b"fishead\0": "Skeleton",
}


class OpusPacketError(ValueError):
    """An Opus packet whose TOC does not describe a valid packet."""


def opus_packet_samples(packet: bytes) -> int:
    """Duration of an Opus packet in 48 kHz samples, from its TOC byte (RFC 6716 3.1)."""
    if not packet:
        raise OpusPacketError("empty Opus packet")
    return _TOC_SAMPLES[packet[0]] or _samples_from_toc(packet)


def _samples_from_toc(packet: bytes) -> int:
    toc = packet[0]
    config = toc >> 3
    if config < 12:
        frame_samples = _SILK_FRAME_SAMPLES[config & 3]
    elif config < 16:
        frame_samples = _HYBRID_FRAME_SAMPLES[config & 1]
    else:
        frame_samples = _CELT_FRAME_SAMPLES[config & 3]
    code = toc & 3
    if code == 0:
        frames = 1
    elif code < 3:
        frames = 2
    elif len(packet) < 2:
        raise OpusPacketError("code 3 Opus packet without its frame count byte")
    else:
        frames = packet[1] & 0x3F
    samples = frame_samples * frames
    if not 0 < samples <= MAX_PACKET_SAMPLES:
        raise OpusPacketError(f"Opus packet of {frames} frames lasts {samples} samples")
    return samples


# Duration by TOC byte for one- and two-frame packets (frame-count codes 0-2), which need no
# second byte; 0 for code 3 (the frame count is in the packet's second byte). One lookup per
# packet instead of the decoding above: the demuxer runs once per 20 ms packet.
_TOC_SAMPLES = tuple(0 if toc & 3 == 3 else _samples_from_toc(bytes([toc])) for toc in range(256))


@dataclass(frozen=True)
class StreamStarted:
    """A logical stream's headers are in. For a chained link: reset the decoder (a new
    ``OpusDecoder`` if channels changed) and show ``info.now_playing``."""

    info: StreamInfo
    opus_tags: OpusTags = field(repr=False)  # the full tags, cover pictures included


@dataclass(frozen=True)
class StreamEnded:
    """The logical stream ended (EOS page, a new chained link, or end of input)."""

    serial: int
    final_granule: int


StreamEvent = StreamStarted | AudioPacket | StreamEnded


@dataclass
class _Link:
    """One logical Opus stream being demuxed."""

    assembler: OggPacketAssembler
    head: OpusHead
    info: StreamInfo | None = None  # set once OpusTags arrived
    granule: int | None = None  # end of the last packet placed
    pre_skip_left: int = 0
    audio_seen: bool = False
    ended: bool = False

    @property
    def serial(self) -> int:
        return self.assembler.serial


class OpusStreamReader:
    """Incremental demuxer. Not thread-safe: one owner calls ``feed`` and ``feed_eof``.

    Raises ``UnsupportedStream`` when the input is not Ogg (no page in the first
    ``sniff_limit_bytes``), not Opus, or an Opus layout the unit cannot play. Damage inside a
    stream never raises: it is skipped and counted (``bad_pages``, ``skipped_bytes``,
    ``lost_pages``, ``dropped_packets``, ``bad_packets``).

    Pre-skip is trimmed (``trim_start``) only when the first audio page follows the headers
    without a gap, i.e. the stream was received from its beginning. A listener joining a live
    mount gets the headers and then pages from the middle: those play untrimmed and their
    granules simply continue from wherever the source is. Use one reader per connection.
    """

    def __init__(self, sniff_limit_bytes: int = SNIFF_LIMIT_BYTES) -> None:
        self._pages = OggPageReader()
        self._sniff_limit_bytes = sniff_limit_bytes
        self._first_bytes = b""
        self._fed_bytes = 0
        self._link: _Link | None = None
        self._group_open = False  # between a BOS page and the first page without BOS
        self._non_opus_first_packet: bytes | None = None
        self._head_seen = False
        self._started_any = False
        self._ended_assemblers_lost = 0
        self._ended_assemblers_dropped = 0
        self.bad_packets = 0
        self.bad_tags = 0
        self.foreign_pages = 0

    @property
    def skipped_bytes(self) -> int:
        return self._pages.skipped_bytes

    @property
    def bad_pages(self) -> int:
        return self._pages.crc_errors

    @property
    def lost_pages(self) -> int:
        current = self._link.assembler.lost_pages if self._link else 0
        return self._ended_assemblers_lost + current

    @property
    def dropped_packets(self) -> int:
        current = self._link.assembler.dropped_packets if self._link else 0
        return self._ended_assemblers_dropped + current

    def feed(self, data: bytes | bytearray | memoryview) -> list[StreamEvent]:
        if len(self._first_bytes) < 16:
            self._first_bytes += bytes(data[: 16 - len(self._first_bytes)])
        self._fed_bytes += len(data)
        events: list[StreamEvent] = []
        for page in self._pages.feed(data):
            self._on_page(page, events)
        if not self._head_seen and self._fed_bytes >= self._sniff_limit_bytes:
            self._raise_unsupported()
        return events

    def feed_eof(self) -> list[StreamEvent]:
        """End of input: a truncated last page is dropped; an open stream ends here."""
        self._pages.discard_pending()
        if not self._started_any:
            self._raise_unsupported()
        events: list[StreamEvent] = []
        link = self._link
        if link is not None and link.info is not None and not link.ended:
            events.append(self._end(link, link.granule or 0))
        return events

    def _raise_unsupported(self) -> None:
        if self._pages.pages_read == 0:
            raise UnsupportedStream(
                f"not an Ogg stream: no Ogg page in the first {self._fed_bytes} bytes "
                f"(input starts with {self._first_bytes!r})"
            )
        if self._non_opus_first_packet is not None:
            raise UnsupportedStream(_not_opus_message(self._non_opus_first_packet))
        if self._head_seen:
            raise UnsupportedStream("the stream ended before its Opus headers were complete")
        raise UnsupportedStream(
            f"no complete Ogg Opus headers in the first {self._fed_bytes} bytes "
            "(stream joined mid-way without its OpusHead?)"
        )

    def _on_page(self, page: OggPage, events: list[StreamEvent]) -> None:
        if page.bos:
            self._on_bos(page, events)
            return
        if self._group_open:
            self._group_open = False
            if self._link is None and self._non_opus_first_packet is not None:
                raise UnsupportedStream(_not_opus_message(self._non_opus_first_packet))
        link = self._link
        if link is None or page.serial != link.serial or link.ended:
            self.foreign_pages += 1
            return
        packets = link.assembler.push(page)
        if link.info is None:
            packets = self._take_tags(link, packets, events)
            if link.info is None:
                return
        if packets or page.eos:
            self._place_audio(link, page, packets, events)

    def _on_bos(self, page: OggPage, events: list[StreamEvent]) -> None:
        if not self._group_open:  # a new chain link begins
            self._group_open = True
            if self._link is not None:
                if self._link.info is not None and not self._link.ended:
                    events.append(self._end(self._link, self._link.granule or 0))
                self._retire(self._link)
            self._link = None
            self._non_opus_first_packet = None
        assembler = OggPacketAssembler(page.serial)
        packets = assembler.push(page)
        first_packet = packets[0] if packets else b""
        if self._link is None and first_packet.startswith(HEAD_MAGIC):
            self._link = _Link(assembler, OpusHead.from_bytes(first_packet))
            self._head_seen = True
        elif self._link is None:
            self._non_opus_first_packet = first_packet

    def _take_tags(
        self, link: _Link, packets: list[bytes], events: list[StreamEvent]
    ) -> list[bytes]:
        """Consume the OpusTags packet if it is among ``packets``; return the rest."""
        if not packets:
            return packets
        tags_packet = packets[0]
        if not tags_packet.startswith(TAGS_MAGIC):
            raise UnsupportedStream(
                f"OpusHead is not followed by OpusTags (got {tags_packet[:8]!r})"
            )
        try:
            tags = OpusTags.from_bytes(tags_packet)
        except OpusHeaderError:
            self.bad_tags += 1  # the audio is still good: play it without metadata
            tags = OpusTags()
        head = link.head
        link.info = StreamInfo(
            serial=link.serial,
            channels=head.channels,
            pre_skip=head.pre_skip,
            output_gain_q8=head.output_gain_q8,
            vendor=tags.vendor,
            tags=tags.as_dict(),
        )
        self._started_any = True
        events.append(StreamStarted(link.info, tags))
        return packets[1:]

    def _place_audio(
        self, link: _Link, page: OggPage, packets: list[bytes], events: list[StreamEvent]
    ) -> None:
        timed = []
        total = 0
        for packet in packets:
            samples = _TOC_SAMPLES[packet[0]] if packet else 0
            if not samples:
                try:
                    samples = opus_packet_samples(packet)
                except OpusPacketError:
                    self.bad_packets += 1
                    continue
            timed.append((packet, samples))
            total += samples
        granule = page.granule_position
        if total and granule >= total and link.audio_seen and not (link.pre_skip_left or page.eos):
            # Mid-stream, nothing to trim: the page granule ends its last packet (what
            # _page_start works out in this case, without the trimming arithmetic).
            end = granule - total
            for packet, samples in timed:
                end += samples
                events.append(AudioPacket(link.info, packet, end, samples))
            link.granule = end
            return
        start, trim_end_total = self._page_start(link, page, total)
        trims_end = _split_from_end([samples for _, samples in timed], trim_end_total)
        end = start
        for (packet, samples), trim_end in zip(timed, trims_end, strict=True):
            end += samples
            trim_start = min(link.pre_skip_left, samples - trim_end)
            link.pre_skip_left -= trim_start
            events.append(AudioPacket(link.info, packet, end, samples, trim_start, trim_end))
        link.granule = end
        if page.eos:
            granule = page.granule_position
            events.append(self._end(link, end if granule == GRANULE_NONE else granule))

    def _page_start(self, link: _Link, page: OggPage, total: int) -> tuple[int, int]:
        """Granule where this page's first packet starts, and the samples to end-trim."""
        granule = page.granule_position
        first_audio = not link.audio_seen
        if total == 0:
            return (link.granule or 0), 0
        link.audio_seen = True
        if first_audio and not link.assembler.gap_before_last_page:
            link.pre_skip_left = link.head.pre_skip
            if page.eos or granule == GRANULE_NONE:
                # RFC 7845 4.5: on a first page that also ends the stream, a granule short of
                # the packets' duration is end trimming, not a negative start.
                return 0, max(0, total - granule) if granule != GRANULE_NONE else 0
        if granule == GRANULE_NONE:  # no granule although packets end here: carry on
            return (link.granule or 0), 0
        backward_start = granule - total
        if page.eos and link.granule is not None and link.granule > backward_start:
            return link.granule, link.granule + total - granule
        return max(0, backward_start), 0

    def _end(self, link: _Link, final_granule: int) -> StreamEnded:
        link.ended = True
        return StreamEnded(link.serial, final_granule)

    def _retire(self, link: _Link) -> None:
        self._ended_assemblers_lost += link.assembler.lost_pages
        self._ended_assemblers_dropped += link.assembler.dropped_packets


def _split_from_end(durations: list[int], trim: int) -> list[int]:
    """End trimming spread backwards over packets: the last packets lose samples first."""
    trims = [0] * len(durations)
    for i in range(len(durations) - 1, -1, -1):
        trims[i] = min(trim, durations[i])
        trim -= trims[i]
    return trims


def _not_opus_message(first_packet: bytes) -> str:
    codec = next(
        (name for magic, name in _KNOWN_CODECS.items() if first_packet.startswith(magic)), None
    )
    what = (
        f"{codec} audio"
        if codec
        else f"a stream whose first packet starts with {first_packet[:8]!r}"
    )
    return f"not an Ogg Opus stream: the Ogg stream carries {what}, not OpusHead"
