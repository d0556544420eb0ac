"""The search box's language, parsed into terms and written out as safe FTS5 expressions.

Syntax (every input is valid; nothing here raises):

* plain words match everything: room name, description, genres, hashtags, songs heard,
  local tracks' title, artist, album and genre;
* ``#tag`` — a hashtag (one word; ``#lo-fi`` = ``#lofi``); for local tracks, their genre;
* ``artist:``, ``song:`` (or ``title:``), ``album:``, ``genre:`` — the words after the
  prefix, up to the next prefix or ``#tag``, must match that field (``artist:daft punk
  song:around``), so plain words go first (``live artist:daft punk``);
* ``"quoted words"`` match as a phrase; an unclosed quote runs to the end;
* the last word is a prefix (search-as-you-type) unless the query ends in a space or a
  closing quote; every term must match (AND).

User text never becomes FTS syntax: each word is folded (:func:`~device.catalog.text.fold`)
to letters and digits and written as a quoted FTS string, so ``"``, ``*``, ``(``, ``AND``
and ``NEAR`` are just words (or nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from device.catalog.text import tag_key, words

__all__ = ["Expand", "Field", "Term", "fts_expression", "parse"]

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


Expand = Callable[[str], "Sequence[str] | None"]
"""The indexed terms a prefix token starts, or None to let FTS5 expand it (``"token"*``)."""


def _no_expansion(token: str) -> None:
    return None


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_string(term: Term, mark: str, expand: Expand) -> str:
    """The term's words, marked, as FTS5 strings: one quoted phrase, or ANDed words."""
    tokens = [mark + word for word in term.words]
    if term.phrase:
        return _quoted(" ".join(tokens)) + ("*" if term.prefix else "")
    parts = [_quoted(token) for token in tokens]
    if term.prefix:
        expansions = expand(tokens[-1])
        if expansions is None:
            parts[-1] += "*"
        elif expansions:  # the words it starts, as an OR FTS5 can walk lazily
            parts[-1] = "(" + " OR ".join(_quoted(token) for token in expansions) + ")"
        # else: no indexed word starts with it; the exact token matches nothing, rightly
    return " AND ".join(parts)


def fts_expression(
    terms: Sequence[Term],
    marks: dict[Field, tuple[str, ...]],
    expand: Expand = _no_expansion,
) -> str | None:
    """An FTS5 MATCH expression requiring every term, in any of the fields (token marks,
    see :mod:`device.catalog.index`) its field maps to.

    A term whose field is missing from ``marks`` cannot match: the result is None; None
    too when there are no terms. Words are letters and digits only (folded), so quoting
    them is all the escaping FTS5 needs.
    """
    parts: list[str] = []
    for term in terms:
        fields = marks.get(term.field)
        if not fields:
            return None
        strings = [_fts_string(term, mark, expand) for mark in fields]
        parts.append("(" + " OR ".join(f"({string})" for string in strings) + ")")
    return " AND ".join(parts) if parts else None
