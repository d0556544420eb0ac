"""The panel's knob and buttons drive the unit; its LEDs show the preset playing.

Events from the panel (``hw.panel``: a serial link, or the in-process fake) become the same
commands the screen and the phone send, through ``commands.execute``:

* knob turned → volume (``panel.volume_step`` per detent) — unless the screen holds the knob
  (``knob`` command, a lease of ``KNOB_LEASE_S`` it renews while navigating), then the turn
  goes to the screen as a ``panel`` event and moves its focus;
* knob pushed → play/pause, or, held by the screen, select;
* preset 1-4 → play it; held → store what plays;
* back → to the screen (``panel`` event);
* ignition → ``PowerManager``; ambient light → a ``light`` event (the screen's auto theme).

``panel`` events are for the screen only (the engine keeps them from the phones).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from device.core.listener import PlayerListener, PlayerSnapshot
from device.core.power import PowerManager
from device.frontends.commands import UnitServices, execute
from device.frontends.event_hub import EventHub
from device.protocol import (
    Browse,
    Command,
    Error,
    Light,
    PanelInput,
    Pause,
    PresetPlay,
    PresetSet,
    Resume,
)
from device.protocol.panel_messages import KNOB_LEASE_S
from hw.panel.events import (
    BACK_CONTROL,
    KNOB_CONTROL,
    ControlPressed,
    IgnitionChanged,
    KnobTurned,
    LightChanged,
    PanelEvent,
)

log = logging.getLogger(__name__)

FLOWING = ("connecting", "buffering", "playing", "reconnecting")
MAX_LABEL = 64  # a preset button's words; the protocol allows more, a button shows less
STREAM_SUFFIXES = (".opus", ".ogg", ".oga", ".mp3")


class PanelFrontend(PlayerListener):
    def __init__(
        self,
        spec: str,
        services: UnitServices,
        events: EventHub,
        power: PowerManager,
        volume_step: int = 2,
    ) -> None:
        self.spec = spec
        self._services, self._events, self._power = services, events, power
        self._volume_step = volume_step
        self._knob_lease_until = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lit_room = ""
        self.device: Any = None  # SerialPanel or FakePanel

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.device = _open_device(self.spec, self._from_device, self._connection_changed)
        self.device.start()
        self._services.player.add_listener(self)

    async def close(self) -> None:
        self._services.player.remove_listener(self)
        if self.device is not None:
            await asyncio.to_thread(self.device.stop)
        for task in list(self._tasks):
            task.cancel()

    # --- the knob, as the screen asks -----------------------------------------------------

    def lease_knob(self, focus: bool) -> None:
        self._knob_lease_until = time.monotonic() + KNOB_LEASE_S if focus else 0.0

    @property
    def screen_has_knob(self) -> bool:
        return time.monotonic() < self._knob_lease_until

    # --- from the device's thread to the event loop ---------------------------------------

    def _from_device(self, event: PanelEvent) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.handle, event)

    def _connection_changed(self, connected: bool) -> None:
        log.info("panel %s", "connected" if connected else "disconnected")

    def handle(self, event: PanelEvent) -> None:
        """One panel event (event loop)."""
        if isinstance(event, KnobTurned):
            if self.screen_has_knob:
                self._to_screen(PanelInput(control="knob", action="turn", steps=event.steps))
            else:
                # Read and set in one go: two turns handled in one pass must both count.
                player = self._services.player
                step = event.steps * self._volume_step
                player.set_volume(max(0, min(100, player.snapshot().volume + step)))
        elif isinstance(event, ControlPressed):
            self._pressed(event)
        elif isinstance(event, IgnitionChanged):
            self._power.ignition(event.on)
        elif isinstance(event, LightChanged):
            self._events.publish_kept(Light(permille=event.permille))
        # Heartbeats only say the panel is alive: the driver's link logs its coming and going.

    def _pressed(self, event: ControlPressed) -> None:
        if event.control == KNOB_CONTROL:
            if self.screen_has_knob:
                self._to_screen(PanelInput(control="knob", action="press"))
            elif not event.long:
                self._toggle_play()
        elif event.control == BACK_CONTROL:
            self._to_screen(PanelInput(control="back", action="press"))
        elif event.long:
            self._spawn(self._store_preset(event.control))
        else:
            self._run(PresetPlay(slot=event.control))

    def _toggle_play(self) -> None:
        state = self._services.player.snapshot().state
        if state in FLOWING:
            self._run(Pause())
        elif state == "paused":
            self._run(Resume())

    def _to_screen(self, event: PanelInput) -> None:
        self._events.publish(event)

    async def _store_preset(self, slot: int) -> None:
        player = self._services.player
        room = player.snapshot().room
        song = player.now_playing
        if room.startswith(("http://", "https://")):
            label = (await self._room_name(room))[:MAX_LABEL]
            command: Command = PresetSet(slot=slot, kind="room", target=room, label=label)
        elif room and song is not None and (song.album or song.artist):
            kind = "album" if song.album else "artist"
            target = song.album or song.artist
            command = PresetSet(slot=slot, kind=kind, target=target, label=target[:MAX_LABEL])
        else:
            log.info("preset %d held with nothing playing: nothing stored", slot)
            return
        await self._execute(command)
        await self._light_preset(room)

    async def _room_name(self, room: str) -> str:
        reply = await execute(self._services, Browse(what="live"))
        for item in getattr(reply, "data", {}).get("items", []):
            if item.get("u") == room and item.get("n"):
                return str(item["n"])
        stem = room.rstrip("/").rsplit("/", 1)[-1]
        for suffix in STREAM_SUFFIXES:
            stem = stem.removesuffix(suffix)
        return stem.replace("-", " ").strip() or room

    # --- LEDs: the preset playing ---------------------------------------------------------

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        if snapshot.room != self._lit_room:
            self._spawn(self._light_preset(snapshot.room))

    async def _light_preset(self, room: str) -> None:
        self._lit_room = room
        mask = 0
        if room and self._services.catalog is not None:
            page = await self._services.catalog.browse("presets", 0, 10)
            for item in page.get("items", []):
                if item.get("t") == room:
                    mask |= 1 << (int(item["s"]) - 1)
        if self.device is not None:
            self.device.set_leds(mask)

    # --- commands -------------------------------------------------------------------------

    def _run(self, command: Command) -> None:
        self._spawn(self._execute(command))

    async def _execute(self, command: Command) -> None:
        reply = await execute(self._services, command)
        if isinstance(reply, Error):
            log.info("panel: %s refused: %s", command.name, reply.msg)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("panel action failed", exc_info=task.exception())


def _open_device(spec: str, on_event: Any, on_connection: Any) -> Any:
    """The panel device from the config's ``panel.device``."""
    if spec == "fake":
        from hw.panel.fake import FakePanel

        return FakePanel(on_event, on_connection)
    if spec.startswith("serial:"):
        path, _, baud = spec.removeprefix("serial:").partition(",")
        if not path:
            raise ValueError(f"panel.device {spec!r}: no serial device path")
        try:
            rate = int(baud or 115200)
        except ValueError:
            raise ValueError(f"panel.device {spec!r}: baud rate must be a number") from None
        from hw.panel.serial_link import SerialPanel

        return SerialPanel(path, rate, on_event, on_connection)
    raise ValueError(f'panel.device must be "", "fake" or "serial:<path>,<baud>", got {spec!r}')
