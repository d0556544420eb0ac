"""An MP3 internet-radio station for tests: an ffmpeg-made MP3 sent to Icecast in real time.

Icecast's source protocol as radio encoders speak it (``PUT`` with ``Content-Type:
audio/mpeg``), paced at the file's bitrate and looped, so listeners get what a station on
the air sends them: MP3 frames cut anywhere by TCP, no timeline, Icecast's burst on join.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import threading
import time
from pathlib import Path

BITRATE = 128_000
SEND_EVERY_S = 0.05


def make_mp3_tone(path: Path, freq_hz: float, seconds: float = 4.0) -> Path:
    tone = f"sine=frequency={freq_hz}:sample_rate=44100:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", tone, "-ac", "2",
         "-c:a", "libmp3lame", "-b:a", f"{BITRATE // 1000}k", "-write_xing", "0", str(path)],
        check=True, timeout=30,
    )  # fmt: skip
    return path


class Mp3Station:
    def __init__(self, host: str, port: int, mount: str, password: str, mp3: bytes, name: str):
        self._address = (host, port)
        self._mount, self._password, self._mp3, self.name = mount, password, mp3, name
        self._stop = threading.Event()
        self._sock = socket.create_connection(self._address, timeout=5)
        self._sock.sendall(self._request())
        answer = self._sock.recv(4096)
        if b" 200 " not in answer.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"Icecast refused the MP3 source: {answer[:80]!r}")
        self._thread = threading.Thread(target=self._send, name="mp3 station", daemon=True)
        self._thread.start()

    def _request(self) -> bytes:
        credentials = base64.b64encode(f"source:{self._password}".encode()).decode()
        return (
            f"PUT {self._mount} HTTP/1.1\r\nHost: {self._address[0]}:{self._address[1]}\r\n"
            f"Authorization: Basic {credentials}\r\nContent-Type: audio/mpeg\r\n"
            f"Ice-Name: {self.name}\r\nIce-Public: 0\r\nIce-Bitrate: {BITRATE // 1000}\r\n\r\n"
        ).encode()

    def _send(self) -> None:
        chunk = int(BITRATE / 8 * SEND_EVERY_S)
        offset, started, sent = 0, time.monotonic(), 0
        while not self._stop.is_set():
            piece = self._mp3[offset : offset + chunk]
            offset = (offset + chunk) % len(self._mp3) if offset + chunk < len(self._mp3) else 0
            try:
                self._sock.sendall(piece)
            except OSError:
                return
            sent += 1
            time.sleep(max(0.0, started + sent * SEND_EVERY_S - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
