"""Child processes for the benchmarks: the peers (mpv, ffmpeg) and the engine's own CLI.

Every child is started in its own session (process group) and registered in :data:`CHILDREN`,
so one call ends all of them, whatever went wrong: :meth:`Children.kill_all` runs when a
benchmark section fails and again when the suite exits. Only processes started here are ever
signalled, always by their process-group id.

The peers' command lines live here, in one place, so the report can print exactly what ran.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
ENGINE_CLI = str(VENV_BIN / "drivetime-unit")

# The peers as a user would run them, plus only what is needed to get raw PCM on stdout:
# mpv's terminal output is off (it would share stdout with the PCM) and its pcm writer is
# asked for the same 48 kHz stereo s16le that ffmpeg writes. Buffering and cache options are
# left at their defaults.
FFMPEG_PCM = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "{url}",
              "-f", "s16le", "-ac", "2", "-ar", "48000", "pipe:1"]  # fmt: skip
MPV_PCM = ["mpv", "--no-config", "--no-terminal", "--no-video", "--ao=pcm",
           "--ao-pcm-file=/dev/stdout", "--ao-pcm-waveheader=no", "--audio-format=s16",
           "--audio-samplerate=48000", "--audio-channels=stereo", "{url}"]  # fmt: skip
# Playing for real (CPU/RSS): mpv's null output keeps real time like a sound card would.
FFMPEG_PLAY = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "{url}", "-f", "null", "-"]
MPV_PLAY = ["mpv", "--no-config", "--no-terminal", "--no-video", "--ao=null", "{url}"]
# Decoding a file as fast as possible (the engine's CLI decodes unpaced to a file output).
DECODE_COMMANDS = {
    "drivetime_cli": [ENGINE_CLI, "play", "{path}", "--output", "file:{raw}"],
    "opusdec": ["opusdec", "--quiet", "--no-dither", "{path}", "-"],
    "ffmpeg": ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "{path}", "-f", "s16le", "-"],
    "mpv": [*(p for p in MPV_PCM[:-1] if not p.startswith("--ao-pcm-file")),
            "--ao-pcm-file=/dev/null", "{path}"],
}  # fmt: skip
ENGINE_PLAY = [ENGINE_CLI, "play", "{url}", "--output", "{output}", "--mode", "live"]

PCM_BYTES_PER_S = 48_000 * 4


def command(template: list[str], **values: str) -> list[str]:
    return [part.format(**values) for part in template]


def printable(cmd: list[str]) -> str:
    return " ".join(cmd)


class Children:
    """Every process the benchmarks started; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, cmd: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.pop("DRIVETIME_CONFIG", None)  # the engine runs on its defaults
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(cmd, start_new_session=True, env=env, **kwargs)  # type: ignore[call-overload]
        with self._lock:
            self._procs.append(proc)
        return proc

    def terminate(self, proc: subprocess.Popen[bytes], timeout_s: float) -> int | None:
        """SIGTERM the child's group (as systemd stops the unit) and wait; its exit code, or
        None if it did not exit in ``timeout_s`` (``kill`` it then)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the child's process group and reap it; closes its pipes."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        with self._lock:
            if proc in self._procs:
                self._procs.remove(proc)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            self.kill(proc)


CHILDREN = Children()


def first_nonzero_byte_s(fd: int, started: float, timeout_s: float) -> float | None:
    """Seconds from ``started`` (monotonic) until a non-zero byte arrives on ``fd``.

    None if the stream ends or ``timeout_s`` passes first. Zero bytes (digital silence, such
    as the engine's output before the room plays) are read and ignored.
    """
    deadline = started + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        data = os.read(fd, 65_536)
        now = time.monotonic()
        if not data:
            return None
        if data.count(0) != len(data):
            return now - started
    return None


@dataclass
class PcmCapture:
    """Reads a child's PCM pipe on a thread, timestamping every chunk on arrival."""

    fd: int
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, bytes so far)
    data: bytearray = field(default_factory=bytearray)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> PcmCapture:
        self._thread = threading.Thread(target=self._run, name="pcm-capture", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 1 << 20)
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk
            self.chunks.append((time.monotonic(), len(self.data)))


class ExitWatch:
    """Notes when a child exits (on a thread that waits for it)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.exited_at: float | None = None
        threading.Thread(target=self._wait, name="exit-watch", daemon=True).start()

    def _wait(self) -> None:
        self.proc.wait()
        self.exited_at = time.monotonic()

    def report(self, since: float) -> dict[str, object]:
        """Whether it still runs, or its exit code and exit time relative to ``since``."""
        if self.exited_at is None:
            return {"still_playing": True}
        return {
            "still_playing": False,
            "exit_code": self.proc.returncode,
            "exited_after_s": round(self.exited_at - since, 1),
        }
