"""The phone app: the car's state mirrored from its events, and what the driver asks of it.

Events and replies arrive on the link thread (``unit_link``) and are applied on Kivy's clock;
screens (``.kv``) bind to the properties and call the verbs. The car is the truth: a tap
changes nothing on screen until the car's event says it happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kivy
from kivy.app import App
from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)

import host.app.widgets  # noqa: F401 (the widgets' kv rules, before any screen)
from device.protocol import (
    Browse,
    Car,
    Command,
    Driving,
    Event,
    Favorite,
    Join,
    Mode,
    Next,
    NowPlaying,
    Ok,
    Pause,
    PlayerState,
    PresetPlay,
    PresetSet,
    Previous,
    Queue,
    Relay,
    Resume,
    Search,
    Volume,
)
from device.protocol.catalog_messages import MAX_QUERY_CHARS, preset_labels
from host.app.items import Item, grouped_results, room_name
from host.app.unit_link import Outcome, UnitLink
from host.client import DeviceClient
from host.relay import RelaySourceError, relay_source
from host.unit_memory import RememberedUnit, load_unit, save_unit

log = logging.getLogger(__name__)

# A text box looks for X11's cut buffer (xclip, xsel), which a phone and most desktops here
# lack: say there is none rather than have Kivy log a CRITICAL with tracebacks.
kivy.kivy_options["cutbuffer"] = ()
logging.getLogger("kivy").addFilter(lambda record: "Cutbuffer" not in record.getMessage())

FLOWING = ("connecting", "buffering", "playing", "reconnecting")
VOLUME_STEP = 5
SCREENS = ("now", "search", "presets", "car")


class PhoneApp(App):
    current_screen = StringProperty("now")

    link_state = StringProperty("")
    link_words = StringProperty("")
    ready = BooleanProperty(False)
    unit_name = StringProperty("")
    units_found = ListProperty([])  # of (address, name)
    digits = StringProperty("")  # shown while comparing with the car's screen
    notice = StringProperty("")

    player_state = StringProperty("idle")
    room = StringProperty("")
    room_name = StringProperty("")
    song_title = StringProperty("")
    song_artist = StringProperty("")
    volume = NumericProperty(50)
    mode = StringProperty("live")
    driving = BooleanProperty(False)
    relaying = StringProperty("")  # the room this phone relays, "" when none
    presets = ListProperty(["", "", "", ""])
    results = ListProperty([])  # of Item (and section headers: kind "section")

    def __init__(
        self,
        make_client: Callable[[], DeviceClient],
        memory_path: Path,
        connect: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Drivetime"
        self._make_client = make_client
        self._memory_path = memory_path
        remembered = load_unit(memory_path)
        self.unit_name = remembered.name if remembered else ""
        self._connect = connect
        self._names: dict[str, str] = {}
        self._relay: Any = None
        self._asked = 0
        self.link = UnitLink(
            make_client,
            on_state=lambda state, words: self._later(self._apply_link, state, words),
            on_event=lambda event: self._later(self._apply_event, event),
            address=remembered.address if remembered else None,
            ask_digits=lambda digits: self._later(self._show_digits, digits),
        )

    def build(self) -> Any:
        from host.app.screens import PhoneRoot

        return PhoneRoot()

    def on_start(self) -> None:
        if self._connect:
            self.link.start()

    def on_stop(self) -> None:
        self.stop_relay()
        self.link.stop()

    # --- from the link thread -------------------------------------------------------------

    @staticmethod
    def _later(function: Callable[..., None], *args: Any) -> None:
        Clock.schedule_once(lambda _dt: function(*args), -1)

    def _apply_link(self, state: str, words: str) -> None:
        was_ready = self.ready
        self.link_state, self.link_words, self.ready = state, words, state == "ready"
        if state == "ready":
            self.digits = ""
            self._remember(self.link.address)
            if not was_ready:
                self._send(Browse(what="presets"), self._show_presets, quiet=True)
                self._send(Browse(what="live"), self._learn_names, quiet=True)
        if state in ("not_paired", "bond_lost") and self.current_screen == "now":
            self.current_screen = "car"

    def _apply_event(self, event: Event) -> None:
        if isinstance(event, PlayerState):
            if event.room != self.room:
                self.song_title = self.song_artist = ""
                self.room = event.room
                self.room_name = self._names.get(event.room) or room_name(event.room)
            self.player_state, self.volume, self.mode = event.state, event.volume, event.mode
        elif isinstance(event, NowPlaying):
            self.song_title, self.song_artist = event.title, event.artist
        elif isinstance(event, Car):
            self.driving = event.driving

    def on_current_screen(self, _app: PhoneApp, name: str) -> None:
        if self.root is not None:
            self.root.ids.screens.current = name

    def _show_digits(self, digits: int) -> None:
        self.digits = f"{digits:06d}"[:3] + " " + f"{digits:06d}"[3:]

    def on_digits(self, _app: PhoneApp, digits: str) -> None:
        dialog = self.root.digits_dialog if self.root is not None else None
        if dialog is None:
            return
        if digits and dialog.parent is None:
            dialog.open(animation=False)
        elif not digits and dialog.parent is not None:
            dialog.dismiss(animation=False)

    # --- the car --------------------------------------------------------------------------

    def find_units(self) -> None:
        self.units_found = []
        self.link.scan(lambda found: self._later(self._show_units, found))

    def _show_units(self, found: list[Any]) -> None:
        self.units_found = [(device.address, device.name or device.address) for device in found]

    def choose_unit(self, address: str) -> None:
        self.link.use_address(address)

    def pair(self) -> None:
        self.link.pair()

    def answer_digits(self, same: bool) -> None:
        self.digits = ""
        self.link.answer_digits(same)

    def name_unit(self, name: str) -> None:
        self.unit_name = name.strip()[:40]
        self._remember(self.link.address)

    def _remember(self, address: str | None) -> None:
        if address:
            save_unit(self._memory_path, RememberedUnit(address, self.unit_name))

    # --- playing --------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player_state in FLOWING:
            self._send(Pause())
        elif self.player_state == "paused":
            self._send(Resume())

    def change_volume(self, steps: int) -> None:
        self._send(Volume(percent=max(0, min(100, int(self.volume) + steps * VOLUME_STEP))))

    def skip(self, forward: bool) -> None:
        self._send(Next() if forward else Previous())

    def choose_mode(self, mode: str) -> None:
        self._send(Mode(mode=mode))

    def set_driving(self, on: bool) -> None:
        self._send(Driving(on=on))

    def play(self, item: Item) -> None:
        command: Command
        if item.kind == "room":
            command = Join(url=item.target)
        else:
            command = Queue(kind=item.kind, target=item.target)
        self._send(command, lambda _reply: setattr(self, "current_screen", "now"))

    # --- search, browse, presets ----------------------------------------------------------

    def search(self, text: str) -> None:
        self._asked += 1
        asked = self._asked
        query = text.strip()[:MAX_QUERY_CHARS]
        if not query:
            self.browse("tags")
            return

        def found(reply: Ok) -> None:
            if asked == self._asked:
                self._learn_names(reply)
                self.results = grouped_results(reply.data)

        self._send(Search(q=query), found, quiet=True)

    def browse(self, what: str) -> None:
        self._asked += 1
        asked = self._asked

        def shown(reply: Ok) -> None:
            if asked == self._asked:
                self.results = grouped_results({what: reply.data})

        self._send(Browse(what=what), shown, quiet=True)

    def favorite(self, item: Item) -> None:
        self._send(Favorite(url=item.target), lambda _reply: self._say(f"{item.title}: a favorite"))

    def _say(self, words: str, seconds: float = 5.0) -> None:
        """Show ``words`` in the banner for ``seconds`` (unless something newer replaced them)."""
        self.notice = words

        def clear(_dt: float) -> None:
            if self.notice == words:
                self.notice = ""

        Clock.schedule_once(clear, seconds)

    def store_preset(self, slot: int, item: Item) -> None:
        if item.kind != "room":
            self.notice = "Presets from the phone hold rooms"
            return
        command = PresetSet(slot=slot, kind="room", target=item.target, label=item.title[:64])
        self._send(command, lambda _reply: self.play_preset_list())

    def play_preset_list(self) -> None:
        self._send(Browse(what="presets"), self._show_presets, quiet=True)

    def play_preset(self, slot: int) -> None:
        if self.presets[slot - 1]:
            self._send(PresetPlay(slot=slot), lambda _reply: setattr(self, "current_screen", "now"))

    def _show_presets(self, reply: Ok) -> None:
        self.presets = preset_labels(reply.data)

    def _learn_names(self, reply: Ok) -> None:
        for section in ("items", "live", "recent"):
            page = reply.data.get(section) if section != "items" else reply.data
            for entry in (page or {}).get("items", []):
                if isinstance(entry, dict) and entry.get("u") and entry.get("n"):
                    self._names[entry["u"]] = entry["n"]
        if self.room in self._names:
            self.room_name = self._names[self.room]

    # --- relay: a room through this phone's connection ------------------------------------

    def relay(self, item: Item) -> None:
        self.stop_relay()
        url = item.target

        async def relaying(client: DeviceClient) -> int:
            await client.request(Relay(label=item.title[:64]))
            return await client.relay(relay_source(url))

        future = self.link.run_coroutine(relaying)
        if future is None:
            self.notice = "Not connected to your car"
            return
        self._relay = future
        self.relaying = item.title
        future.add_done_callback(lambda done: self._later(self._relay_ended, done))
        self.current_screen = "now"

    def _relay_ended(self, future: Any) -> None:
        if future is not self._relay:
            return
        self._relay, self.relaying = None, ""
        if not future.cancelled() and future.exception() is not None:
            error = future.exception()
            words = str(error) if isinstance(error, RelaySourceError) else "The relay stopped"
            self.notice = words

    def stop_relay(self) -> None:
        if self._relay is not None:
            self._relay.cancel()

    # --- commands -------------------------------------------------------------------------

    def _send(
        self, command: Command, then: Callable[[Ok], None] | None = None, quiet: bool = False
    ) -> None:
        def done(outcome: Outcome) -> None:
            self._later(self._handle, outcome, then, quiet)

        self.link.request(command, done)

    def _handle(self, outcome: Outcome, then: Callable[[Ok], None] | None, quiet: bool) -> None:
        if outcome.reply is None:
            if not quiet:
                self.notice = outcome.error
        else:
            self.notice = ""
            if then is not None:
                then(outcome.reply)
