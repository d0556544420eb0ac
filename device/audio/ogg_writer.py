"""Ogg Opus muxing (RFC 7845): one logical stream, written page by page as packets arrive.

Used by the live room source (a new writer, with a new serial, for every song: a chained
stream) and by tests. Pure code: it returns page bytes and never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device.audio.ogg import (
    FLAG_BOS,
    FLAG_CONTINUED,
    FLAG_EOS,
    GRANULE_NONE,
    MAX_SEGMENTS,
    OggPage,
    lacing_values,
)
from device.audio.opus_head import OpusHead, OpusTags
from device.audio.pcm import CAR_PCM


@dataclass
class _PageDraft:
    continued: bool
    segments: bytearray = field(default_factory=bytearray)
    body: list[bytes] = field(default_factory=list)
    granule: int = GRANULE_NONE  # end of the last packet completed on the page


class OggOpusWriter:
    """Writes one Ogg Opus logical stream. Not thread-safe: one owner (the room source).

    Call ``header_pages()`` once, then ``packet()`` per Opus packet, and end with
    ``packet(..., eos=True)`` or ``finish()``. The granule position counts decoded samples
    including the pre-skip (RFC 7845 4): it starts at 0 and grows by each packet's ``samples``,
    so the first audio page's granule already counts the pre-skip samples its packets carry.
    """

    def __init__(self, serial: int, head: OpusHead, tags: OpusTags, max_page_ms: int = 20) -> None:
        if not 0 <= serial < (1 << 32):
            raise ValueError(f"serial {serial} is not an unsigned 32-bit number")
        if max_page_ms < 0:
            raise ValueError(f"max_page_ms must be >= 0, not {max_page_ms}")
        self.serial = serial
        self.head = head
        self.tags = tags
        self._max_page_samples = CAR_PCM.ms_to_frames(max_page_ms)
        self._sequence = 0
        self._granule = 0
        self._pending: list[tuple[bytes, int]] = []  # (packet, granule at its end)
        self._pending_segments = 0
        self._pending_samples = 0
        self._headers_written = False
        self._ended = False

    @property
    def granule(self) -> int:
        """Granule position at the end of the last packet given."""
        return self._granule

    @property
    def ended(self) -> bool:
        return self._ended

    def header_pages(self) -> bytes:
        """OpusHead alone on the BOS page, then OpusTags on as many pages as it needs."""
        if self._headers_written:
            raise RuntimeError("header_pages() was already called for this stream")
        self._headers_written = True
        head_page = self._pages([(bytes(self.head), 0)], bos=True)
        return head_page + self._pages([(bytes(self.tags), 0)])

    def packet(self, data: bytes, samples: int, eos: bool = False) -> bytes:
        """Queue one Opus packet; returns the pages completed by it (often b"").

        ``samples`` is what the packet adds to the timeline: its duration, or less on the
        last packet to trim the end (RFC 7845 end trimming). A page is flushed once it holds
        ``max_page_ms`` of audio, and at ``eos``.
        """
        self._check_open()
        if samples < 0:
            raise ValueError(f"samples must be >= 0, not {samples}")
        out = b""
        segments = len(lacing_values(len(data)))
        if self._pending and self._pending_segments + segments > MAX_SEGMENTS:
            out += self._flush(eos=False)  # keep packets whole on one page where possible
        self._granule += samples
        self._pending.append((bytes(data), self._granule))
        self._pending_segments += segments
        self._pending_samples += samples
        if eos or self._pending_samples >= self._max_page_samples:
            out += self._flush(eos)
        return out

    def finish(self) -> bytes:
        """End the stream: flush queued packets on the EOS page (an empty one if none)."""
        self._check_open()
        return self._flush(eos=True)

    def _check_open(self) -> None:
        if not self._headers_written:
            raise RuntimeError("call header_pages() before writing packets")
        if self._ended:
            raise RuntimeError(f"stream {self.serial} has ended")

    def _flush(self, eos: bool) -> bytes:
        pending = self._pending
        self._pending = []
        self._pending_segments = self._pending_samples = 0
        if eos:
            self._ended = True
            if not pending:  # nothing left to carry the EOS flag: an empty page at the end
                return self._emit(_PageDraft(continued=False, granule=self._granule), FLAG_EOS)
        return self._pages(pending, eos=eos)

    def _pages(
        self, packets: list[tuple[bytes, int]], bos: bool = False, eos: bool = False
    ) -> bytes:
        """Lay packets out on pages of at most 255 segments, splitting them where needed."""
        out: list[bytes] = []
        draft = _PageDraft(continued=False)
        first_flags = FLAG_BOS if bos else 0
        for packet, end_granule in packets:
            lacing = lacing_values(len(packet))
            laced = position = 0
            while laced < len(lacing):
                if len(draft.segments) == MAX_SEGMENTS:
                    out.append(self._emit(draft, first_flags))
                    first_flags = 0
                    draft = _PageDraft(continued=laced > 0)
                take = lacing[laced : laced + MAX_SEGMENTS - len(draft.segments)]
                draft.segments += take
                draft.body.append(packet[position : position + sum(take)])
                position += sum(take)
                laced += len(take)
            draft.granule = end_granule
        out.append(self._emit(draft, first_flags | (FLAG_EOS if eos else 0)))
        return b"".join(out)

    def _emit(self, draft: _PageDraft, flags: int) -> bytes:
        page = OggPage(
            header_type=flags | (FLAG_CONTINUED if draft.continued else 0),
            granule_position=draft.granule,
            serial=self.serial,
            sequence=self._sequence,
            segments=bytes(draft.segments),
            body=b"".join(draft.body),
        )
        self._sequence = (self._sequence + 1) % (1 << 32)
        return bytes(page)
