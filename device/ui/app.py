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
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)

from device.config import Config
from device.protocol import (
    Browse,
    Command,
    Event,
    Mode,
    NowPlaying,
    Ok,
    PairConfirm,
    Pairing,
    PlayerState,
    PresetPlay,
    Volume,
)
from device.ui import presenters, rules
from device.ui.engine_link import EngineLink, Outcome
from device.ui.screens.pairing import PairingDialog
from device.ui.theme import DAY, THEMES
from device.ui.widgets import Surface, load_kv_beside

CONNECTION = "_connection"  # key of a connection change among the pending events

CONNECTING_WORDS = "Connecting to the engine…"
RESTARTING_WORDS = "Engine restarting… the screen reconnects by itself"


class RootLayout(Surface):
    """Banner (engine restarting, a refused command), the screens, the nav bar."""


class DrivetimeApp(App):
    theme = ObjectProperty(DAY, rebind=True)  # rebind: kv reads app.theme.<colour>
    theme_name = OptionProperty("day", options=tuple(THEMES))
    current_screen = OptionProperty("now_playing", options=("now_playing", "presets"))

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

    pairing_state = StringProperty("closed")
    pairing_digits = StringProperty("")
    pairing_digits_shown = StringProperty("")
    pairing_phone = StringProperty("")

    presets = ListProperty(["", "", "", ""])

    def __init__(self, config: Config, connect: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = "Drivetime"
        self.unit_config = config
        self._connect = connect
        self._pending: dict[str, Any] = {}  # event name (or CONNECTION) → newest value
        self._pending_lock = threading.Lock()
        self._queued_room = ""
        self._apply_trigger = Clock.create_trigger(self._apply_pending, -1)
        self._clear_notice = Clock.create_trigger(lambda _dt: self._set_notice(""), rules.NOTICE_S)
        self._ever_connected = False
        self._room_names: dict[str, str] = {}
        self._pairing_dialog: PairingDialog | None = None
        self.link: EngineLink | None = None
        self._refresh_words()

    # --- Kivy lifecycle -------------------------------------------------------------------

    def build(self) -> RootLayout:
        return RootLayout()

    def on_start(self) -> None:
        if self._connect:
            self.link = EngineLink(
                self.unit_config.engine.socket_path,
                on_event=self.receive_event,
                on_connection=self.receive_connection,
            )
            self.link.start()

    def on_stop(self) -> None:
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
                self.song_title, self.song_artist = song.title, song.artist
                self.song_album = song.album
        if "stats" in pending:
            self.depth_ms = pending["stats"].depth_ms
        if "pairing" in pending:
            self._apply_pairing(pending["pairing"])
        self._refresh_words()

    def _apply_connection(self, connected: bool) -> None:
        self.engine_connected = connected
        if connected:
            self._ever_connected = True
            self.notice = ""  # "the engine is not answering" and the like are over
            self._fetch_presets()
        else:
            self.depth_ms = -1
            self._apply_pairing(Pairing(state="closed"))  # that prompt died with the engine
        self._refresh_banner()

    def _apply_state(self, event: PlayerState) -> None:
        if event.room != self.room:
            self.song_title = self.song_artist = self.song_album = ""
            self.room = event.room
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
        else:
            self._close_pairing_dialog()

    def _close_pairing_dialog(self) -> None:
        if self._pairing_dialog is not None and self._pairing_dialog.parent is not None:
            self._pairing_dialog.dismiss(animation=False)

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
            else "Waiting for the engine"
        )
        self.play_pause_label = presenters.play_pause_label(self.player_state)
        self.live_room = presenters.is_room(self.room)
        self.room_line = self.room_name if self.song_title else self.room_where
        self.headline = self.song_title or self.room_name or "Nothing playing"
        if not self.room:
            self.subline = "Choose a preset, or a room on the phone"
        else:
            self.subline = self.song_artist if self.song_title else self.room_where
        settings = self.unit_config.road if self.mode == "road" else self.unit_config.live
        health = presenters.buffer_health(int(self.depth_ms), self.mode, settings.target_ms)
        self.buffer_words, self.buffer_fill, self.buffer_low = health.words, health.fill, health.low

    def _refresh_banner(self) -> None:
        if not self.engine_connected:
            self.banner = RESTARTING_WORDS if self._ever_connected else CONNECTING_WORDS
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
        if self.room in self._room_names:
            self.room_name = self._room_names[self.room]
            self._refresh_words()

    def _fetch_presets(self) -> None:
        self._send(Browse(what="presets"), self._show_presets, quiet=True)

    def _show_presets(self, reply: Ok) -> None:
        self.presets = presenters.preset_labels(reply.data)

    # --- what the screens call ------------------------------------------------------------

    def change_volume(self, steps: int) -> None:
        self._send(Volume(percent=presenters.stepped_volume(int(self.volume), steps)))

    def toggle_play(self) -> None:
        command = presenters.play_pause_command(self.player_state)
        if command is None:
            self._set_notice("Nothing is playing: choose a preset")
        else:
            self._send(command)

    def choose_mode(self, mode: str) -> None:
        if mode != self.mode:
            self._send(Mode(mode=mode))

    def play_preset(self, slot: int) -> None:
        if not self.presets[slot - 1]:
            self._set_notice(f"Preset {slot} is empty: hold it to store what plays")
            return
        self._send(PresetPlay(slot=slot), lambda _reply: self.show_screen("now_playing"))

    def store_preset(self, slot: int) -> None:
        command = presenters.preset_to_store(
            slot, self.room, self.room_name, self.song_artist, self.song_album
        )
        if command is None:
            self._set_notice("Nothing is playing to store")
            return

        def stored(_reply: Ok) -> None:
            self._set_notice(f"Preset {slot}: {command.label}")
            self._fetch_presets()

        self._send(command, stored)

    def answer_pairing(self, accept: bool) -> None:
        self._close_pairing_dialog()
        self._send(PairConfirm(accept=accept))

    def show_screen(self, name: str) -> None:
        self.current_screen = name

    def on_current_screen(self, _app: DrivetimeApp, name: str) -> None:
        if self.root is not None:
            self.root.ids.screens.current = name

    def toggle_theme(self) -> None:
        self.set_theme("night" if self.theme_name == "day" else "day")

    def set_theme(self, name: str) -> None:
        self.theme_name, self.theme = name, THEMES[name]

    # --- commands -------------------------------------------------------------------------

    def _send(
        self, command: Command, then: Callable[[Ok], None] | None = None, quiet: bool = False
    ) -> None:
        """Send to the engine; ``then`` gets the reply on the Kivy thread. A refusal shows as
        a notice unless ``quiet`` (background look-ups the driver did not ask for)."""
        if self.link is None:
            if not quiet:
                self._set_notice("The engine is not connected")
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
