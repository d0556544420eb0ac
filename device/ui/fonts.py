"""Which font draws a text on the touchscreen, and what of the text is drawn.

Kivy 2.3.1's SDL2 text provider draws a Label with one font file and no fallback chain: a
character missing from that file comes out as a tofu box. Room names and tags come from
anyone, in any script, so ``display_font`` picks per text the first font of the chain that
has every character, and when none has them all, takes the one that has most and removes what
it lacks cleanly: whole emoji sequences (with their variation selectors, joiners and skin
tones), the spaces around them collapsed. Control characters and bidi overrides are removed
from every text: they would draw as boxes, or reorder what follows them.

The chain, first match wins:

* Roboto (Kivy's own, always there): Latin, Greek, Cyrillic;
* DejaVu Sans (``fonts-dejavu-core``): more Latin, symbols, text-style ☕ ❤ ♪;
* WenQuanYi Micro Hei (``fonts-wqy-microhei``): Chinese, Japanese, Korean *and* Latin, so a
  mixed name like "東京 FM" is drawn whole;
* Droid Sans Fallback (``fonts-droid-fallback``): rare ideographs (CJK Extension A). Last, as
  it has no Latin letters, no dots and no Hangul syllables.

Fonts missing on the machine are skipped (logged once). Coverage is read lazily, once per
font file, from its ``cmap`` table only; pure ASCII text never reads one. Called from the UI
thread.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Drawn instead when nothing of a non-empty text can be drawn (a name of emoji only): the
# driver sees that the room has a name the unit cannot show, not a blank label.
NOTHING_DRAWABLE = "…"

_SYSTEM_FONTS = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontFace:
    """One font of the chain: its regular file and its bold file (None: regular serves both,
    as Kivy does not embolden a font given by file name)."""

    name: str
    regular: Path
    bold: Path | None = None

    def file(self, bold: bool) -> Path:
        return self.bold if bold and self.bold is not None else self.regular


def _kivy_fonts() -> Path:
    # find_spec locates Kivy without importing it (an import would set Kivy up, window
    # provider and all, before the UI has chosen its environment).
    spec = importlib.util.find_spec("kivy")
    if spec is None or not spec.submodule_search_locations:
        return Path("/nonexistent/kivy/data/fonts")
    return Path(spec.submodule_search_locations[0]) / "data" / "fonts"


def _candidate_chain() -> tuple[FontFace, ...]:
    kivy_fonts = _kivy_fonts()
    return (
        FontFace("Roboto", kivy_fonts / "Roboto-Regular.ttf", kivy_fonts / "Roboto-Bold.ttf"),
        FontFace(
            "DejaVu Sans",
            _SYSTEM_FONTS / "dejavu" / "DejaVuSans.ttf",
            _SYSTEM_FONTS / "dejavu" / "DejaVuSans-Bold.ttf",
        ),
        FontFace("WenQuanYi Micro Hei", _SYSTEM_FONTS / "wqy" / "wqy-microhei.ttc"),
        FontFace("Droid Sans Fallback", _SYSTEM_FONTS / "droid" / "DroidSansFallbackFull.ttf"),
    )


@functools.cache
def font_chain() -> tuple[FontFace, ...]:
    """The fonts present on this machine, in the order they are tried."""
    present = []
    for face in _candidate_chain():
        if not face.regular.is_file():
            log.warning(
                "font %s not found at %s: text it alone covers is dropped", face.name, face.regular
            )
            continue
        if face.bold is not None and not face.bold.is_file():
            log.warning("bold %s not found at %s: bold text uses its regular", face.name, face.bold)
            face = FontFace(face.name, face.regular)
        present.append(face)
    if not present:
        raise RuntimeError(
            "no font to draw text with: Kivy's Roboto and the system fonts are all missing"
        )
    return tuple(present)


@functools.cache
def _codepoints(path: Path) -> frozenset[int]:
    """The characters a font file maps to glyphs. Index 0 of a collection (.ttc), which is
    the face SDL2_ttf opens for a file name."""
    from fontTools.ttLib import TTFont  # only once non-ASCII text appears

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap()
            if not cmap:
                raise ValueError("no Unicode cmap table")
            return frozenset(cmap)
    except Exception as error:  # a damaged font file must not take the UI down with it
        log.warning("font %s unreadable (%s): treated as covering nothing", path, error)
        return frozenset()


def preload_coverage() -> None:
    """Read every font's coverage now. The first non-ASCII text otherwise pays for it on the
    UI thread (~0.2 s on the 2-core VM, more on a Pi); the App can call this from a
    background thread at start-up."""
    for face in font_chain():
        for file in {face.regular, face.file(bold=True)}:
            _codepoints(file)


# --- cleaning: what never reaches the screen ---------------------------------------------

_ZWJ = "\u200d"
_EMOJI_TAGS = range(0xE0020, 0xE0080)  # subdivision flags: 🏴 + tag letters + cancel tag
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # two make a flag


def _is_glue(char: str) -> bool:
    """Format characters that bind an emoji sequence: kept until the cluster is judged."""
    return char == _ZWJ or ord(char) in _EMOJI_TAGS


def _without_controls(text: str) -> str:
    """Line breaks and tabs become spaces; other control, format (bidi overrides and marks,
    zero-width spaces, soft hyphens) and lone surrogate characters go; runs of spaces become
    one, none at the ends."""
    if not text.isprintable():
        kept = []
        for char in text:
            if char.isspace():
                kept.append(" ")
            elif unicodedata.category(char) not in ("Cc", "Cf", "Cs") or _is_glue(char):
                kept.append(char)
        text = "".join(kept)
    return " ".join(text.split())


# --- clusters: what is dropped together --------------------------------------------------


def _is_attachment(char: str) -> bool:
    """Drawn onto the character before it rather than on its own: combining marks,
    variation selectors (Mn), skin tones, and the glue of emoji sequences."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or ord(char) in _SKIN_TONES
        or _is_glue(char)
    )


def _clusters(text: str) -> list[str]:
    """The text cut where a user would see one character end: a base with its attachments,
    a ZWJ sequence, a pair of regional indicators."""
    clusters: list[str] = []
    for char in text:
        if clusters and (
            _is_attachment(char)
            or clusters[-1].endswith(_ZWJ)
            or (
                len(clusters[-1]) == 1
                and ord(clusters[-1]) in _REGIONAL_INDICATORS
                and ord(char) in _REGIONAL_INDICATORS
            )
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _drawable(text: str, covered: frozenset[int]) -> str:
    """The text less what the font lacks: a cluster whose base characters are not all there
    goes whole (half a family emoji means something else); a missing attachment goes alone."""
    kept = []
    for cluster in _clusters(text):
        bases = [char for char in cluster if not _is_attachment(char)] or [cluster[0]]
        if all(ord(char) in covered for char in bases):
            kept.append("".join(char for char in cluster if ord(char) in covered))
    return " ".join("".join(kept).split())


# --- the choice --------------------------------------------------------------------------


def display_font(text: str, bold: bool = False) -> tuple[str, str]:
    """``(font file path, text to draw)`` for a label: the first font of the chain that has
    every character of the cleaned text; else the one that has most, with what it lacks
    removed. Text of which nothing is drawable becomes ``NOTHING_DRAWABLE``; empty (or blank)
    text stays empty. Idempotent: the text it returns comes back unchanged."""
    chain = font_chain()
    text = _without_controls(text)
    if text.isascii():  # every font but Droid has all of printable ASCII
        return str(chain[0].file(bold)), text
    text = unicodedata.normalize("NFC", text)  # "e" + U+0301 → "é", which Roboto has
    best_count, best_covered = -1, frozenset()
    for face in chain:
        file = face.file(bold)
        covered = _codepoints(file)
        count = sum(ord(char) in covered for char in text)
        if count == len(text):
            return str(file), text
        if count > best_count:
            best_count, best_covered = count, covered
    drawn = _drawable(text, best_covered)
    if not drawn:
        return str(chain[0].file(bold)), NOTHING_DRAWABLE
    # What is left may be covered whole by an earlier font of the chain: take that one, so
    # that the text returned, given again, comes back with the same font.
    return display_font(drawn, bold)
