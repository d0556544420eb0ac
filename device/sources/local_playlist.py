"""Local-music playlists: an M3U/M3U8 file listing music files on the same stick or card.

Entries may be absolute or relative to the playlist's folder (what music players write);
comments and ``#EXT`` lines are skipped, and so are stream URLs (rooms are the directory's
business, see ``device.sources.directory.playlist``). Entries whose file is missing are kept:
the queue skips what does not open and says why, which beats a playlist silently shrinking.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_PLAYLIST_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 10_000


def read_local_playlist(path: Path) -> list[str]:
    """The music file paths the playlist lists, in order; ValueError for an unreadable or
    empty playlist (the message says which and why)."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_PLAYLIST_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"playlist {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PLAYLIST_BYTES:
        raise ValueError(f"playlist {path}: larger than {MAX_PLAYLIST_BYTES // 2**20} MiB")
    if b"\0" in data:
        raise ValueError(f"playlist {path}: binary data, not an M3U playlist")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # older players wrote .m3u in the system code page
    folder = path.parent
    paths: list[str] = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("file://"):
            entry = unquote(urlsplit(entry).path)
        elif "://" in entry:
            continue  # a stream, not a local file
        paths.append(str((folder / entry.replace("\\", "/")).resolve(strict=False)))
        if len(paths) == MAX_ENTRIES:
            break
    if not paths:
        raise ValueError(f"playlist {path}: lists no music files")
    return paths
