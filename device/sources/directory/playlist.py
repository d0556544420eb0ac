"""Rooms from M3U/M3U8 and PLS playlist files: the station lists internet-radio users have.

A playlist is read from a local path or an ``http://`` URL. Files from the wild are messy,
so nothing in a playlist's *entries* raises: a line that is not a stream URL, a ``TitleN``
without its ``FileN``, a duplicate, a line in Latin-1 — each is skipped or repaired and
described in the listing's ``problems``. Only a playlist that cannot be read at all (missing
file, HTTP error, an audio stream or web page instead of a playlist, binary data, a format
we do not read) raises ``DirectoryError``.

Relative entries are resolved against the playlist's own URL (after redirects). Entries
that name local files are skipped: local music is the library's business, not the room
directory's.
"""

from __future__ import annotations

import asyncio
import os
import re
from urllib.parse import unquote, urljoin, urlsplit

from device.sources.directory.entries import (
    DirectoryEntry,
    DirectoryError,
    DirectoryListing,
    split_genres,
)
from device.sources.directory.http_fetch import fetch_document
from device.sources.http_stream import HttpResponseHead

__all__ = ["load_playlist", "parse_playlist", "playlist_location"]

MAX_PLAYLIST_BYTES = 8 * 1024 * 1024
MAX_REPORTED_LINES = 5
PLAYLIST_MEDIA_TYPES = frozenset(
    {
        "audio/x-mpegurl", "audio/mpegurl", "application/x-mpegurl",
        "application/vnd.apple.mpegurl", "audio/x-scpls", "application/pls+xml", "audio/scpls",
    }
)  # fmt: skip
_STREAM_SCHEMES = frozenset({"http", "https"})
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]")
_PLS_KEY = re.compile(r"(file|title|length)([0-9]+)")
_EXTINF_ATTRIBUTE = re.compile(r'([A-Za-z0-9_-]+)="([^"]*)"')
_NESTED_PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".asx")
_AUDIO_MAGIC = (b"OggS", b"ID3", b"fLaC", b"RIFF", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def playlist_location(text: str) -> str:
    """The canonical form of a playlist location: an http(s) URL as given, else an absolute
    path (``~`` expanded, ``file://`` URLs turned into paths)."""
    location = text.strip()
    scheme = urlsplit(location).scheme.lower()
    if scheme in _STREAM_SCHEMES:
        return location
    if scheme == "file":
        location = unquote(urlsplit(location).path)
    return os.path.abspath(os.path.expanduser(location))


async def load_playlist(location: str, *, timeout_s: float = 5.0) -> DirectoryListing:
    """Read and parse the playlist at ``location`` (path or http URL) within ``timeout_s``."""
    where = playlist_location(location)
    if urlsplit(where).scheme.lower() in _STREAM_SCHEMES:
        document = await fetch_document(
            where,
            what="playlist",
            timeout_s=timeout_s,
            max_bytes=MAX_PLAYLIST_BYTES,
            check_head=_refuse_streams_and_pages,
        )
        return parse_playlist(document.body, where, base_url=document.url)
    try:
        async with asyncio.timeout(timeout_s):  # a dying USB stick can hang a read
            data = await asyncio.to_thread(_read_file, where)
    except TimeoutError:
        raise DirectoryError(f"playlist {where}: not readable within {timeout_s:g} s") from None
    return parse_playlist(data, where)


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_PLAYLIST_BYTES + 1)
    except FileNotFoundError:
        raise DirectoryError(f"playlist {path}: no such file") from None
    except IsADirectoryError:
        raise DirectoryError(f"playlist {path}: is a folder, not a playlist file") from None
    except OSError as exc:
        raise DirectoryError(f"playlist {path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_PLAYLIST_BYTES:
        raise DirectoryError(f"playlist {path}: larger than {MAX_PLAYLIST_BYTES // 2**20} MiB")
    return data


def _refuse_streams_and_pages(url: str, head: HttpResponseHead) -> None:
    media_type = head.media_type
    if media_type in PLAYLIST_MEDIA_TYPES:
        return
    if media_type.startswith("audio/") or media_type in ("application/ogg", "video/ogg"):
        raise DirectoryError(
            f"playlist {url}: is an audio stream ({media_type}), not a playlist: "
            "add it as a room URL instead"
        )
    if media_type in ("text/html", "application/xhtml+xml"):
        raise DirectoryError(f"playlist {url}: the server answered a web page, not a playlist")


def parse_playlist(data: bytes, location: str, *, base_url: str | None = None) -> DirectoryListing:
    """Entries of an M3U/M3U8 or PLS playlist (detected from the content, not the name).

    ``location`` names the playlist in the entries' ``source`` and in messages; relative
    entries resolve against ``base_url`` (default: ``location``, when it is a URL).
    """
    where = playlist_location(location)
    _refuse_non_text(data, where)
    lines, problems = _decode_lines(data)
    base = base_url or where
    significant = [line.strip() for line in lines if line.strip()]
    first = significant[0].lower() if significant else ""
    if first.startswith(("<?xml", "<playlist", "<asx", "<html", "<!doctype")):
        raise DirectoryError(
            f"playlist {where}: an XML/HTML document (XSPF and ASX playlists are not supported)"
        )
    is_pls = first == "[playlist]" or any(_PLS_KEY.match(line.lower()) for line in significant)
    parser = _PlsParser if is_pls else _M3uParser
    return parser(f"playlist:{where}", base, problems).parse(lines)


def _refuse_non_text(data: bytes, where: str) -> None:
    if data.startswith(_AUDIO_MAGIC):
        raise DirectoryError(f"playlist {where}: an audio file, not a playlist")
    if b"\0" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DirectoryError(f"playlist {where}: binary data, not a playlist")


def _decode_lines(data: bytes) -> tuple[list[str], list[str]]:
    """Lines as text: UTF-16 if it says so, else UTF-8 line by line, Latin-1 where not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace").splitlines(), []
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines: list[str] = []
    latin1_lines: list[int] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("latin-1"))
            latin1_lines.append(number)
    problems = []
    if latin1_lines:
        problems.append(f"{_lines_text(latin1_lines)} not UTF-8: read as Latin-1")
    return lines, problems


def _lines_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_REPORTED_LINES])
    hidden = len(numbers) - MAX_REPORTED_LINES
    more = f" and {hidden} more" if hidden > 0 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def _preview(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Parser:
    """Shared by both formats: resolving entries, de-duplicating, collecting problems."""

    def __init__(self, source: str, base: str, problems: list[str]) -> None:
        self.source = source
        self.base = base
        self.base_is_url = urlsplit(base).scheme.lower() in _STREAM_SCHEMES
        self.problems = problems
        self.entries: list[DirectoryEntry] = []
        self.first_line_of_url: dict[str, int] = {}

    def add(self, line: int, target: str, title: str, genres: tuple[str, ...] = ()) -> None:
        try:
            url = self.resolve(target)
            entry = DirectoryEntry(
                url=url,
                name=title.strip() or _name_from_url(url),
                description="",
                genres=genres,
                listeners=0,
                bitrate_kbps=None,
                public=True,  # the user's own list: nothing to hide
                source=self.source,
            )
        except ValueError as exc:
            self.problems.append(f"line {line}: {_preview(target)} skipped: {exc}")
            return
        if entry.url in self.first_line_of_url:
            first = self.first_line_of_url[entry.url]
            self.problems.append(f"line {line}: {entry.url} skipped: same as line {first}")
            return
        self.first_line_of_url[entry.url] = line
        self.entries.append(entry)

    def resolve(self, target: str) -> str:
        target = target.strip()
        if not target:
            raise ValueError("empty entry")
        scheme = urlsplit(target).scheme.lower()
        if scheme == "icy":  # SHOUTcast-era alias of http
            return "http" + target[3:]
        if scheme in _STREAM_SCHEMES:
            return target
        local = "a local file, not a stream (local music belongs to the library)"
        if _WINDOWS_PATH.match(target):
            raise ValueError(local)
        if scheme:
            raise ValueError(f"{scheme}: URLs are not supported (http and https streams only)")
        if not self.base_is_url:
            raise ValueError(local)
        if any(char.isspace() for char in target):
            raise ValueError("not a URL")
        url = urljoin(self.base, target.replace("\\", "/"))
        if urlsplit(url).path.lower().endswith(_NESTED_PLAYLIST_SUFFIXES):
            raise ValueError("a playlist inside the playlist (not followed)")
        return url

    def listing(self) -> DirectoryListing:
        return DirectoryListing(self.source, tuple(self.entries), tuple(self.problems))


class _M3uParser(_Parser):
    def parse(self, lines: list[str]) -> DirectoryListing:
        title, genres, title_line = "", (), 0
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            upper = line.upper()
            if upper.startswith("#EXTINF:"):
                if title_line:
                    self.problems.append(f"line {title_line}: #EXTINF without a URL after it")
                title, extinf_genres = _parse_extinf(line[len("#EXTINF:") :])
                genres = extinf_genres or genres
                title_line = number
            elif upper.startswith(("#EXTGENRE:", "#EXTGRP:")):
                genres = split_genres(line.partition(":")[2])
            elif line and not line.startswith("#"):  # other # lines are comments/directives
                self.add(number, line, title, genres)
                title, genres, title_line = "", (), 0
        if title_line:
            self.problems.append(f"line {title_line}: #EXTINF without a URL after it")
        return self.listing()


def _parse_extinf(text: str) -> tuple[str, tuple[str, ...]]:
    """``-1 tvg-logo="a,b" group-title="Jazz",Station`` → ("Station", ("Jazz",))."""
    in_quotes = False
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            attributes = dict(_EXTINF_ATTRIBUTE.findall(text[:index]))
            return text[index + 1 :].strip(), split_genres(attributes.get("group-title", ""))
    return "", ()  # no comma: a duration without a title


class _PlsParser(_Parser):
    def parse(self, lines: list[str]) -> DirectoryListing:
        fields: dict[int, dict[str, tuple[int, str]]] = {}
        declared: int | None = None
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith((";", "#")):
                continue
            if line.startswith("[") and line.endswith("]"):
                if line.lower() != "[playlist]":
                    self.problems.append(f"line {number}: section {line} ignored")
                continue
            key, sep, value = line.partition("=")
            key = key.strip().lower()
            if not sep:
                self.problems.append(f"line {number}: {_preview(line)} is not KEY=value")
            elif match := _PLS_KEY.fullmatch(key):
                entry = fields.setdefault(int(match[2]), {})
                if match[1] in entry:
                    self.problems.append(f"line {number}: {key} repeated, the first one kept")
                else:
                    entry[match[1]] = (number, value.strip())
            elif key == "numberofentries":
                declared = int(value) if value.strip().isdigit() else None
        for index in sorted(fields):
            self._add_pls_entry(index, fields[index])
        files = sum(1 for entry in fields.values() if "file" in entry)
        if declared is not None and declared != files:
            self.problems.append(f"NumberOfEntries says {declared}, the file has {files}")
        return self.listing()

    def _add_pls_entry(self, index: int, entry: dict[str, tuple[int, str]]) -> None:
        title_line, title = entry.get("title", (0, ""))
        if "file" not in entry:
            line = title_line or entry["length"][0]
            self.problems.append(f"line {line}: entry {index} has no File{index}")
            return
        line, target = entry["file"]
        self.add(line, target, title)


def _name_from_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{unquote(parts.path)}".rstrip("/") or url
