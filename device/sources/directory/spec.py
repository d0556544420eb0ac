"""Room directories chosen by spec strings in the config, and reading any of them.

* ``icecast:<base-url>`` — an Icecast 2.4+ server (``icecast:http://radio.local:8000``);
* ``playlist:<path or url>`` — an M3U/PLS file of stream URLs.

``str(spec)`` is the canonical form, and every entry a directory yields carries it in
``DirectoryEntry.source``: the catalog matches entries to the configured directory by it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import urlsplit

from device.sources.directory.entries import DirectoryListing
from device.sources.directory.icecast import fetch_icecast_listing, icecast_base_url
from device.sources.directory.playlist import load_playlist, playlist_location
from device.sources.http_stream import parse_room_url

__all__ = [
    "DIRECTORY_KINDS",
    "DirectorySpec",
    "DirectorySpecError",
    "fetch_directory",
    "parse_directory_spec",
]

DIRECTORY_KINDS = ("icecast", "playlist")
_USAGE = "use icecast:<base-url> or playlist:<path or url>"
_PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".pls")


class DirectorySpecError(ValueError):
    """A directory spec string that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class DirectorySpec:
    kind: str  # one of DIRECTORY_KINDS
    target: str  # canonical: base URL without trailing "/", or absolute path / URL

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"


def parse_directory_spec(text: str) -> DirectorySpec:
    """Parse and check ``kind:target``; raises :class:`DirectorySpecError`."""
    if not isinstance(text, str) or not text.strip():
        raise DirectorySpecError(f"empty directory spec: {_USAGE}")
    text = text.strip()
    kind, colon, target = text.partition(":")
    kind = kind.strip().lower()
    if not colon:
        raise DirectorySpecError(
            f"no directory kind in {text!r}: {_USAGE}{_did_you_mean(text, '')}"
        )
    if kind not in DIRECTORY_KINDS:
        raise DirectorySpecError(
            f"unknown directory kind {kind!r} in {text!r}: {_USAGE}{_did_you_mean(text, kind)}"
        )
    target = target.strip()
    if not target:
        raise DirectorySpecError(f"{kind}: needs a {_what(kind)} after the colon ({text!r})")
    if kind == "icecast":
        target = icecast_base_url(target)
        _check_http_url(text, target)
    else:
        target = playlist_location(target)
        if urlsplit(target).scheme.lower() in ("http", "https"):
            _check_http_url(text, target)
    return DirectorySpec(kind, target)


async def fetch_directory(spec: DirectorySpec | str, *, timeout_s: float = 5.0) -> DirectoryListing:
    """Read one directory now. Raises ``DirectoryError`` when it cannot be read at all."""
    if isinstance(spec, str):
        spec = parse_directory_spec(spec)
    if spec.kind == "icecast":
        return await fetch_icecast_listing(spec.target, timeout_s=timeout_s)
    return await load_playlist(spec.target, timeout_s=timeout_s)


def _check_http_url(text: str, url: str) -> None:
    try:
        parse_room_url(url + ("" if urlsplit(url).path else "/"))
    except ValueError as exc:
        raise DirectorySpecError(f"{text!r}: {exc}") from None


def _what(kind: str) -> str:
    return "base URL" if kind == "icecast" else "path or URL"


def _did_you_mean(text: str, kind: str) -> str:
    """A suggestion: a misspelt kind, or a bare URL or path that lacks its kind."""
    if kind in ("http", "https"):
        guessed = "playlist" if text.lower().endswith(_PLAYLIST_SUFFIXES) else "icecast"
        return f" (did you mean {guessed}:{text}?)"
    if kind == "file" or ":" not in text:
        return f" (did you mean playlist:{text}?)"
    close = difflib.get_close_matches(kind, DIRECTORY_KINDS, n=1, cutoff=0.5)
    if close:
        return f" (did you mean {close[0]}:{text.partition(':')[2].strip()}?)"
    return ""
