"""The touchscreen in Italian: every word on screen has a translation that keeps its
placeholders, the committed catalogs are current and compiled, a switch re-renders what is
shown, and the Italian words fit the 800x480 panel."""

from __future__ import annotations

import gc
import json
import shutil
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.uix.label import Label

from device.config import Config
from device.ui import catalog_words
from device.ui.app import DrivetimeApp
from device.ui.i18n import system_language, tr
from device.ui.sample import LONG_EVENTS, LONG_LISTS, LONG_PAIRING, LONG_PRESETS
from device.ui.settings_store import UiSettings, save_settings
from device.ui.staging import VIEWS, mount, stage, unmount
from tests.ui.driver_rules import breaches, visible
from tests.ui.screen import frames, showing, tap

PO = catalog_words.LOCALE_DIR / "it" / "LC_MESSAGES" / "drivetime.po"
MO = PO.with_suffix(".mo")
NAV = ("nav_now_playing", "nav_rooms", "nav_search", "nav_library", "nav_presets", "nav_more")
NAV_WORDS = ("Playing", "Rooms", "Search", "Music", "Presets", "More")
REDO = "run `python -m device.ui.catalog_words update`, translate, then `... compile`"


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """``tr`` is process-global: every test leaves the touchscreen in English."""
    yield
    tr.switch("en")


@pytest.fixture(scope="module")
def italian() -> Catalog:
    with PO.open("rb") as source:
        return read_po(source, locale="it")


def fields(text: str) -> list[tuple[str | None, str | None, str | None]]:
    """The ``{name:spec!conversion}`` fields of a str.format text, in order of name."""
    parsed = string.Formatter().parse(text)
    return sorted((name, spec, conv) for _, name, spec, conv in parsed if name is not None)


# --- the catalogs ------------------------------------------------------------------------------


def test_every_word_reaches_the_catalogs():
    found = catalog_words.scan()
    assert found.problems == [], "\n".join(found.problems)


def test_every_word_on_screen_has_italian_with_the_same_placeholders(italian):
    missing, broken = [], []
    for word, places in catalog_words.scan().words.items():
        message = italian.get(word)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{word!r} ({places[0]})")
        elif fields(message.string) != fields(word):
            broken.append(f"{word!r} → {message.string!r}")
    assert missing == [], f"no Italian for {len(missing)} words ({REDO}): {missing}"
    assert broken == [], f"placeholders changed: {broken}"


def test_the_committed_mo_is_the_compiled_po():
    assert MO.read_bytes() == catalog_words.compiled(PO), (
        "drivetime.mo is stale: run `python -m device.ui.catalog_words compile`"
    )


def test_the_template_holds_the_words_of_the_sources():
    with catalog_words.TEMPLATE.open("rb") as source:
        template = read_po(source)
    in_template = {m.id: {file for file, _ in m.locations} for m in template if m.id}
    in_sources = {
        word: {place.rsplit(":", 1)[0] for place in places}
        for word, places in catalog_words.scan().words.items()
    }
    assert in_template == in_sources, f"drivetime.pot is stale: {REDO}"


def test_switching_to_italian_translates_and_back_to_english_does_not(italian):
    tr.switch("it")
    assert tr._("Rooms") == italian["Rooms"].string != "Rooms"
    assert tr._("{n} live rooms").format(n=3) == italian["{n} live rooms"].string.format(n=3)
    tr.switch("en")
    assert tr._("Rooms") == "Rooms"


# --- the extractor and the update/compile round trip ------------------------------------------

SCREEN_PY = """\
from device.ui.i18n import N_, tr

TITLE = N_('Single "quoted"')


def show(other, name):
    words = [
        tr._("Double \\"escaped\\" quote"),
        tr._('It\\'s here'),
        _("plain underscore"),
        tr._(
            "Two parts "
            "joined"
        ),
        other._("not ours"),
        "tr._(\\"in a string\\")",
        # tr._("in a comment")
    ]
    words.append(tr._(f"Hello {name}"))
    return words + [tr._(TITLE)]


def _(text):
    return text
"""
SCREEN_KV = """\
#:import tr device.ui.i18n.tr
<Thing@Label>:
    text: tr._("In kv") if self.disabled else tr._('Off in kv')
    hint_text: tr._(
            "Over two lines")
"""


def ui_tree(root: Path, files: dict[str, str]) -> Path:
    ui = root / "device" / "ui"
    for name, text in files.items():
        (ui / name).parent.mkdir(parents=True, exist_ok=True)
        (ui / name).write_text(text, encoding="utf-8")
    return ui


def test_the_extractor_reads_literals_in_both_quotes_and_reports_the_rest(tmp_path):
    ui = ui_tree(tmp_path, {"screen.py": SCREEN_PY, "screens/thing.kv": SCREEN_KV})
    found = catalog_words.scan(ui)
    assert found.words == {
        'Single "quoted"': ["device/ui/screen.py:3"],
        'Double "escaped" quote': ["device/ui/screen.py:8"],
        "It's here": ["device/ui/screen.py:9"],
        "plain underscore": ["device/ui/screen.py:10"],
        "Two parts joined": ["device/ui/screen.py:11"],
        "In kv": ["device/ui/screens/thing.kv:3"],
        "Off in kv": ["device/ui/screens/thing.kv:3"],
        "Over two lines": ["device/ui/screens/thing.kv:4"],
    }
    assert [line.split(": _(")[0] for line in found.problems] == [
        "device/ui/screen.py:19",  # an f-string
        "device/ui/screen.py:20",  # a variable no one reviewed
    ]
    assert '_(f"Hello {name}") is not a string literal' in found.problems[0]
    with pytest.raises(catalog_words.CatalogError, match=r"screen\.py:20"):
        catalog_words.ui_words(ui)


def test_a_reviewed_lookup_must_read_marked_words(tmp_path):
    lookup = "from device.ui.i18n import N_, tr\n\nEMPTY_WORDS = {}\nshown = tr._(EMPTY_WORDS)\n"
    unmarked = ui_tree(tmp_path / "a", {"screens/library.py": lookup.format('"Nothing"')})
    marked = ui_tree(tmp_path / "b", {"screens/library.py": lookup.format('N_("Nothing")')})
    assert catalog_words.scan(unmarked).problems == [
        "device/ui/screens/library.py:3: EMPTY_WORDS holds words not marked with N_(), "
        "so _(EMPTY_WORDS) shows them untranslated"
    ]
    assert catalog_words.ui_words(marked) == {"Nothing": ["device/ui/screens/library.py:3"]}
    imported = (
        "from device.ui.i18n import tr\nfrom elsewhere import EMPTY_WORDS\ntr._(EMPTY_WORDS)\n"
    )
    unseen = ui_tree(tmp_path / "c", {"screens/library.py": imported})
    assert catalog_words.scan(unseen).problems == [
        "device/ui/screens/library.py: EMPTY_WORDS, read by _(EMPTY_WORDS), is not assigned "
        "in this file"
    ]


def test_update_keeps_translations_adds_new_words_and_compile_makes_gettext_speak_them(tmp_path):
    import gettext

    ui = ui_tree(tmp_path, {"screens/thing.kv": SCREEN_KV})
    locale = ui / "locale"
    (locale / "it" / "LC_MESSAGES").mkdir(parents=True)
    old = Catalog(locale="it", fuzzy=False)
    old.add("In kv", "In kv italiano")
    old.add("Gone from the screen", "Sparito")
    with (locale / "it" / "LC_MESSAGES" / "drivetime.po").open("wb") as out:
        write_po(out, old)

    pending = catalog_words.update(locale, ui)
    catalog_words.compile_all(locale)

    assert sorted(pending[str(locale / "it" / "LC_MESSAGES" / "drivetime.po")]) == [
        "Off in kv",
        "Over two lines",
    ]
    po_text = (locale / "it" / "LC_MESSAGES" / "drivetime.po").read_text(encoding="utf-8")
    assert "Gone from the screen" not in po_text
    assert "#: device/ui/screens/thing.kv\n" in po_text
    words = gettext.translation("drivetime", locale, languages=["it"])
    assert words.gettext("In kv") == "In kv italiano"
    assert words.gettext("Off in kv") == "Off in kv"  # untranslated: English shows
    template_before = (locale / "drivetime.pot").read_bytes()
    po_before = (locale / "it" / "LC_MESSAGES" / "drivetime.po").read_bytes()
    catalog_words.update(locale, ui)  # nothing changed: no file changes, not even a date
    assert (locale / "drivetime.pot").read_bytes() == template_before
    assert (locale / "it" / "LC_MESSAGES" / "drivetime.po").read_bytes() == po_before


def test_the_committed_catalogs_survive_an_update_unchanged(tmp_path):
    """What the lead runs after changing words: on the committed tree it changes nothing."""
    ui = tmp_path / "device" / "ui"
    shutil.copytree(catalog_words.UI_DIR, ui, ignore=shutil.ignore_patterns("__pycache__"))
    if catalog_words.scan(ui).problems:
        pytest.skip("words that cannot reach the catalogs: see test_every_word_reaches_...")
    catalog_words.update(ui / "locale", ui)
    for path in (catalog_words.TEMPLATE, PO):
        copied = ui / path.relative_to(catalog_words.UI_DIR)
        assert copied.read_bytes() == path.read_bytes(), f"{path.name} changes on update"


# --- the language of the system ----------------------------------------------------------------

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LANG": "it_IT.UTF-8"}, "it"),
        ({"LANGUAGE": "fr:it", "LANG": "fr_FR.UTF-8"}, "it"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # a language the touchscreen does not speak
        ({}, "en"),
    ],
)
def test_the_system_language_decides_the_default(monkeypatch, environment, language):
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert system_language() == language


# --- on screen ---------------------------------------------------------------------------------


def test_a_kv_bound_label_re_renders_on_a_switch(window, italian):
    label = Builder.load_string('#:import tr device.ui.i18n.tr\nLabel:\n    text: tr._("Rooms")\n')
    assert isinstance(label, Label)
    window.add_widget(label)
    try:
        frames(2)
        english_width = label.texture_size[0]
        tr.switch("it")
        frames(2)
        assert label.text == italian["Rooms"].string
        assert label.texture_size[0] != english_width  # drawn again, not only reassigned
        tr.switch("en")
        frames(2)
        assert label.text == "Rooms" and label.texture_size[0] == english_width
    finally:
        window.remove_widget(label)


def test_a_switch_after_a_translated_label_is_gone_still_switches(window, italian):
    label = Builder.load_string('#:import tr device.ui.i18n.tr\nLabel:\n    text: tr._("Rooms")\n')
    kept = Builder.load_string('#:import tr device.ui.i18n.tr\nLabel:\n    text: tr._("Search")\n')
    del label  # as a closed dialog or a replaced screen is let go
    gc.collect()
    tr.switch("it")
    assert kept.text == italian["Search"].string


@pytest.fixture
def italian_app(window, tmp_path) -> Iterator[DrivetimeApp]:
    """The App as the driver left it: Italian chosen in Settings, long names everywhere."""
    settings = tmp_path / "ui.json"
    save_settings(settings, UiSettings(language="it"))
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=settings))
    for event in LONG_EVENTS:
        app.receive_event(event)
    app.presets = list(LONG_PRESETS)
    yield app
    tr.switch("en")  # while the App runs: kv rules re-run now must not find it stopped
    unmount(app)
    Window.size = (800, 480)


def test_italian_words_fit_every_view_at_800x480(italian_app, italian):
    ours = {m.string for m in italian if m.id and "{" not in m.id}  # whole words, not formats
    found = {}
    for view in VIEWS:
        shown = stage(italian_app, view, "day", (800, 480), LONG_PAIRING, LONG_LISTS)
        cut = [
            label.text
            for label in visible(shown)
            if isinstance(label, Label) and label.is_shortened and label.text in ours
        ]
        problems = breaches(shown, (800, 480)) + [f"{text!r} shortened" for text in cut]
        if problems:
            found[view] = problems
    nav = [italian_app.root.ids[name] for name in NAV]
    assert [button.text for button in nav] == [italian[word].string for word in NAV_WORDS]
    assert [button.text for button in nav if button.is_shortened] == []
    assert found == {}


def test_choosing_italian_in_settings_speaks_italian_at_once_and_next_time(window, tmp_path):
    settings = tmp_path / "ui.json"
    save_settings(settings, UiSettings(language="en"))
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=settings))
    try:
        app.show_screen("settings")
        tap(showing(app, "settings").ids.language_it)
        frames(2)
        assert app.root.ids.nav_rooms.text == tr._("Rooms") != "Rooms"
        assert app.headline == tr._("Nothing playing") != "Nothing playing"
        assert json.loads(settings.read_text(encoding="utf-8"))["language"] == "it"
    finally:
        tr.switch("en")
        unmount(app)
