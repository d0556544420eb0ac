"""Small builders for catalog tests: rooms and tracks with sensible defaults."""

from __future__ import annotations

from device.catalog import RoomRecord, TrackRecord

SOURCE = "icecast:http://test.example:8000"


def room(
    slug: str,
    name: str | None = None,
    description: str = "",
    genres: tuple[str, ...] = (),
    listeners: int = 0,
    source: str = SOURCE,
) -> RoomRecord:
    return RoomRecord(
        url=f"http://test.example:8000/{slug}",
        name=name if name is not None else slug.title(),
        description=description,
        genres=genres,
        listeners=listeners,
        bitrate_kbps=96,
        public=True,
        source=source,
    )


def url(slug: str) -> str:
    return f"http://test.example:8000/{slug}"


def track(
    name: str,
    title: str = "",
    artist: str = "",
    album: str = "",
    genre: str = "",
    root: str = "/media/usb",
    mtime_ns: int = 1,
) -> TrackRecord:
    return TrackRecord(
        path=f"{root}/{name}",
        title=title,
        artist=artist,
        album=album,
        genre=genre,
        duration_s=200.0,
        mtime_ns=mtime_ns,
        size=4_000_000,
    )
