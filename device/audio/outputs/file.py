"""``file:<path>``: raw 48 kHz stereo s16le written to a file, as a sound card would play it.

Paced (the default) it keeps real time, so the engine behaves as with a device; unpaced it
writes as fast as the source fills, e.g. ``play song.opus --output file:x.raw`` finishes in a
fraction of the song's duration. The file is created (truncated) when the output is opened,
and flushed and fsynced when the source ends and on ``stop``. A path that is not a regular
file (``/dev/null``, a pipe, ``/dev/fd/N``) cannot be fsynced: flushing it is all there is.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from device.audio.outputs.base import DEFAULT_FRAMES_PER_BLOCK, OutputError
from device.audio.outputs.writer import BlockWriterOutput


class FileOutput(BlockWriterOutput):
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        frames_per_block: int = DEFAULT_FRAMES_PER_BLOCK,
        volume: int = 100,
    ) -> None:
        self.path = Path(path).expanduser()
        super().__init__(f"file:{self.path}", frames_per_block=frames_per_block, volume=volume)
        try:
            self._file = open(self.path, "wb")  # noqa: SIM115 - lives as long as the output
        except OSError as exc:
            raise OutputError(
                f"cannot open output file {str(self.path)!r}: {exc.strerror}"
            ) from exc

    def _write_block(self, block: memoryview) -> None:
        self._file.write(block)

    def _flush(self) -> None:
        self._file.flush()
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            # EINVAL: a character device or pipe, which has nothing to make durable.
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
                raise

    def _close(self) -> None:
        try:
            self._flush()
        finally:
            self._file.close()
