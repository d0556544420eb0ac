"""The touchscreen's words in the driver's language: gettext catalogs, switchable while running.

Every word on screen goes through ``tr._("...")``: in ``.kv`` files (``#:import tr
device.ui.i18n.tr``) and in Python. ``tr`` pretends to be a Kivy property named ``_``, so a
kv rule that reads ``tr._("Rooms")`` is bound to it and re-evaluated when ``tr.switch()``
changes the language — no screen has to be rebuilt. Catalogs live in
``device/ui/locale/<lang>/LC_MESSAGES/drivetime.po`` (compiled ``.mo`` beside them, checked by
``tests/ui/test_translations.py``). English is the source language: it needs no catalog.
"""

from __future__ import annotations

import gettext
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kivy.event import Observable

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "drivetime"
LANGUAGES = {"en": "English", "it": "Italiano"}  # code → its own name, as the Settings list shows
DEFAULT_LANGUAGE = "en"


def system_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language the system asks for (gettext's variables, in gettext's order), if the
    touchscreen speaks it; else English."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        for choice in value.split(":"):
            code = choice.split("_")[0].split(".")[0].lower()
            if code in LANGUAGES:
                return code
        if value:  # the first variable that is set decides, as in gettext
            break
    return DEFAULT_LANGUAGE


def N_(text: str) -> str:
    """Marks a word for the catalogs where it is defined; ``tr._`` translates it where shown."""
    return text


Observer = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class Translator(Observable):
    """``_`` translates; ``switch`` changes the language and re-runs every kv rule using it."""

    def __init__(self) -> None:
        super().__init__()
        self.language = DEFAULT_LANGUAGE
        self._catalog: gettext.NullTranslations = gettext.NullTranslations()
        self._observers: list[Observer] = []

    def _(self, text: str) -> str:
        return self._catalog.gettext(text)

    def switch(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
        if language == self.language:
            return
        self._catalog = gettext.translation(
            DOMAIN, LOCALE_DIR, languages=[language], fallback=language == DEFAULT_LANGUAGE
        )
        self.language = language
        gone = set()
        for observer in list(self._observers):
            callback, args, _kwargs = observer
            try:
                callback(*args, None, None)  # as a property would: bound arguments, owner, value
            except ReferenceError:  # the widget of that kv rule has been freed
                gone.add(id(observer))
        if gone:
            self._observers = [o for o in self._observers if id(o) not in gone]

    # Kivy's kv compiler binds a rule to ``tr._`` by calling fbind("_", ...).
    def fbind(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if name != "_":
            return super().fbind(name, func, *args, **kwargs)
        self._observers.append((func, args, kwargs))
        return len(self._observers)

    def funbind(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if name != "_":
            return super().funbind(name, func, *args, **kwargs)
        # By identity: comparing the tuples would compare freed widgets' weak references.
        self._observers = [o for o in self._observers if not _same_observer(o, func, args)]
        return None


def _same_observer(observer: Observer, func: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    if observer[0] is not func or len(observer[1]) != len(args):
        return False
    return all(mine is theirs for mine, theirs in zip(observer[1], args, strict=True))


tr = Translator()
