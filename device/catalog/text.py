"""Text as the catalog compares it: folded for search, hashtags parsed out of descriptions.

Everything indexed and every query goes through :func:`fold`, so both sides agree on what a
word is: case folded (``ß`` → ``ss``), compatibility-decomposed (``ﬁ`` → ``fi``, ``²`` →
``2``), accents stripped (``Beyoncé`` → ``beyonce``), a few letters NFKD leaves alone mapped
(``ø``, ``ł``, ``æ``…), and Cyrillic/Greek look-alikes inside an otherwise Latin word turned
Latin (``daft`` typed with a Cyrillic U+0430 for the ``a``, after a keyboard-layout switch,
finds ``daft``).
Words are runs of letters and digits, the same rule SQLite's ``unicode61`` tokenizer uses
(categories L*, N*), so a folded word is one FTS token.

Pure functions, no state: safe from any thread.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TAG_CHARS", "fold", "genre_key", "hashtags", "tag_key", "words"]

MAX_TAG_CHARS = 50
MAX_TAGS_PER_TEXT = 32

# Letters with no decomposition in Unicode, folded the way people type them without accents
# (U+0131 is the dotless i).
_EXTRA_FOLDS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "\u0131": "i"}
)
# Lower-case Cyrillic (U+04xx, U+05xx) and Greek (U+03xx) letters drawn like these Latin
# ones. Applied only inside a word that also has ASCII letters: a wholly Cyrillic or Greek
# word keeps its own script.
_LOOKALIKES = str.maketrans(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u04cf\u051b\u051d\u043a"
    "\u03bf\u03b1\u03bd\u03c1\u03b9\u03ba\u03c4\u03c5",
    "aeopcyxijsdhlqwkoavpiktu",
)
_LOOKALIKE_CHARS = frozenset(chr(code) for code in _LOOKALIKES)
_WORD = re.compile(r"[^\W_]+")
_ASCII_LETTER = re.compile(r"[a-z]")


def fold(text: str) -> str:
    """``text`` as search compares it: lower case, no accents, look-alikes made Latin."""
    if text.isascii():
        return text.lower()  # casefold and NFKD change nothing else in ASCII
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = stripped.translate(_EXTRA_FOLDS)
    if folded.isascii():
        return folded
    return _WORD.sub(_latinise_mixed_word, folded)


def _latinise_mixed_word(match: re.Match[str]) -> str:
    word = match.group()
    if _ASCII_LETTER.search(word) and any(ch in _LOOKALIKE_CHARS for ch in word):
        return word.translate(_LOOKALIKES)
    return word


def words(text: str) -> list[str]:
    """The folded words of ``text`` (runs of letters and digits), in order."""
    return _WORD.findall(fold(text))


def genre_key(genre: str) -> str:
    """One spelling per genre: ``Hip-Hop``, ``hip hop`` and ``HIP HOP`` → ``hip hop``."""
    return " ".join(words(genre))


def tag_key(tag: str) -> str:
    """One spelling per hashtag: ``#Lo-Fi``, ``lofi`` and ``lo_fi`` → ``lofi``.

    Hyphens and underscores inside a tag are spelling, not word breaks, so they vanish;
    a leading ``#`` is ignored. Returns "" for a tag with no letters or digits.
    """
    return "".join(words(tag.lstrip("#")))[:MAX_TAG_CHARS]


def hashtags(text: str) -> tuple[str, ...]:
    """The #hashtags written in ``text``, as written (without ``#``), first spelling per key.

    A tag starts at ``#`` that does not follow a letter, digit, ``&``, ``/`` or ``#`` (so
    ``C#``, ``&#39;`` and URL fragments are not tags) and runs over letters, digits, marks,
    ``-`` and ``_``; trailing ``-``/``_`` are dropped. ``#Müzik``, ``#lo-fi`` and ``#80s``
    are tags; ``#`` alone and ``#--`` are not.
    """
    text = unicodedata.normalize("NFC", text)
    found: list[str] = []
    seen: set[str] = set()
    index = text.find("#")
    while index != -1 and len(found) < MAX_TAGS_PER_TEXT:
        end = index + 1
        while end < len(text) and _is_tag_char(text[end]):
            end += 1
        before = text[index - 1] if index else " "
        tag = text[index + 1 : end].rstrip("-_")[:MAX_TAG_CHARS]
        key = tag_key(tag)
        if key and not (_is_word_char(before) or before in "&/#") and key not in seen:
            seen.add(key)
            found.append(tag)
        index = text.find("#", max(end, index + 1))
    return tuple(found)


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _is_tag_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM" or ch in "-_"
