"""A room's programme as chained Ogg Opus: one logical stream (link) per song.

Every link starts with its own serial number, OpusHead and OpusTags (RFC 7845 section 3:
chained streams), so a listener learns the new song from the tags and resets its decoder at
the new OpusHead. Each link's OpusTags carry::

    ARTIST, TITLE, ALBUM              the song
    DRIVETIME_ROOM                    the room's name
    DRIVETIME_PROGRAMME_SAMPLE        programme sample (48 kHz) at which the link's PCM starts
    DRIVETIME_SOURCE_T0_NS            wall clock (time.time_ns) of that first sample

so a listener on the same machine can compute its lag behind the source: a sample at PCM
position p of the link (granule minus pre-skip) was produced at ``T0 + p / 48000`` seconds.

Every link has a fresh encoder (so its pre-skip is right) and is padded with one extra packet
and end-trimmed by its last granule, so decoding a link gives exactly its song's samples.
Pure code with no I/O and no clock of its own; one instance per thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from device.audio.ogg_writer import OggOpusWriter
from device.audio.opus_codec import OpusEncoder
from device.audio.opus_head import OpusHead, OpusTags
from studio.program import FRAME_SAMPLES, RATE_HZ, Programme
from studio.rooms import RoomSpec, Song

VENDOR = "drivetime-studio"


class ChainEncoder:
    """Encodes a :class:`Programme` 20 ms frame by frame into Ogg pages, one link per song.

    ``wall_ns_of_sample(s)`` maps a programme sample to the wall-clock time it stands for
    (written into each link's ``DRIVETIME_SOURCE_T0_NS``). ``serial_seed`` makes the links'
    serial numbers reproducible; by default they are random.
    """

    def __init__(
        self,
        room: RoomSpec,
        programme: Programme,
        *,
        wall_ns_of_sample: Callable[[int], int],
        bitrate: int = 96_000,
        page_ms: int = 20,
        serial_seed: int | None = None,
    ) -> None:
        if page_ms < 20 or page_ms % 20:
            raise ValueError(f"page_ms must be a multiple of 20 (one Opus frame), got {page_ms}")
        self.room = room
        self.programme = programme
        self.bitrate = bitrate
        self.page_ms = page_ms
        self._wall_ns_of_sample = wall_ns_of_sample
        # Live sources draw fresh serials (a restarted source must not repeat its old links'
        # serials, or a reconnecting listener could splice the wrong streams); files may
        # want reproducible ones.
        self._serials = random.Random(serial_seed)
        self.frame_index = 0  # next programme frame to encode
        self.links: list[tuple[int, Song]] = []  # (serial, song) in the order started
        self._writer: OggOpusWriter | None = None
        self._encoder: OpusEncoder | None = None

    @property
    def now_playing(self) -> Song | None:
        return self.links[-1][1] if self.links else None

    def next_frame(self) -> bytes:
        """Encode the next frame; returns the Ogg bytes that became ready (may be empty)."""
        sample = self.frame_index * FRAME_SAMPLES
        song_index, song = self.programme.song_at(sample)
        offset = sample - song_index * self.programme.song_samples
        out = self._start_link(song) if self._writer is None else b""
        assert self._encoder is not None and self._writer is not None
        packet = self._encoder.encode(self.programme.frame(self.frame_index))
        self.frame_index += 1
        out += self._writer.packet(packet, FRAME_SAMPLES)
        if offset + FRAME_SAMPLES == self.programme.song_samples:
            out += self._end_link()
        return out

    def skip_to(self, frame_index: int) -> bytes:
        """Jump to ``frame_index`` (after a reconnect): ends the current link (its EOS page is
        returned, for a file; a fresh connection should drop it) so the next frame starts a
        new link with headers, mid-song if need be."""
        out = self._end_link() if self._writer is not None else b""
        self.frame_index = max(frame_index, self.frame_index)
        return out

    def finish(self) -> bytes:
        """End the current link properly (EOS page); the next frame would start a new one."""
        return self._end_link() if self._writer is not None else b""

    def _start_link(self, song: Song) -> bytes:
        self._encoder = OpusEncoder(channels=2, bitrate=self.bitrate, frame_ms=20)
        serial = self._serials.getrandbits(32)
        while any(serial == used for used, _ in self.links[-4:]):
            serial = self._serials.getrandbits(32)
        first_sample = self.frame_index * FRAME_SAMPLES
        head = OpusHead(channels=2, pre_skip=self._encoder.lookahead, input_sample_rate=RATE_HZ)
        comments = (
            ("ARTIST", song.artist),
            ("TITLE", song.title),
            ("ALBUM", song.album),
            ("DRIVETIME_ROOM", self.room.name),
            ("DRIVETIME_PROGRAMME_SAMPLE", str(first_sample)),
            ("DRIVETIME_SOURCE_T0_NS", str(self._wall_ns_of_sample(first_sample))),
            *self.room.tags.items(),
        )
        tags = OpusTags(vendor=VENDOR, comments=comments)
        self._writer = OggOpusWriter(serial, head, tags, max_page_ms=self.page_ms)
        self.links.append((serial, song))
        return self._writer.header_pages()

    def _end_link(self) -> bytes:
        """Flush the encoder's look-ahead with one padding packet, end-trimmed away."""
        assert self._encoder is not None and self._writer is not None
        # The continuation of the programme keeps the encoder's last window smooth; only
        # ``lookahead`` samples of this packet are inside the link's final granule.
        padding = self._encoder.encode(self.programme.frame(self.frame_index))
        out = self._writer.packet(padding, self._encoder.lookahead, eos=True)
        self._writer = self._encoder = None
        return out


def write_file(
    path: str | Path,
    room: RoomSpec,
    seconds: float,
    *,
    song_s: float = 8.0,
    bitrate: int = 96_000,
    page_ms: int = 20,
) -> list[tuple[int, Song]]:
    """Render ``seconds`` of the room's programme to a chained ``.opus`` file, as fast as
    possible; returns the links written as (serial, song)."""
    programme = Programme.for_room(room, song_s=song_s)
    t0_ns = time.time_ns()
    chain = ChainEncoder(
        room,
        programme,
        wall_ns_of_sample=lambda sample: t0_ns + sample * 1_000_000_000 // RATE_HZ,
        bitrate=bitrate,
        page_ms=page_ms,
        serial_seed=room.seed,
    )
    frames = round(seconds * RATE_HZ / FRAME_SAMPLES)
    with open(path, "wb") as out:
        for _ in range(frames):
            out.write(chain.next_frame())
        out.write(chain.finish())
    return chain.links
