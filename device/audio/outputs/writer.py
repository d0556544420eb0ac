"""Outputs that write blocks themselves (null, file): one render thread, optionally paced.

Paced, the thread keeps a sound card's pace with a monotonic deadline loop against t0 (when
the first block was written), so the schedule never drifts however long the sleeps overshoot.
Like a sound card with a small device buffer (and like the PortAudio output's ring, which runs
the same number of blocks ahead), it takes :data:`BLOCKS_PER_WAKE` blocks at a time: the batch
starting with block n is written at ``t0 + (n - 1) * block duration``, one block before the
previous batch has played out, so the sink never runs dry and rendering runs 20-60 ms ahead
of playing. A late batch is written at once and the next one is due on the original schedule.
Unpaced, it writes as fast as ``fill`` returns.

Why batches: most of a wake's cost is fixed (the timer wake-up, cold caches on the first
decode and the first numpy call after a sleep), so three blocks per wake cost little more
than one; measured on the 2-core VM, the render thread of a live room at 50 % volume went
from 2.8 % to about 1 % of a core. The wait is a plain ``time.sleep``: it costs about half
the CPU of ``Event.wait`` (which allocates a lock and runs a Condition's Python code per
call). ``stop`` is still seen within one batch; only waits longer than
:data:`PLAIN_SLEEP_MAX_S` use the event.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod

from device.audio.outputs.base import AudioOutput, BlockSource

BLOCKS_PER_WAKE = 3
"""Blocks written per wake when paced: the PortAudio output's ``ahead_blocks`` default."""
PLAIN_SLEEP_MAX_S = 0.08
"""Waits up to this long are plain sleeps; ``stop`` may wait this long for the thread."""
STOP_JOIN_S = 1.0
"""How long ``stop`` waits for a render thread stuck in ``fill`` (a contract breach) before it
closes the sink anyway; the closed flag still guarantees nothing is written afterwards."""


class BlockWriterOutput(AudioOutput):
    """Base for outputs that deliver each rendered block with ``_write_block``.

    Subclasses implement ``_write_block`` (render thread), ``_flush`` (render thread at the
    natural end, or any thread in ``stop``) and ``_close`` (once, from ``stop``); all three run
    with the write lock held, never concurrently.
    """

    def __init__(self, spec: str, *, frames_per_block: int, volume: int = 100) -> None:
        super().__init__(spec, frames_per_block=frames_per_block, volume=volume)
        self._stop_requested = threading.Event()
        self._write_lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._paced = True

    def start(self, source: BlockSource, *, paced: bool = True) -> None:
        self._claim_source(source)
        self._paced = paced
        if paced:  # blocks are rendered 1..BLOCKS_PER_WAKE blocks before their turn
            block_ms = self.format.frames_to_ms(self.frames_per_block)
            self.latency_ms = block_ms * (BLOCKS_PER_WAKE + 1) / 2
        self._thread = threading.Thread(target=self._run, name=f"output {self.spec}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop_requested.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_JOIN_S)
        with self._write_lock:
            if not self._closed:
                self._closed = True
                try:
                    self._close()
                except OSError as exc:  # e.g. the disk filled: stop still stops
                    if self.error is None:
                        self.error = exc
                    self._completed = False
        self._finish(completed=self._completed)

    @abstractmethod
    def _write_block(self, block: memoryview) -> None: ...

    def _flush(self) -> None:
        """Make everything written so far durable (file: flush + fsync)."""

    def _close(self) -> None:
        """Release the sink."""

    def _run(self) -> None:
        try:
            if self._play_all():
                with self._write_lock:
                    if self._closed:
                        return
                    self._flush()
                self._finish(completed=True)
        except Exception as exc:
            self._fail(exc)

    def _play_all(self) -> bool:
        """Deliver blocks until the source ends (True) or stop is requested (False)."""
        block_s = self.format.frames_to_ms(self.frames_per_block) / 1000.0
        bytes_per_frame = self.format.bytes_per_frame
        full_block = self._block_view
        t0: float | None = None
        written = 0
        while not self._stop_requested.is_set():
            frames = self._render_block()
            if not frames:
                # A sound card finishes when the last block has played, not when it arrived.
                return t0 is None or not self._sleep_until(t0 + written * block_s)
            if (
                t0 is not None
                and written % BLOCKS_PER_WAKE == 0
                and self._sleep_until(t0 + (written - 1) * block_s)
            ):
                return False
            with self._write_lock:
                if self._closed:
                    return False
                if frames == self.frames_per_block:
                    self._write_block(full_block)
                else:
                    self._write_block(full_block[: frames * bytes_per_frame])
            if t0 is None:
                t0 = time.monotonic()
                self.first_block_monotonic = t0
            written += 1
            self.blocks_written = written
        return False

    def _sleep_until(self, due: float) -> bool:
        """Paced only: wait until ``due`` (monotonic). True if stop was requested meanwhile."""
        if not self._paced:
            return self._stop_requested.is_set()
        delay = due - time.monotonic()
        if delay > PLAIN_SLEEP_MAX_S:
            return self._stop_requested.wait(delay)
        if delay > 0:
            time.sleep(delay)
        return self._stop_requested.is_set()
