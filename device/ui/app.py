"""The touchscreen App: observable state mirrored from the engine's events, and the taps.

The engine is the truth. Events arrive on the link thread (``device.ui.engine_link``), are
kept in ``_pending`` (the newest of each kind) and applied on the Kivy clock by one trigger,
so a burst of events in one frame costs one update. Screens (the ``.kv`` files) bind to
the properties below and call the verbs at the end; neither reaches past the App. A tap
changes nothing on screen by itself beyond the pressed button: the label moves when the
engine's event says the change happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)

from device.config import Config, default_state_dir
from device.protocol import (
    Browse,
    Command,
    Event,
    Join,
    Knob,
    Mode,
    Next,
    NowPlaying,
    Ok,
    PairConfirm,
    Pairing,
    PanelInput,
    PlayerState,
    Power,
    PresetPlay,
    Previous,
    Queue,
    Stats,
    Volume,
)
from device.protocol.catalog_messages import preset_labels
from device.ui import presenters, rules
from device.ui.engine_link import EngineLink, Outcome
from device.ui.i18n import LANGUAGES, N_, system_language, tr
from device.ui.knob import KnobFocus
from device.ui.presenters import Item
from device.ui.screens.pairing import PairingDialog
from device.ui.settings_store import (
    UiSettings,
    default_settings_path,
    load_settings,
    save_settings,
)
from device.ui.theme import DAY, THEMES
from device.ui.widgets import Surface, load_kv_beside

CONNECTION = "_connection"  # key of a connection change among the pending events

CONNECTING_WORDS = N_("Connecting to the engine…")
RESTARTING_WORDS = N_("Engine restarting… the screen reconnects by itself")

# The nav bar's destinations, and screens reached from one of them (back returns there).
TABS = ("now_playing", "rooms", "search", "library", "presets", "more")
SUB_SCREENS = {"bluetooth": "more", "settings": "more"}
SCREENS = TABS + tuple(SUB_SCREENS)

NIGHT_FROM_HOUR, DAY_FROM_HOUR = 19, 7  # "auto" theme without a light sensor
# "auto" with the panel's light sensor: night below, day above, a gap between so a passing
# shadow does not flip the screen back and forth.
NIGHT_BELOW_PERMILLE, DAY_ABOVE_PERMILLE = 100, 150
KNOB_RENEW_S = 1.0  # the engine's lease lasts 3 s: renewed well before it runs out
# Left on a list with nothing touched for this long, the knob goes back to the volume: a
# driver who glanced away must not find the volume knob moving a focus ring instead.
KNOB_IDLE_S = 20.0
AUTO_THEME_CHECK_S = 60.0

# Keys of a keyboard on a desk, standing in for the panel's knob and back button.
KEYS_TURN = {273: -1, 276: -1, 274: +1, 275: +1, 9: +1}  # arrows, Tab
KEYS_PRESS = (13, 271, 32)  # Enter, keypad Enter, Space
KEYS_BACK = (27, 8)  # Escape, Backspace


class RootLayout(Surface):
    """Banner (engine restarting, a refused command), the screens, the nav bar."""


class DrivetimeApp(App):
    theme = ObjectProperty(DAY, rebind=True)  # rebind: kv reads app.theme.<colour>
    theme_name = OptionProperty("day", options=tuple(THEMES))
    theme_choice = OptionProperty("auto", options=("auto", "day", "night"))
    language = OptionProperty("en", options=tuple(LANGUAGES))
    current_screen = OptionProperty("now_playing", options=SCREENS)
    current_tab = OptionProperty("now_playing", options=TABS)
    driving = BooleanProperty(False)  # the car is moving: no typing, short lists
    light_permille = NumericProperty(-1)  # the panel's ambient light, -1 unknown
    power_words = StringProperty("")  # the ignition-off countdown, "" when the power is on

    engine_connected = BooleanProperty(False)
    banner = StringProperty(CONNECTING_WORDS)  # "" hides the banner
    notice = StringProperty("")  # a refused command, a stored preset; shown NOTICE_S

    player_state = StringProperty("idle")
    room = StringProperty("")
    room_name = StringProperty("")
    room_where = StringProperty("")
    live_room = BooleanProperty(False)
    mode = OptionProperty("live", options=("live", "road"))
    volume = NumericProperty(50)
    detail = StringProperty("")
    song_title = StringProperty("")
    song_artist = StringProperty("")
    song_album = StringProperty("")
    host = StringProperty("")  # the show's host, when the stream says
    art_path = StringProperty("")  # the picture of what plays, "" when none
    listeners = NumericProperty(-1)  # of the room playing, -1 unknown
    stats = ObjectProperty(Stats(depth_ms=-1), rebind=True)
    depth_ms = NumericProperty(-1)

    # What the screens show, derived from the above in _refresh_words.
    state_words = StringProperty("")
    play_pause_label = StringProperty("Play")
    room_line = StringProperty("")
    headline = StringProperty("")
    subline = StringProperty("")
    buffer_words = StringProperty("")
    buffer_fill = NumericProperty(0.0)
    buffer_low = BooleanProperty(False)
    listeners_words = StringProperty("")
    music_playing = BooleanProperty(False)  # next/previous apply

    pairing_state = StringProperty("closed")
    pairing_digits = StringProperty("")
    pairing_digits_shown = StringProperty("")
    pairing_phone = StringProperty("")

    presets = ListProperty(["", "", "", ""])

    def __init__(
        self,
        config: Config,
        connect: bool = True,
        settings_path: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Drivetime"
        self.unit_config = config
        self._connect = connect
        self._settings_path = settings_path or default_settings_path()
        self._history: list[str] = []
        self.knob = KnobFocus(self._top_layer)
        self._room_listeners: dict[str, int] = {}
        self._auto_theme = Clock.create_trigger(self._follow_auto_theme, AUTO_THEME_CHECK_S)
        self._renew_knob = Clock.create_trigger(self._claim_knob, KNOB_RENEW_S)
        self._knob_held = False
        self._last_input = time.monotonic()  # a touch, a key, a turn of the knob
        self._pending: dict[str, Any] = {}  # event name (or CONNECTION) → newest value
        self._pending_lock = threading.Lock()
        self._queued_room = ""
        self._apply_trigger = Clock.create_trigger(self._apply_pending, -1)
        self._clear_notice = Clock.create_trigger(lambda _dt: self._set_notice(""), rules.NOTICE_S)
        self._ever_connected = False
        self._room_names: dict[str, str] = {}
        self._pairing_dialog: PairingDialog | None = None
        self.link: EngineLink | None = None
        self._apply_settings(load_settings(self._settings_path))
        self._refresh_words()

    # --- Kivy lifecycle -------------------------------------------------------------------

    def build(self) -> RootLayout:
        return RootLayout()

    def on_start(self) -> None:
        Window.bind(on_key_down=self._on_key_down, on_touch_down=self._on_touch_down)
        if self._connect:
            self.link = EngineLink(
                self.unit_config.engine.socket_path,
                on_event=self.receive_event,
                on_connection=self.receive_connection,
            )
            self.link.start()

    def on_stop(self) -> None:
        Window.unbind(on_key_down=self._on_key_down, on_touch_down=self._on_touch_down)
        self._auto_theme.cancel()
        self._renew_knob.cancel()
        if self.link is not None:
            self.link.stop()
            self.link = None

    # --- from the link thread (or a test): queue, then apply on the Kivy clock ------------

    def receive_event(self, event: Event) -> None:
        self._queue(event.name, event)

    def receive_connection(self, connected: bool, why: str = "") -> None:
        self._queue(CONNECTION, connected)

    def _queue(self, key: str, value: Any) -> None:
        with self._pending_lock:
            if isinstance(value, PlayerState):
                self._queued_room = value.room
            elif isinstance(value, NowPlaying):
                # A song belongs to the room selected when it was announced: coalescing
                # loses the order of kinds, so remember whose song it is.
                value = (self._queued_room, value)
            elif isinstance(value, PanelInput):
                # Every turn and push counts: these are not states to coalesce.
                self._pending.setdefault(key, []).append(value)
                value = self._pending[key]
            self._pending[key] = value  # the newest of each kind
        self._apply_trigger()

    def _apply_pending(self, _dt: float = 0.0) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        if CONNECTION in pending:
            self._apply_connection(pending[CONNECTION])
        if "state" in pending:
            self._apply_state(pending["state"])
        if "now" in pending:
            room, song = pending["now"]
            if room == self.room:  # else the song of a room no longer selected
                self._apply_song(song)
        if "stats" in pending:
            self.stats = pending["stats"]
            self.depth_ms = self.stats.depth_ms
        if "pairing" in pending:
            self._apply_pairing(pending["pairing"])
        if "car" in pending:
            self.driving = bool(getattr(pending["car"], "driving", False))
        if "light" in pending:
            self.light_permille = pending["light"].permille
            self._show_chosen_theme()
        if "power" in pending:
            self._apply_power(pending["power"])
        for panel_input in pending.get("panel", ()):
            self._apply_panel_input(panel_input)
        self._refresh_words()

    def _apply_song(self, song: NowPlaying) -> None:
        self.song_title, self.song_artist = song.title, song.artist
        self.song_album = song.album
        self.host = getattr(song, "host", "")
        art = getattr(song, "art", "")
        # A bare file name from the engine's cache; anything else is not ours to open.
        safe = art and "/" not in art and not art.startswith(".")
        self.art_path = str(self._art_dir() / art) if safe else ""

    def _apply_power(self, event: Power) -> None:
        if event.state == "off":
            self.power_words = tr._("Ignition off: the unit powers off in {seconds} s").format(
                seconds=event.seconds
            )
        elif event.state == "powering_off":
            self.power_words = tr._("Powering off…")
        else:
            self.power_words = ""
        self._refresh_banner()

    def _on_touch_down(self, *_args: Any) -> bool:
        self._noticed_input()
        return False  # only noticed: the touch goes on to the widgets

    def _noticed_input(self) -> None:
        idle = time.monotonic() - self._last_input >= KNOB_IDLE_S
        self._last_input = time.monotonic()
        if idle and not self._knob_held:
            self._claim_knob()

    def _apply_panel_input(self, event: PanelInput) -> None:
        self._noticed_input()
        if event.control == "back":
            self.go_back()
        elif event.action == "turn":
            self.knob_turn(event.steps)
        else:
            self.knob_press()

    def _art_dir(self) -> Path:
        art_dir = getattr(self.unit_config.engine, "art_dir", None)
        return Path(art_dir) if art_dir is not None else default_state_dir() / "art"

    def _apply_connection(self, connected: bool) -> None:
        self.engine_connected = connected
        if connected:
            self._ever_connected = True
            self.notice = ""  # "the engine is not answering" and the like are over
            self._fetch_presets()
            self._claim_knob()  # a new engine knows nothing of the old lease
        else:
            self.power_words = ""
            self.depth_ms = -1
            self._apply_pairing(Pairing(state="closed"))  # that prompt died with the engine
        self._refresh_banner()

    def _apply_state(self, event: PlayerState) -> None:
        if event.room != self.room:
            self.song_title = self.song_artist = self.song_album = ""
            self.host = self.art_path = ""
            self.room = event.room
            self.listeners = self._room_listeners.get(event.room, -1)
            self._name_room(event.room)
        self.player_state, self.mode, self.volume = event.state, event.mode, event.volume
        self.detail = event.detail
        if event.state == "idle":
            self.depth_ms = -1

    def _apply_pairing(self, event: Pairing) -> None:
        self.pairing_state, self.pairing_phone = event.state, event.phone
        self.pairing_digits = event.digits
        self.pairing_digits_shown = presenters.grouped_digits(event.digits)
        asking = event.state == "confirm" and bool(event.digits)
        if asking:
            if self._pairing_dialog is None:
                self._pairing_dialog = PairingDialog()
            if self._pairing_dialog.parent is None:
                self._pairing_dialog.open(animation=False)
                Clock.schedule_once(self._claim_knob, 0)  # once it is on the window
        else:
            self._close_pairing_dialog()

    def _close_pairing_dialog(self) -> None:
        if self._pairing_dialog is not None and self._pairing_dialog.parent is not None:
            self._pairing_dialog.dismiss(animation=False)
            Clock.schedule_once(self._claim_knob, 0)

    @property
    def pairing_dialog(self) -> PairingDialog | None:
        """The dialog while it is shown, else None."""
        dialog = self._pairing_dialog
        return dialog if dialog is not None and dialog.parent is not None else None

    def _refresh_words(self) -> None:
        # Each property is assigned once: a label whose text changes, even back and forth
        # within one update, re-renders its texture (~20 ms of a frame under llvmpipe).
        self.state_words = (
            presenters.state_words(self.player_state, self.detail)
            if self.engine_connected
            else tr._("Waiting for the engine")
        )
        self.play_pause_label = presenters.play_pause_label(self.player_state)
        self.live_room = presenters.is_room(self.room)
        room_line = self.room_name if self.song_title else self.room_where
        self.room_line = f"{room_line} · {self.host}" if self.host and room_line else room_line
        self.headline = self.song_title or self.room_name or tr._("Nothing playing")
        self.music_playing = bool(self.room) and not self.live_room
        if self.live_room and self.listeners >= 0:
            # The directory's count is from its last refresh, which may predate this unit's
            # join: while the unit plays the room, it is one of the listeners.
            playing = self.player_state == "playing"
            listeners = max(self.listeners, 1) if playing else self.listeners
            self.listeners_words = tr._("{n} listening").format(n=listeners)
        else:
            self.listeners_words = ""
        if not self.room:
            self.subline = tr._("Choose a preset, or a room on the phone")
        else:
            self.subline = self.song_artist if self.song_title else self.room_where
        settings = self.unit_config.road if self.mode == "road" else self.unit_config.live
        health = presenters.buffer_health(int(self.depth_ms), self.mode, settings.target_ms)
        self.buffer_words, self.buffer_fill, self.buffer_low = health.words, health.fill, health.low

    def _refresh_banner(self) -> None:
        if self.power_words and self.engine_connected:
            self.banner = self.power_words  # above anything else: the unit is going off
        elif not self.engine_connected:
            self.banner = tr._(RESTARTING_WORDS if self._ever_connected else CONNECTING_WORDS)
        else:
            self.banner = self.notice

    def _set_notice(self, words: str) -> None:
        self.notice = words
        self._clear_notice.cancel()
        if words:
            self._clear_notice()  # a newer notice gets its own full NOTICE_S
        self._refresh_banner()

    # --- the catalog's names for rooms and presets ----------------------------------------

    def _name_room(self, room: str) -> None:
        self.room_name, self.room_where = presenters.room_display(room)
        if room in self._room_names:
            self.room_name = self._room_names[room]
        elif presenters.is_room(room):
            self._send(Browse(what="live"), self._learn_room_names, quiet=True)

    def _learn_room_names(self, reply: Ok) -> None:
        self.learn_room_names(reply.data.get("items", []))

    def learn_room_names(self, rooms: list[dict[str, Any]]) -> None:
        """Remember the catalog's names for room URLs (room items of a page: ``u``, ``n``)."""
        for item in rooms:
            if item.get("u") and item.get("n"):
                self._room_names[item["u"]] = item["n"]
            if item.get("u") and isinstance(item.get("l"), int):
                self._room_listeners[item["u"]] = item["l"]
        if self.room in self._room_names:
            self.room_name = self._room_names[self.room]
        self.listeners = self._room_listeners.get(self.room, -1)
        self._refresh_words()

    def _fetch_presets(self) -> None:
        self._send(Browse(what="presets"), self._show_presets, quiet=True)

    def _show_presets(self, reply: Ok) -> None:
        self.presets = preset_labels(reply.data)

    # --- what the screens call ------------------------------------------------------------

    def change_volume(self, steps: int) -> None:
        self._send(Volume(percent=presenters.stepped_volume(int(self.volume), steps)))

    def toggle_play(self) -> None:
        command = presenters.play_pause_command(self.player_state)
        if command is None:
            self._set_notice(tr._("Nothing is playing: choose a preset"))
        else:
            self._send(command)

    def skip(self, forward: bool) -> None:
        self._send(Next() if forward else Previous())

    def play_item(self, item: Item) -> None:
        """Play what a list tile stands for, then show it playing."""
        command: Command
        try:
            if item.kind == "room":
                command = Join(url=item.target)
            elif item.kind in ("track", "album", "artist", "playlist"):
                command = Queue(kind=item.kind, target=item.target, artist=item.extra)
            else:
                raise ValueError(f"nothing to play for a {item.kind!r} item")
        except ValueError as exc:  # a name too long for the protocol: say so, do not crash
            self._set_notice(str(exc))
            return
        self._send(command, lambda _reply: self.show_screen("now_playing"))

    def choose_mode(self, mode: str) -> None:
        if mode != self.mode:
            self._send(Mode(mode=mode))

    def play_preset(self, slot: int) -> None:
        if not self.presets[slot - 1]:
            words = tr._("Preset {slot} is empty: hold it to store what plays")
            self._set_notice(words.format(slot=slot))
            return
        self._send(PresetPlay(slot=slot), lambda _reply: self.show_screen("now_playing"))

    def store_preset(self, slot: int) -> None:
        command = presenters.preset_to_store(
            slot, self.room, self.room_name, self.song_artist, self.song_album
        )
        if command is None:
            self._set_notice(tr._("Nothing is playing to store"))
            return

        def stored(_reply: Ok) -> None:
            self._set_notice(tr._("Preset {slot}: {label}").format(slot=slot, label=command.label))
            self._fetch_presets()

        self._send(command, stored)

    def answer_pairing(self, accept: bool) -> None:
        self._close_pairing_dialog()
        self._send(PairConfirm(accept=accept))

    def show_screen(self, name: str) -> None:
        """Go to ``name``: a tab starts afresh, a sub-screen remembers where back returns."""
        if name not in SCREENS:
            raise ValueError(f"no screen {name!r}")
        if name == self.current_screen:
            return
        if name in SUB_SCREENS:
            self._history.append(self.current_screen)
            self.current_tab = SUB_SCREENS[name]
        else:
            self._history.clear()
            self.current_tab = name
        self.current_screen = name

    def go_back(self) -> None:
        """The back button: close the dialog (a no to pairing), leave a sub-screen, or return
        to Now playing; a screen with a way back of its own (a list's drill-down) goes first."""
        if self.pairing_dialog is not None:
            self.answer_pairing(False)
            return
        screen = self.root.ids.screens.current_screen if self.root is not None else None
        if screen is not None and getattr(screen, "go_back", lambda: False)():
            return
        if self._history:
            previous = self._history.pop()
            self.current_tab = previous if previous in TABS else SUB_SCREENS[previous]
            self.current_screen = previous
        elif self.current_screen != "now_playing":
            self.show_screen("now_playing")

    def on_current_screen(self, _app: DrivetimeApp, name: str) -> None:
        self.knob.clear()
        if self.root is not None:
            self.root.ids.screens.current = name
        self._claim_knob()

    def _claim_knob(self, _dt: float = 0.0) -> None:
        """Hold the panel's knob while navigating (any screen but Now playing, or a dialog)
        and touched or turned within ``KNOB_IDLE_S``; otherwise it is the volume. The
        engine's lease is renewed while held."""
        navigating = self.current_screen != "now_playing" or self.pairing_dialog is not None
        wants = navigating and time.monotonic() - self._last_input < KNOB_IDLE_S
        if wants:
            self._send(Knob(focus=True), quiet=True)
            self._renew_knob()
        elif self._knob_held:
            self._renew_knob.cancel()
            self._send(Knob(focus=False), quiet=True)
        self._knob_held = wants

    # --- the knob (and a keyboard standing in for it) -------------------------------------

    def knob_turn(self, steps: int) -> None:
        self.knob.turn(steps)

    def knob_press(self) -> None:
        self.knob.press()

    def _top_layer(self) -> Any:
        return self.pairing_dialog or self.root

    def _on_key_down(
        self, _window: Any, key: int, _scancode: int, codepoint: str | None, *_args: Any
    ) -> bool:
        self._noticed_input()
        screen = self.root.ids.screens.current_screen if self.root is not None else None
        if getattr(screen, "typing", False) and self._type(screen, key, codepoint):
            return True
        if key in KEYS_TURN:
            self.knob_turn(KEYS_TURN[key])
        elif key in KEYS_PRESS:
            self.knob_press()
        elif key in KEYS_BACK:
            self.go_back()
        else:
            return False
        return True  # handled: Escape must not close the app

    @staticmethod
    def _type(screen: Any, key: int, codepoint: str | None) -> bool:
        """A desk keyboard typing into the Search box, as its on-screen keys would."""
        from device.ui.keyboard import BACKSPACE, DONE, SPACE

        if key == KEYS_BACK[1]:
            screen.press_key(BACKSPACE)
        elif key in KEYS_PRESS[:2]:
            screen.press_key(DONE)
        elif codepoint and codepoint.isprintable():
            screen.press_key(SPACE if codepoint == " " else codepoint.lower())
        else:
            return False
        return True

    # --- the driver's settings ------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        """Show ``name`` ("day" or "night") now; the setting itself is ``choose_theme``."""
        self.theme_name, self.theme = name, THEMES[name]

    def toggle_theme(self) -> None:
        self.choose_theme("night" if self.theme_name == "day" else "day")

    def choose_theme(self, choice: str) -> None:
        self.theme_choice = choice
        self._save_settings()
        self._show_chosen_theme()

    def choose_language(self, language: str) -> None:
        tr.switch(language)
        self.language = language
        self._save_settings()
        self._refresh_words()
        self._refresh_banner()

    def _apply_settings(self, settings: UiSettings) -> None:
        self.theme_choice = settings.theme
        self.language = settings.language or system_language()
        tr.switch(self.language)
        self._show_chosen_theme()

    def _save_settings(self) -> None:
        settings = UiSettings(theme=self.theme_choice, language=self.language)
        try:
            save_settings(self._settings_path, settings)
        except OSError as exc:  # a read-only card must not take the screen down
            self._set_notice(tr._("Settings not saved: {why}").format(why=exc.strerror or exc))

    def _show_chosen_theme(self) -> None:
        self._auto_theme.cancel()
        if self.theme_choice == "auto":
            self._follow_auto_theme()
        else:
            self.set_theme(self.theme_choice)

    def _follow_auto_theme(self, _dt: float = 0.0) -> None:
        if self.light_permille >= 0:
            if self.light_permille < NIGHT_BELOW_PERMILLE:
                self.set_theme("night")
            elif self.light_permille > DAY_ABOVE_PERMILLE:
                self.set_theme("day")
        else:
            hour = time.localtime().tm_hour
            self.set_theme("day" if DAY_FROM_HOUR <= hour < NIGHT_FROM_HOUR else "night")
        self._auto_theme()

    # --- for the screens ------------------------------------------------------------------

    def send(
        self, command: Command, then: Callable[[Ok], None] | None = None, quiet: bool = False
    ) -> None:
        self._send(command, then, quiet)

    def say(self, words: str) -> None:
        """Show ``words`` in the banner for ``rules.NOTICE_S``."""
        self._set_notice(words)

    # --- commands -------------------------------------------------------------------------

    def _send(
        self, command: Command, then: Callable[[Ok], None] | None = None, quiet: bool = False
    ) -> None:
        """Send to the engine; ``then`` gets the reply on the Kivy thread. A refusal shows as
        a notice unless ``quiet`` (background look-ups the driver did not ask for)."""
        if self.link is None:
            if not quiet:
                self._set_notice(tr._("The engine is not connected"))
            return

        def done(outcome: Outcome) -> None:  # link thread: hop onto the Kivy clock
            Clock.schedule_once(lambda _dt: self._handle_outcome(outcome, then, quiet), -1)

        self.link.send(command, done)

    def _handle_outcome(
        self, outcome: Outcome, then: Callable[[Ok], None] | None, quiet: bool
    ) -> None:
        if outcome.reply is None:
            if not quiet:
                self._set_notice(outcome.error)
        elif then is not None:
            then(outcome.reply)


load_kv_beside(__file__)
