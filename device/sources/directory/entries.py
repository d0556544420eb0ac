"""The plain records every room directory produces, and the clean-up they get on the way in.

Directories are written by strangers (Icecast operators, playlist files from the web), so
text is normalised once, here: Unicode NFC, control characters removed, runs of whitespace
collapsed, lengths capped. A ``DirectoryEntry`` that constructs is safe to store and show;
one that cannot be made sensible raises ``ValueError`` (callers turn that into a reported
problem, never a crash).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_GENRES",
    "MAX_NAME_CHARS",
    "DirectoryEntry",
    "DirectoryError",
    "DirectoryListing",
    "clean_text",
    "split_genres",
]

MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
MAX_GENRES = 16
MAX_GENRE_CHARS = 60
ROOM_URL_SCHEMES = frozenset({"http", "https"})

# Controls, surrogates, private use and format characters (bidi overrides, zero-width space,
# BOM) are never shown; the zero-width (non-)joiners are kept: emoji sequences and Persian
# need them. Unassigned code points stay: they may be emoji newer than this Python.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_KEPT_FORMAT_CHARS = frozenset({"\u200c", "\u200d"})
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_GENRE_SEPARATORS = re.compile(r"[,;/|\\+]+")
# Words that glue the genre names around them into one ("Drum and Bass", "Rock & Roll").
_GENRE_JOINERS = frozenset({"&", "and", "n", "'n'", "n'"})
# Two-word genres that stations write without punctuation ("Hip Hop Jazz" is two genres).
_TWO_WORD_GENRES = frozenset(
    {
        "acid house", "acid jazz", "adult contemporary", "big band", "black metal",
        "bossa nova", "classic rock", "death metal", "deep house", "easy listening",
        "film score", "hard rock", "heavy metal", "hip hop", "indie pop", "indie rock",
        "lo fi", "new age", "new wave", "prog rock", "punk rock", "smooth jazz", "soft rock",
        "talk radio", "tech house", "top 40", "trip hop", "world music",
    }
)  # fmt: skip
_GENRE_PLACEHOLDERS = frozenset(
    {"", "-", "?", "n/a", "na", "none", "null", "undefined", "unknown", "unspecified",
     "default", "genre", "no genre", "various", "misc"}
)  # fmt: skip


class DirectoryError(Exception):
    """A directory could not be read at all (unreachable, not a directory, garbage, timeout).

    The message says which directory and why, in words a driver's passenger could act on.
    """


def clean_text(value: str, max_chars: int) -> str:
    """NFC, invisible characters dropped, whitespace runs collapsed to one space, capped."""
    text = unicodedata.normalize("NFC", value)
    if not text.isprintable():  # the slow path only for controls, format chars, odd spaces
        text = "".join(
            char
            for char in text
            if char.isspace()
            or char in _KEPT_FORMAT_CHARS
            or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        )
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def split_genres(text: str) -> tuple[str, ...]:
    """Split a free-text genre field into genres.

    Commas, semicolons, slashes, pipes and plus signs always separate ("Jazz, Blues",
    "Rock/Pop"). A part without them is split at spaces ("Rock Pop Alternative", the old
    SHOUTcast habit) except where words are glued by "and"/"&" ("Drum and Bass") or form a
    known two-word genre ("Hip Hop"). Placeholders ("Unspecified", "various", "-") vanish.
    """
    cleaned = clean_text(text, 4 * MAX_DESCRIPTION_CHARS)
    if cleaned.casefold() in _GENRE_PLACEHOLDERS:
        return ()
    genres: list[str] = []
    for part in _GENRE_SEPARATORS.split(cleaned):
        genres.extend(_split_words(part.split()))
    return _unique_genres(genres)


def _split_words(words: list[str]) -> list[str]:
    genres: list[str] = []
    index = 0
    while index < len(words):
        current = words[index]
        index += 1
        while index < len(words):
            word = words[index]
            if word.casefold() in _GENRE_JOINERS and index + 1 < len(words):
                current = f"{current} {word} {words[index + 1]}"
                index += 2
            elif f"{current} {word}".casefold() in _TWO_WORD_GENRES:
                current = f"{current} {word}"
                index += 1
            else:
                break
        genres.append(current)
    return genres


def _unique_genres(genres: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Cleaned, placeholders dropped, first spelling kept among case-insensitive duplicates."""
    seen: set[str] = set()
    unique: list[str] = []
    for genre in genres:
        text = clean_text(genre, MAX_GENRE_CHARS).strip(" .,;:!?-_'\"")
        key = text.casefold()
        if key in _GENRE_PLACEHOLDERS or key in seen:
            continue
        seen.add(key)
        unique.append(text)
    return tuple(unique[:MAX_GENRES])


@dataclass(frozen=True)
class DirectoryEntry:
    """One room as a directory lists it. Immutable; normalised and validated on construction.

    * ``url`` — the stream, ``http://`` or ``https://`` with a host (whitespace trimmed).
    * ``name`` — shown to the driver; never empty after cleaning.
    * ``description`` — may carry #hashtags (the catalog parses them); may be empty.
    * ``genres`` — a tuple (a bare string is refused: it would become one genre per letter);
      cleaned and de-duplicated case-insensitively, first spelling kept.
    * ``listeners`` — ``>= 0``; 0 when the directory does not say.
    * ``bitrate_kbps`` — ``None`` when unknown; otherwise ``> 0``.
    * ``public`` — the directory lists the room for anyone (Icecast's public flag where the
      server reveals it; 2.4.4 does not, and lists only non-hidden mounts, so True there).
    * ``source`` — the directory spec that produced the entry (``icecast:http://host:8000``),
      so the catalog can retire rooms that vanished from that directory.
    * ``media_type`` — e.g. ``application/ogg; codecs=opus`` or ``audio/mpeg``; "" unknown.
    * ``artist``, ``title`` — now playing as the directory reports it ("" when it does not:
      Icecast publishes it for MP3 and Vorbis mounts, never for Opus ones; see ``peek``).
    """

    url: str
    name: str
    description: str
    genres: tuple[str, ...]
    listeners: int
    bitrate_kbps: int | None
    public: bool
    source: str
    media_type: str = ""
    artist: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        self._set("url", _check_url(self.url))
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, not {type(self.name).__name__}")
        name = clean_text(self.name, MAX_NAME_CHARS)
        if not name:
            raise ValueError(f"room {self.url} has an empty name")
        self._set("name", name)
        if not isinstance(self.description, str):
            raise TypeError(f"description must be a string, not {type(self.description).__name__}")
        self._set("description", clean_text(self.description, MAX_DESCRIPTION_CHARS))
        if isinstance(self.genres, str) or not all(isinstance(g, str) for g in self.genres):
            raise TypeError(f"genres must be a tuple of strings, not {self.genres!r}")
        self._set("genres", _unique_genres(tuple(self.genres)))
        if isinstance(self.listeners, bool) or not isinstance(self.listeners, int):
            raise TypeError(f"listeners must be an int, not {self.listeners!r}")
        if self.listeners < 0:
            raise ValueError(f"listeners must be >= 0, not {self.listeners}")
        bitrate = self.bitrate_kbps
        if bitrate is not None and (isinstance(bitrate, bool) or not isinstance(bitrate, int)):
            raise TypeError(f"bitrate_kbps must be an int or None, not {bitrate!r}")
        if bitrate is not None and bitrate <= 0:
            raise ValueError(f"bitrate_kbps must be > 0 or None, not {bitrate}")
        if not isinstance(self.public, bool):
            raise TypeError(f"public must be a bool, not {self.public!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("source must name the directory spec that produced the entry")
        self._set("source", self.source.strip())
        self._set("media_type", clean_text(str(self.media_type), 100).lower())
        self._set("artist", clean_text(str(self.artist), MAX_NAME_CHARS))
        self._set("title", clean_text(str(self.title), MAX_NAME_CHARS))

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)  # frozen: normalising is construction


def _check_url(url: object) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a string, not {type(url).__name__}")
    text = url.strip()
    if _SPACE_OR_CONTROL.search(text):
        raise ValueError(f"room URL contains whitespace or control characters: {text!r}")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ROOM_URL_SCHEMES:
        raise ValueError(f"room URL must start with http:// or https://, got {text!r}")
    try:
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"room URL has an invalid port: {text!r}") from None
    if not host:
        raise ValueError(f"room URL has no host: {text!r}")
    return text


@dataclass(frozen=True)
class DirectoryListing:
    """What one read of a directory produced: the rooms, and what was skipped and why.

    ``problems`` are one line each, meant for a log or a settings screen ("line 7: 'foo' is
    not a URL"); a listing with problems is still a good listing.
    """

    source: str
    entries: tuple[DirectoryEntry, ...]
    problems: tuple[str, ...] = ()
