"""The search box's language, parsed into terms and written out as safe FTS5 expressions.

Syntax (every input is valid; nothing here raises):

* plain words match everything: room name, description, genres, hashtags, songs heard,
  local tracks' title, artist, album and genre;
* ``#tag`` — a hashtag (one word; ``#lo-fi`` = ``#lofi``); for local tracks, their genre;
* ``artist:``, ``song:``, ``album:``, ``genre:`` — the words after the prefix, up to the
  next prefix or ``#tag``, must match that field (``artist:daft punk song:around``);
* ``"quoted words"`` match as a phrase; an unclosed quote runs to the end;
* the last word is a prefix (search-as-you-type) unless the query ends in a space or a
  closing quote; every term must match (AND).

User text never becomes FTS syntax: each word is folded (:func:`~device.catalog.text.fold`)
to letters and digits and written as a quoted FTS string, so ``"``, ``*``, ``(``, ``AND``
and ``NEAR`` are just words (or nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from device.catalog.text import tag_key, words

__all__ = ["Field", "Term", "fts_expression", "parse"]

Field = Literal["any", "tag", "artist", "song", "album", "genre"]
_PREFIXES: dict[str, Field] = {"artist": "artist", "song": "song", "title": "song"}
_PREFIXES |= {"album": "album", "genre": "genre"}
_TOKEN = re.compile(r'"[^"]*"?|[^\s"]+')
_FIELD_PREFIX = re.compile(r"^(\w+):(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Term:
    """Words that must all match ``field``; as a phrase when quoted; the last word a prefix."""

    field: Field
    words: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False


def parse(query: str) -> list[Term]:
    """The terms of ``query``, in order; [] when it has no searchable word."""
    terms: list[Term] = []
    scope: Field = "any"
    for token in _TOKEN.findall(query):
        if token.startswith('"'):
            found = tuple(words(token.strip('"')))
            if found:
                terms.append(Term(scope, found, phrase=len(found) > 1))
            continue
        if token.startswith("#"):
            key = tag_key(token)
            if key:
                terms.append(Term("tag", (key,)))
            scope = "any"
            continue
        field_match = _FIELD_PREFIX.match(token)
        if field_match and field_match.group(1).lower() in _PREFIXES:
            scope = _PREFIXES[field_match.group(1).lower()]
            token = field_match.group(2)
        terms.extend(Term(scope, (word,)) for word in words(token))
    if terms and _ends_open(query):
        last = terms[-1]
        terms[-1] = Term(last.field, last.words, last.phrase, prefix=True)
    return terms


def _ends_open(query: str) -> bool:
    """Is the user still typing the last word (no trailing space, no closing quote)?"""
    if not query or query[-1].isspace():
        return False
    return not (query.endswith('"') and query.count('"') % 2 == 0)


def _fts_string(term: Term) -> str:
    """The term's words as FTS5 strings: one quoted phrase, or ANDed quoted words."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in term.words]
    if term.phrase:
        text = '"' + " ".join(word.replace('"', '""') for word in term.words) + '"'
        return text + ("*" if term.prefix else "")
    if term.prefix:
        quoted[-1] += "*"
    return " AND ".join(quoted)


def fts_expression(terms: list[Term], columns: dict[Field, tuple[str, ...]]) -> str | None:
    """An FTS5 MATCH expression requiring every term in the columns its field maps to.

    ``columns`` maps each field to the table's columns it may match; a field missing from
    it makes the whole expression impossible (None). None too when there are no terms.
    """
    parts: list[str] = []
    for term in terms:
        target = columns.get(term.field)
        if not target:
            return None
        parts.append("{" + " ".join(target) + "} : (" + _fts_string(term) + ")")
    return " AND ".join(parts) if parts else None
