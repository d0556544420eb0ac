"""Rooms from an Icecast server's ``/status-json.xsl`` (Icecast 2.4 and later).

What the status looks like in the wild, and what is done about it:

* ``icestats.source`` is an object when the server has one source, a list when it has
  several, and absent when it has none.
* ``listenurl`` is built from the server's *configured* hostname (often ``localhost``), not
  the address we reached it on: a room's URL is our base URL plus the mount path.
* Icecast 2.4's XSLT turns text that looks like a number into a JSON number (a title "1999",
  a genre "80"), "true"/"false" into booleans, and writes some values bare, which is invalid
  JSON (``"title": -``, ``"title":.5``, ``"title":,``). Numbers are read back as their
  original text, and bare values are quoted before a second parse attempt.
* Sources send their ``ice-*`` headers in whatever encoding they like and Icecast passes the
  bytes through: strings that are not UTF-8 are read as Latin-1.
* The bitrate is ``bitrate`` or ``ice-bitrate`` (kb/s), ``audio_bitrate`` (b/s) or only inside
  ``audio_info`` (``bitrate=128``), or missing.

Fetching runs on the event loop; parsing is pure and never raises for a bad *source* (that
source is skipped and reported in ``problems``), only for a bad *document*.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from device.sources.directory.entries import (
    MAX_NAME_CHARS,
    DirectoryEntry,
    DirectoryError,
    DirectoryListing,
    clean_text,
    split_genres,
)
from device.sources.directory.http_fetch import fetch_document
from device.sources.http_stream import HttpResponseHead

__all__ = [
    "STATUS_PATH",
    "fetch_icecast",
    "fetch_icecast_listing",
    "icecast_base_url",
    "parse_icecast_status",
    "quote_bare_values",
]

log = logging.getLogger(__name__)

STATUS_PATH = "/status-json.xsl"
MAX_STATUS_BYTES = 8 * 1024 * 1024  # ~10,000 mounts; a bigger answer is not a status page
MAX_BITRATE_KBPS = 10_000  # above this a "kb/s" value must be b/s (or nonsense)
_PLACEHOLDER_NAMES = frozenset({"unspecified name", "no name", "(none)"})
_PLACEHOLDER_DESCRIPTIONS = frozenset({"unspecified description", "no description", "(none)"})
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"
_JSON_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)  # unterminated: to the end
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a non-UTF-8 byte kept by surrogateescape
# Where a bare (unquoted) value ends: before the next key, or the end of its container.
_BARE_END_IN_OBJECT = re.compile(r'\s*(?:,\s*"|[}\]]|\n|$)')
_BARE_END_IN_ARRAY = re.compile(r"\s*(?:[,\]]|\n|$)")


def icecast_base_url(url: str) -> str:
    """The server's base URL as given, without a trailing ``/`` or ``/status-json.xsl``."""
    base = url.strip().rstrip("/")
    if base.lower().endswith(STATUS_PATH):
        base = base[: -len(STATUS_PATH)]
    return base


async def fetch_icecast(base_url: str, *, timeout_s: float = 5.0) -> list[DirectoryEntry]:
    """The rooms an Icecast server lists now. Raises ``DirectoryError`` (see the listing)."""
    return list((await fetch_icecast_listing(base_url, timeout_s=timeout_s)).entries)


async def fetch_icecast_listing(base_url: str, *, timeout_s: float = 5.0) -> DirectoryListing:
    """Read ``<base_url>/status-json.xsl`` within ``timeout_s`` (connect included).

    Raises ``DirectoryError`` when the server is unreachable, stalls, answers an error or an
    HTML page, or sends something that is not an Icecast status even after repair. Sources
    that make no sense are skipped and listed in ``problems`` (and logged).
    """
    base = icecast_base_url(base_url)
    document = await fetch_document(
        base + STATUS_PATH,
        what="Icecast status",
        timeout_s=timeout_s,
        max_bytes=MAX_STATUS_BYTES,
        accept="application/json",
        check_head=_refuse_html,
    )
    listing = parse_icecast_status(document.body, base)
    for problem in listing.problems:
        log.warning("%s: %s", listing.source, problem)
    return listing


def _refuse_html(url: str, head: HttpResponseHead) -> None:
    if head.media_type in ("text/html", "application/xhtml+xml"):
        raise DirectoryError(
            f"Icecast status {url}: the server answered an HTML page, not JSON "
            "(not an Icecast 2.4+ server, or a captive portal?)"
        )


def parse_icecast_status(body: bytes, base_url: str) -> DirectoryListing:
    """Entries from a status document; ``DirectoryError`` if the document itself is unusable."""
    base = icecast_base_url(base_url)
    spec = f"icecast:{base}"
    stats = _load_icestats(body, base)
    raw_sources = stats.get("source")
    if raw_sources is None:
        return DirectoryListing(spec, ())  # Icecast omits the key when no source is live
    if isinstance(raw_sources, dict):
        raw_sources = [raw_sources]
    if not isinstance(raw_sources, list):
        raise DirectoryError(f"Icecast status {base}: 'source' is neither an object nor a list")
    entries: list[DirectoryEntry] = []
    problems: list[str] = []
    seen_urls: set[str] = set()
    for index, raw in enumerate(raw_sources):
        try:
            entry = _entry(raw, base, spec)
        except (TypeError, ValueError) as exc:
            problems.append(f"source #{index + 1} skipped: {exc}")
            continue
        if entry.url in seen_urls:
            problems.append(f"source #{index + 1} skipped: {entry.url} is listed twice")
            continue
        seen_urls.add(entry.url)
        entries.append(entry)
    return DirectoryListing(spec, tuple(entries), tuple(problems))


def _load_icestats(body: bytes, base: str) -> dict[str, Any]:
    where = f"Icecast status {base}{STATUS_PATH}"
    text = body.decode("utf-8", "surrogateescape").lstrip("\ufeff \t\r\n")
    if text[:1] == "<":
        raise DirectoryError(f"{where}: the server answered an HTML/XML page, not JSON")
    if not text:
        raise DirectoryError(f"{where}: the server answered an empty document")
    try:
        document = _json_loads(text)
    except json.JSONDecodeError:
        try:
            document = _json_loads(quote_bare_values(text))
        except json.JSONDecodeError as exc:
            raise DirectoryError(
                f"{where}: invalid JSON that could not be repaired "
                f"({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None
    stats = document.get("icestats") if isinstance(document, dict) else None
    if not isinstance(stats, dict):
        raise DirectoryError(f"{where}: JSON without an 'icestats' object (not Icecast?)")
    return stats


def _json_loads(text: str) -> Any:
    # Numbers stay text: a title "1999" or "007" must come back as written. strict=False
    # accepts the raw control characters Icecast leaves in strings.
    return json.loads(
        text, strict=False, parse_int=str, parse_float=str, parse_constant=lambda word: word
    )


def quote_bare_values(text: str) -> str:
    """Quote the bare values Icecast 2.4 writes into its JSON; a missing value becomes null.

    ``{"title": -, "genre": Rock Pop, "x":}`` → ``{"title": "-", "genre": "Rock Pop",
    "x":null}``. Valid JSON passes through unchanged. Keys are never touched.
    """
    out: list[str] = []
    stack: list[str] = []
    expect_value = False  # after ":" in an object, or "[" / "," in an array
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            end = _string_end(text, index)
            out.append(text[index:end])
            index, expect_value = end, False
            continue
        if char.isspace():
            out.append(char)
            index += 1
            continue
        if char in ",}]" and expect_value and stack[-1:] == ["{"]:
            out.append("null")  # "key":, or "key":}
        if char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
        if char in "{[}]:,":
            out.append(char)
            index += 1
            in_array = stack[-1:] == ["["]
            expect_value = char == ":" or (char in "[," and in_array)
            continue
        ender = _BARE_END_IN_ARRAY if stack[-1:] == ["["] else _BARE_END_IN_OBJECT
        match = ender.search(text, index)
        end = match.start() if match else len(text)
        token = text[index:end].strip()
        if expect_value and not _JSON_LITERAL.fullmatch(token):
            token = json.dumps(token, ensure_ascii=False)
        out.append(token)
        index, expect_value = max(end, index + 1), False
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    """Index just after the JSON string starting at ``start`` (or the end of the text)."""
    match = _JSON_STRING.match(text, start)
    assert match is not None  # the pattern matches any text that starts with a quote
    return match.end()


def _entry(raw: object, base: str, spec: str) -> DirectoryEntry:
    if not isinstance(raw, dict):
        raise ValueError(f"not an object ({type(raw).__name__})")
    mount = _mount_path(raw)
    name = _text(raw.get("server_name"))
    if name.casefold() in _PLACEHOLDER_NAMES or not clean_text(name, MAX_NAME_CHARS):
        name = mount.lstrip("/")
    description = _text(raw.get("server_description"))
    if description.casefold() in _PLACEHOLDER_DESCRIPTIONS:
        description = ""
    return DirectoryEntry(
        url=base + quote(mount, safe=_PATH_SAFE),
        name=name,
        description=description,
        genres=split_genres(_text(raw.get("genre"))),
        listeners=max(0, _number(raw.get("listeners")) or 0),
        bitrate_kbps=_bitrate_kbps(raw),
        public=_public(raw),
        source=spec,
        media_type=_media_type(raw),
        artist=_song_text(raw.get("artist")),
        title=_song_text(raw.get("title")),
    )


def _mount_path(raw: dict[str, Any]) -> str:
    listen_url = _text(raw.get("listenurl")).strip()
    if listen_url:
        parts = urlsplit(listen_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        path = _text(raw.get("mount")).strip()  # Icecast-KH and 2.5 also name the mount
    if not path.startswith("/") or len(path) < 2:
        raise ValueError(f"no usable mount in listenurl {listen_url!r}")
    return path


def _text(value: object) -> str:
    """A string field as text: numbers arrive as their text, booleans as words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return ""
    if _ESCAPED_BYTE.search(value):
        # Not UTF-8 (surrogateescape kept the bytes): a Latin-1 source, most likely.
        raw = value.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return value


def _song_text(value: object) -> str:
    """Artist/title; " - " (an MP3 source's "artist - title" with both empty) is nothing."""
    text = _text(value)
    return text if text.strip(" -_.\u2013\u2014") else ""


def _number(value: object) -> int | None:
    """An integer field; text such as "128" or "128.0" counts, anything else is None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number == number and abs(number) < 1e12 else None


def _bitrate_kbps(raw: dict[str, Any]) -> int | None:
    pairs = (part.partition("=") for part in _text(raw.get("audio_info")).split(";"))
    info = {key.strip().lower(): value for key, _, value in pairs}
    candidates = (
        raw.get("bitrate"),
        raw.get("ice-bitrate"),
        raw.get("audio_bitrate"),
        info.get("bitrate"),
        info.get("ice-bitrate"),
    )
    for candidate in candidates:
        value = _number(candidate)
        if value is None or value <= 0:
            continue
        if value > MAX_BITRATE_KBPS:
            value = round(value / 1000)  # audio_bitrate is in bits per second
        if 0 < value <= MAX_BITRATE_KBPS:
            return value
    return None


def _public(raw: dict[str, Any]) -> bool:
    for key in ("public", "server_public", "ice-public"):
        value = raw.get(key)
        if isinstance(value, bool):
            return value
        text = _text(value).strip().lower()
        if text in ("1", "yes", "true"):
            return True
        if text in ("0", "no", "false"):  # (Icecast's -1 means "not set")
            return False
    return True  # 2.4.4 hides the flag; it never lists hidden mounts at all


def _media_type(raw: dict[str, Any]) -> str:
    media_type = _text(raw.get("server_type")).strip().lower()
    codec = _text(raw.get("subtype")).strip().lower()
    if media_type and codec and media_type.endswith("ogg"):
        return f"{media_type}; codecs={codec}"
    return media_type
