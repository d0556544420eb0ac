"""The music queue: local tracks played back to back, with next, previous and shuffle.

A :class:`MusicQueue` is the renderer's feed while local music plays. It hands over the
current track's items and, when a track ends, opens the next one inside the same ``pull``,
so the first frame of the next track follows the last frame of the previous one with
nothing in between (gapless: an album mixed across tracks plays as one piece).

Threads: ``pull`` runs on the output's render thread; ``next``/``previous``/``set_shuffle``
and the read-only views run on the event loop. They meet under one lock; a jump asked for on
the event loop is carried out by the render thread at its next pull (within one block), so
the feed being read is never closed under the reader's feet.

A track that cannot be opened or breaks while playing (the stick was pulled out, a corrupt
file) is skipped and remembered in ``problems``; when nothing is left that opens, the queue
ends and ``error`` says why — the player shows that instead of going silent.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from device.audio.packets import StreamInfo
from device.audio.playout import PlayoutItem, PullKind

log = logging.getLogger(__name__)
RESTART_PREVIOUS_S = 3.0
"""``previous`` more than this far into a track starts it again (as car stereos do)."""
_RATE = 48_000


@dataclass(frozen=True)
class QueuedTrack:
    path: str
    title: str = ""
    artist: str = ""
    album: str = ""

    @property
    def tags(self) -> dict[str, str]:
        tags = {"TITLE": self.title, "ARTIST": self.artist, "ALBUM": self.album}
        return {key: value for key, value in tags.items() if value}


class TrackFeed(Protocol):
    error: Exception | None

    def pull(self) -> PlayoutItem | None: ...

    def close(self) -> None: ...


OpenTrack = Callable[[QueuedTrack, int], TrackFeed]
"""Opens a track's feed at a 48 kHz frame; raises OSError/ValueError for a track that will
not play. A feed that seeked says where it starts in a ``frames_played`` attribute; one
without it is read from its start and the queue drops what comes before the frame."""


class MusicQueue:
    """A feed for the renderer over ``tracks``; see the module docstring."""

    def __init__(
        self,
        tracks: Sequence[QueuedTrack],
        open_track: OpenTrack,
        *,
        start_index: int = 0,
        start_frame: int = 0,
        shuffle: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        if not tracks:
            raise ValueError("nothing to play: the queue is empty")
        if not 0 <= start_index < len(tracks):
            raise ValueError(f"track {start_index} is not in a queue of {len(tracks)}")
        self._tracks = list(tracks)
        self._open_track = open_track
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._order = list(range(len(tracks)))
        self._position = start_index  # index into _order
        self._shuffle = False
        self._feed: TrackFeed | None = None
        self._frames = 0  # 48 kHz frames of the current track handed out (resume position)
        self._skip_to = 0  # frames to drop at the start of a track that cannot seek
        self._jump: tuple[int, int] | None = None  # (position, frame) for the render thread
        self._carry: StreamInfo | None = None  # a skipped start's announcement, still owed
        self._ended = False
        self.problems: list[tuple[str, str]] = []  # (path, reason) of tracks skipped
        self.error: Exception | None = None
        if shuffle:
            self.set_shuffle(True)
        # The first track opens here, on the caller's thread: a queue that cannot play at
        # all is refused before it replaces what was playing.
        if not self._open_from(self._position, start_frame):
            raise ValueError(f"none of the {len(tracks)} tracks can be played: {self.error}")

    # --- render thread ------------------------------------------------------------------------

    def pull(self) -> PlayoutItem | None:
        with self._lock:
            jump, self._jump = self._jump, None
        if jump is not None:
            self._close_feed()
            self._open_from(*jump)
        while self._feed is not None:
            item = self._feed.pull()
            if item is None:
                self._track_ended()
                continue
            if item.kind is PullKind.PCM or item.kind is PullKind.PACKET:
                self._frames += item.samples
                if self._frames <= self._skip_to:  # resuming a track that cannot seek
                    self._carry = item.new_stream or self._carry
                    continue
            if self._carry is not None:
                item = replace(item, new_stream=item.new_stream or self._carry)
                self._carry = None
            return item
        return None

    def wants_growth(self) -> bool:
        return False  # local files never run dry: nothing to grow

    def note_stretch(self, samples: int) -> None:
        pass

    # --- event loop ---------------------------------------------------------------------------

    def next(self) -> None:
        """Skip to the next track; at the last one, there is no next (ValueError)."""
        with self._lock:
            position = self._pending_position()
            if position + 1 >= len(self._order):
                raise ValueError("this is the last track in the queue")
            self._jump = (position + 1, 0)

    def previous(self) -> None:
        """Back to the start of this track, or to the previous one near its start."""
        with self._lock:
            position = self._pending_position()
            restart = self._jump is None and self._frames > RESTART_PREVIOUS_S * _RATE
            target = position if restart or position == 0 else position - 1
            self._jump = (target, 0)

    def set_shuffle(self, on: bool) -> None:
        """Shuffle the tracks after the current one (on), or go back to the listed order
        with the current track where it was (off). Nothing audible changes until the next."""
        with self._lock:
            if on == self._shuffle:
                return
            current = self._order[self._position]
            pending = self._order[self._jump[0]] if self._jump is not None else None
            if on:
                rest = [index for index in self._order if index != current]
                self._rng.shuffle(rest)
                self._order = [current, *rest]
            else:
                self._order = list(range(len(self._tracks)))
            self._position = self._order.index(current)
            if self._jump is not None and pending is not None:
                self._jump = (self._order.index(pending), self._jump[1])
            self._shuffle = on

    @property
    def shuffle(self) -> bool:
        return self._shuffle

    @property
    def ended(self) -> bool:
        return self._ended

    def current(self) -> tuple[int, QueuedTrack, float]:
        """(position in the play order, track, seconds into it) — what to resume."""
        with self._lock:
            position = self._position
            return position, self._tracks[self._order[position]], self._frames / _RATE

    def upcoming(self) -> list[QueuedTrack]:
        """The tracks in play order (the current one at ``current()[0]``)."""
        with self._lock:
            return [self._tracks[index] for index in self._order]

    def close(self) -> None:
        self._close_feed()

    # --- internals ----------------------------------------------------------------------------

    def _pending_position(self) -> int:
        return self._jump[0] if self._jump is not None else self._position

    def _track_ended(self) -> None:
        feed = self._feed
        if feed is not None and feed.error is not None:
            self._note_problem(self._track_at(self._position), feed.error)
        self._close_feed()
        if not self._open_from(self._position + 1, 0):
            self._ended = True

    def _open_from(self, position: int, frame: int) -> bool:
        """Open the first track from ``position`` on that opens; False if none does."""
        while True:
            with self._lock:
                if position >= len(self._order):
                    self._ended = True
                    return False
                index = self._order[position]
            track = self._tracks[index]
            try:
                feed = self._open_track(track, frame)  # file I/O: outside the lock
            except (OSError, ValueError) as exc:
                self._note_problem(track, exc)
                position, frame = position + 1, 0
                continue
            with self._lock:
                # Shuffle may have reordered meanwhile: the track keeps its place, not its number.
                self._feed, self._position = feed, self._order.index(index)
                self._frames = getattr(feed, "frames_played", 0)  # a feed that seeked says where
                self._skip_to = frame
                self._carry = None
            return True

    def _track_at(self, position: int) -> QueuedTrack:
        with self._lock:
            return self._tracks[self._order[position]]

    def _note_problem(self, track: QueuedTrack, exc: Exception) -> None:
        log.warning("skipping %s: %s", track.path, exc)
        self.problems.append((track.path, str(exc)))
        self.error = exc

    def _close_feed(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
