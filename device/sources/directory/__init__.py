"""Room directories: where rooms are listed and what they are playing.

Plain records out, no storage: the catalog (``device.catalog``) keeps and searches them.

* :func:`fetch_directory` reads any directory chosen by a spec string
  (``icecast:<base-url>``, ``playlist:<path or url>``; :func:`parse_directory_spec`);
* :func:`fetch_icecast` / :func:`load_playlist` read one kind directly;
* :func:`peek_now_playing` / :func:`peek_many` read the song on air in Ogg Opus rooms from
  their stream headers.

Everything here runs on the asyncio event loop and never blocks it.
"""

from device.sources.directory.entries import (
    DirectoryEntry,
    DirectoryError,
    DirectoryListing,
    split_genres,
)
from device.sources.directory.icecast import (
    fetch_icecast,
    fetch_icecast_listing,
    parse_icecast_status,
)
from device.sources.directory.peek import (
    NowPlayingPeek,
    PeekError,
    peek_many,
    peek_now_playing,
)
from device.sources.directory.playlist import load_playlist, parse_playlist
from device.sources.directory.spec import (
    DIRECTORY_KINDS,
    DirectorySpec,
    DirectorySpecError,
    fetch_directory,
    parse_directory_spec,
)

__all__ = [
    "DIRECTORY_KINDS",
    "DirectoryEntry",
    "DirectoryError",
    "DirectoryListing",
    "DirectorySpec",
    "DirectorySpecError",
    "NowPlayingPeek",
    "PeekError",
    "fetch_directory",
    "fetch_icecast",
    "fetch_icecast_listing",
    "load_playlist",
    "parse_directory_spec",
    "parse_icecast_status",
    "parse_playlist",
    "peek_many",
    "peek_now_playing",
    "split_genres",
]
