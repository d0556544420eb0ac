"""The rig's ear: the unit's audio output, recorded as it plays, the last seconds kept.

Two recorders fill the same :class:`PcmRing` (s16le, 48 kHz, stereo):

* :class:`FifoCapture` — on one machine. The unit's real PortAudio output goes through an
  ALSA ``file`` plugin (``asound_file.conf`` beside this module, chosen with
  ``ALSA_CONFIG_PATH``) into a FIFO that this reader drains at exactly 48,000 frames per
  second, which paces PortAudio like a sound card would. While nothing writes (the unit is
  not running, or has its output closed), the line is recorded as silence, as a line-in
  would record it.
* :class:`ArecordCapture` — on a real rig: ``arecord`` on the rig's line-in, which is wired
  to the unit's audio output.

Positions are frame counts since the recorder started (``ring.frames``): take one before
an action (``mark = ring.frames``) and ask for what came after it (``ring.since(mark)``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
import time
from pathlib import Path

from hw.rig.tones import BYTES_PER_FRAME, RATE_HZ

ALSA_FILE_CONF = Path(__file__).with_name("asound_file.conf")
CAPTURE_ENV = "DRIVETIME_ALSA_CAPTURE"  # the FIFO's path, read by asound_file.conf


class PcmRing:
    """The last ``keep_s`` seconds of a recording. Thread-safe: one writer, any readers."""

    def __init__(self, keep_s: float = 60.0) -> None:
        self.keep_bytes = int(keep_s * RATE_HZ) * BYTES_PER_FRAME
        self._data = bytearray()
        self._start = 0  # byte position of _data[0] in the whole recording
        self._lock = threading.Lock()

    @property
    def frames(self) -> int:
        """Frames recorded so far (the position of the next frame)."""
        with self._lock:
            return (self._start + len(self._data)) // BYTES_PER_FRAME

    def append(self, pcm: bytes) -> None:
        with self._lock:
            self._data += pcm
            excess = len(self._data) - self.keep_bytes
            if excess > self.keep_bytes // 4:  # trim in large steps: cheap on average
                excess -= excess % BYTES_PER_FRAME
                del self._data[:excess]
                self._start += excess

    def since(self, frame: int) -> bytes:
        """Everything recorded from position ``frame`` on (what is still kept of it)."""
        with self._lock:
            offset = max(0, frame * BYTES_PER_FRAME - self._start)
            return bytes(self._data[offset:])

    def last(self, seconds: float) -> bytes:
        with self._lock:
            size = min(len(self._data), int(seconds * RATE_HZ) * BYTES_PER_FRAME)
            return bytes(self._data[len(self._data) - size :])

    def wait_for(self, frame: int, timeout_s: float = 5.0) -> bool:
        """Block until position ``frame`` has been recorded (False on timeout)."""
        deadline = time.monotonic() + timeout_s
        while self.frames < frame:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


class FifoCapture:
    """Drains the ALSA file plugin's FIFO in real time into ``ring`` (see the module doc).

    ``env`` is what the unit's process needs so that its PortAudio output lands here.
    """

    PIPE_BYTES = 4096  # the smallest pipe: ~21 ms of audio, about a sound card's buffer
    UNDERRUN_S = 0.1  # a writer that is connected but silent this long: record silence

    def __init__(self, fifo: Path, ring: PcmRing | None = None) -> None:
        self.fifo = fifo
        self.ring = ring or PcmRing()
        if not fifo.exists():
            os.mkfifo(fifo)
        # Non-blocking: the reader stays open across the writers that come and go (PortAudio
        # opens the device to probe it, and again for each stream), so no writer ever
        # blocks in open() and this thread never waits for one.
        self._fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        with contextlib.suppress(OSError):
            fcntl.fcntl(self._fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rig capture", daemon=True)
        self._thread.start()

    @property
    def env(self) -> dict[str, str]:
        return {"ALSA_CONFIG_PATH": str(ALSA_FILE_CONF), CAPTURE_ENV: str(self.fifo)}

    def close(self) -> None:
        """Stop recording. Stop the unit's output first: a writer without a reader fails."""
        self._closing.set()
        self._thread.join(2)
        os.close(self._fd)

    def _run(self) -> None:
        bytes_per_s = RATE_HZ * BYTES_PER_FRAME
        t0 = time.monotonic()
        accounted = 0  # bytes of line time recorded: read from the FIFO, or silence
        partial = b""  # a read may end inside a frame; the rest follows in the next one
        starved_since: float | None = None
        while not self._closing.wait(0.005):
            due = int((time.monotonic() - t0) * bytes_per_s) - accounted
            while due >= BYTES_PER_FRAME:
                try:
                    chunk = os.read(self._fd, min(due, 65_536))
                except BlockingIOError:  # a writer is there, with nothing written yet
                    starved_since = starved_since or time.monotonic()
                    if time.monotonic() - starved_since < self.UNDERRUN_S:
                        break  # late, not gone: give it the time a sound card would
                    chunk = b""  # an underrun: the line is silent meanwhile
                else:
                    starved_since = None
                    if not chunk:  # no writer at all: the unit's output is closed
                        partial = b""  # the end of a frame that will never come
                if not chunk:
                    # Whole frames only, so that the next writer's first frame stays aligned.
                    chunk = bytes(due - due % BYTES_PER_FRAME)
                    self.ring.append(chunk)
                else:
                    whole = partial + chunk
                    cut = len(whole) - len(whole) % BYTES_PER_FRAME
                    self.ring.append(whole[:cut])
                    partial = whole[cut:]
                accounted += len(chunk)
                due -= len(chunk)


class ArecordCapture:
    """``arecord`` on the rig's line-in (``device``: an ALSA name such as ``hw:1``)."""

    def __init__(self, device: str, ring: PcmRing | None = None) -> None:
        self.ring = ring or PcmRing()
        command = ["arecord", "-q", "-D", device, "-f", "S16_LE", "-r", str(RATE_HZ), "-c", "2"]
        self._process = subprocess.Popen(
            [*command, "-t", "raw"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:  # a wrong device name ends arecord at once: say so now, not as silence later
            self._process.wait(0.3)
        except subprocess.TimeoutExpired:
            pass
        else:
            assert self._process.stderr is not None
            reason = self._process.stderr.read().decode(errors="replace").strip()
            raise OSError(f"arecord -D {device} could not record: {reason}")
        self._thread = threading.Thread(target=self._run, name="rig arecord", daemon=True)
        self._thread.start()

    @property
    def env(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(5)
        self._thread.join(2)

    def _run(self) -> None:
        assert self._process.stdout is not None
        partial = b""
        while chunk := self._process.stdout.read1(BYTES_PER_FRAME * 960):
            chunk, partial = partial + chunk, b""
            whole = len(chunk) - len(chunk) % BYTES_PER_FRAME
            chunk, partial = chunk[:whole], chunk[whole:]
            self.ring.append(chunk)
