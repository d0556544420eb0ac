"""The touchscreen's words for the gettext catalogs: found in the sources, written as a
template, merged into each language's ``.po`` and compiled to the ``.mo`` that ``tr`` loads.

A word is a string literal in ``tr._("...")``, ``_("...")`` or ``N_("...")`` in any ``.py`` or
``.kv`` file under ``device/ui`` (kv values are Python expressions, so both are read with
Python's tokenizer). A call whose argument is not a literal hides its words from the catalogs,
so it is a problem unless it is one of the ``REVIEWED_LOOKUPS`` below — and then the
constants it reads must hold ``N_``-marked words.

After changing words on screen::

    python -m device.ui.catalog_words update    # template + merge into every .po
    (translate the empty and fuzzy entries in locale/<lang>/LC_MESSAGES/drivetime.po)
    python -m device.ui.catalog_words compile   # .po → .mo

Imports no Kivy: it runs in tests and on a build machine without a window.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

UI_DIR = Path(__file__).resolve().parent
LOCALE_DIR = UI_DIR / "locale"
DOMAIN = "drivetime"  # as device.ui.i18n.DOMAIN, which cannot be imported here (it loads Kivy)
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
HEADER = """\
# The words on the Drivetime touchscreen.
# Made by `python -m device.ui.catalog_words update`: do not edit the template by hand."""

# Calls whose argument is not a literal, read and found to look up N_-marked words:
# (file from the repository root, the argument as written with whitespace collapsed).
REVIEWED_LOOKUPS = frozenset(
    {
        ("device/ui/presenters.py", "STATE_WORDS[state]"),
        ("device/ui/presenters.py", "one"),  # _count(n, one, many): callers pass N_("...")
        ("device/ui/presenters.py", "many"),
        ("device/ui/app.py", "RESTARTING_WORDS if self._ever_connected else CONNECTING_WORDS"),
        ("device/ui/screens/bluetooth.py", 'PAIRING_WORDS.get(state, PAIRING_WORDS["closed"])'),
        ("device/ui/screens/library.py", "EMPTY_WORDS"),
        ("device/ui/item_list.py", "self.empty_words"),  # each screen's N_("...") words
    }
)
CONSTANT = re.compile(r"\b[A-Z][A-Z0-9_]*\b")


class CatalogError(Exception):
    """Words that cannot reach the catalogs, one ``file:line: why`` per line."""


@dataclass
class Scan:
    words: dict[str, list[str]] = field(default_factory=dict)  # word → ["file:line", ...]
    problems: list[str] = field(default_factory=list)  # "file:line: why"


@dataclass
class _Call:
    line: int
    argument: str  # as written, whitespace collapsed
    word: str | None  # None: not a single string literal


def scan(root: Path = UI_DIR) -> Scan:
    """Every marked word under ``root`` and every call that hides its words."""
    found = Scan()
    base = root.resolve().parents[1]  # places read "device/ui/app.kv:65"
    sources = sorted([*root.rglob("*.py"), *root.rglob("*.kv")])
    for path in sources:
        name = path.resolve().relative_to(base).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            calls = _calls(text, kv=path.suffix == ".kv")
        except (tokenize.TokenError, SyntaxError) as exc:
            found.problems.append(f"{name}: cannot be read for words: {exc}")
            continue
        for call in calls:
            place = f"{name}:{call.line}"
            if call.word is not None:
                places = found.words.setdefault(call.word, [])
                if place not in places:  # two words on one line
                    places.append(place)
            elif (name, call.argument) not in REVIEWED_LOOKUPS:
                found.problems.append(
                    f"{place}: _({call.argument}) is not a string literal, so its words are "
                    "not in the catalogs; mark them with N_() where they are written and add "
                    "the lookup to REVIEWED_LOOKUPS in device/ui/catalog_words.py"
                )
            elif path.suffix == ".py":
                found.problems += _unmarked_constants(name, text, call.argument)
    return found


def ui_words(root: Path = UI_DIR) -> dict[str, list[str]]:
    """Word → the ``file:line`` places it is written; raises ``CatalogError`` if any call
    hides its words from the catalogs."""
    found = scan(root)
    if found.problems:
        raise CatalogError("\n".join(found.problems))
    return found.words


def _calls(text: str, kv: bool) -> list[_Call]:
    """The ``tr._``/``_``/``N_`` calls in one file. A kv file's indentation means nothing to
    Python's tokenizer (and would upset it), so its lines are read flush left."""
    if kv:
        text = "".join(line.lstrip(" \t") for line in text.splitlines(keepends=True))
    lines = text.splitlines()
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    calls = []
    for index in range(len(tokens) - 1):
        if _is_marker(tokens, index) and tokens[index + 1].string == "(":
            calls.append(_read_call(tokens, index + 2, lines))
    return calls


def _is_marker(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """``tr._``, a bare ``_`` or ``N_`` (not their definitions, not other objects' ``_``)."""
    name = tokens[index]
    before = [token.string for token in tokens[max(0, index - 2) : index]]
    if name.type != tokenize.NAME or name.string not in ("_", "N_") or before[-1:] == ["def"]:
        return False
    if name.string == "_" and before[-1:] == ["."]:
        return before == ["tr", "."]
    return True


def _read_call(tokens: list[tokenize.TokenInfo], start: int, lines: list[str]) -> _Call:
    depth, end = 1, start
    while end < len(tokens) and depth:
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(tokens[end].string, 0)
        end += 1
    inside = tokens[start : end - 1]
    argument = " ".join(_source(lines, inside[0].start, inside[-1].end).split()) if inside else ""
    word = None
    if inside and all(token.type == tokenize.STRING for token in inside):
        try:
            value = ast.literal_eval(argument)  # f-strings and bytes are not words
        except (ValueError, SyntaxError):
            value = None
        word = value if isinstance(value, str) else None
    return _Call(tokens[start - 2].start[0], argument, word)


def _source(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (first_row, first_col), (last_row, last_col) = start, end
    if first_row == last_row:
        return lines[first_row - 1][first_col:last_col]
    middle = lines[first_row : last_row - 1]
    return "\n".join([lines[first_row - 1][first_col:], *middle, lines[last_row - 1][:last_col]])


def _unmarked_constants(name: str, text: str, argument: str) -> list[str]:
    """A reviewed lookup reads module constants: each string they hold must be N_-marked."""
    wanted = set(CONSTANT.findall(argument))
    problems = []
    for statement in ast.parse(text).body:
        targets = getattr(statement, "targets", None) or [getattr(statement, "target", None)]
        value = getattr(statement, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and target.id in wanted and value is not None:
                wanted.discard(target.id)
                for line in _unmarked_strings(value):
                    problems.append(
                        f"{name}:{line}: {target.id} holds words not marked with N_(), "
                        f"so _({argument}) shows them untranslated"
                    )
    for constant in sorted(wanted):  # imported, or renamed: its words cannot be checked here
        problems.append(f"{name}: {constant}, read by _({argument}), is not assigned in this file")
    return problems


def _unmarked_strings(node: ast.expr) -> list[int]:
    """Lines of string literals in a constant's value that are not inside ``N_(...)`` (the
    keys of a dict are codes, not words)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
        return []
    if isinstance(node, ast.Constant):
        return [node.lineno] if isinstance(node.value, str) else []
    parts = node.values if isinstance(node, ast.Dict) else list(ast.iter_child_nodes(node))
    return [
        line for part in parts if isinstance(part, ast.expr) for line in _unmarked_strings(part)
    ]


# --- the catalogs ---------------------------------------------------------------------------


def template(words: dict[str, list[str]], creation_date: datetime | None = None) -> Catalog:
    catalog = Catalog(
        project="Drivetime",
        header_comment=HEADER,
        creation_date=creation_date or datetime.now().astimezone(),
    )
    for word, places in sorted(words.items()):
        locations = [(file, int(line)) for file, line in (p.rsplit(":", 1) for p in places)]
        # A literal with {placeholders} is not a %-format: say so, or tools would guess.
        flags = ["python-brace-format"] if "{" in word else []
        catalog.add(word, locations=locations, flags=flags)
    return catalog


def write_template(path: Path = TEMPLATE, root: Path = UI_DIR) -> Catalog:
    """Write the ``.pot`` of every word under ``root``, with the files it is in. An unchanged
    template keeps its date, so re-running changes no file when no word changed."""
    words = ui_words(root)
    old = _read(path) if path.exists() else None
    fresh = template(words)
    if old is not None and _entries(old) == _entries(fresh):
        fresh = template(words, old.creation_date)
    with path.open("wb") as out:
        write_po(out, fresh, width=100, include_lineno=False)
    return fresh


def catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Each language's ``.po``."""
    return sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def update(locale_dir: Path = LOCALE_DIR, root: Path = UI_DIR) -> dict[str, list[str]]:
    """Rewrite the template and merge it into every ``.po``, keeping translations; words no
    longer used are dropped. Returns each ``.po``'s words still needing a translator."""
    fresh = write_template(locale_dir / f"{DOMAIN}.pot", root)
    pending = {}
    for po_path in catalogs(locale_dir):
        catalog = _read(po_path)
        catalog.update(fresh, update_header_comment=False)
        with po_path.open("wb") as out:
            write_po(out, catalog, width=100, include_lineno=False, ignore_obsolete=True)
        pending[str(po_path)] = untranslated(catalog)
    return pending


def untranslated(catalog: Catalog) -> list[str]:
    """Words with no translation, or only a guess (fuzzy) that gettext will not use."""
    return [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def compiled(po_path: Path) -> bytes:
    """The ``.mo`` for ``po_path``, as ``compile`` writes it."""
    out = io.BytesIO()
    write_mo(out, _read(po_path))
    return out.getvalue()


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    written = []
    for po_path in catalogs(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        mo_path.write_bytes(compiled(po_path))
        written.append(mo_path)
    return written


def _read(path: Path) -> Catalog:
    language = path.parent.parent.name if path.suffix == ".po" else None
    with path.open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def _entries(catalog: Catalog) -> list[tuple[str, list[str]]]:
    """What the template says of each word: its files (lines move too often to be worth a
    diff in the catalogs; ``scan`` gives them)."""
    return [(m.id, sorted({file for file, _ in m.locations})) for m in catalog if m.id]


def main(argv: list[str]) -> int:
    command = argv[0] if len(argv) == 1 else ""
    if command not in ("update", "compile"):
        print("usage: python -m device.ui.catalog_words update|compile", file=sys.stderr)
        return 2
    if command == "compile":
        for path in compile_all():
            print(f"wrote {path}")
        return 0
    try:
        pending = update()
    except CatalogError as exc:
        print(f"words that cannot reach the catalogs:\n{exc}", file=sys.stderr)
        return 1
    for po_path, words in pending.items():
        print(f"{po_path}: {len(words)} to translate" + "".join(f"\n  {w!r}" for w in words))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
