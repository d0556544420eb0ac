"""Composition root: config → adapters → core → frontends, then run until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from device.audio.outputs import AudioOutput, OutputError
from device.catalog import Catalog, CatalogError
from device.config import Config
from device.core.art_cache import ArtCache
from device.core.car_state import CarState
from device.core.catalog_service import CatalogService, CatalogSettings
from device.core.output_choice import (
    OutputChoice,
    open_start_output,
    plays_to_null_for_want_of_a_card,
)
from device.core.player import Player
from device.core.player_setup import build_player
from device.core.power import PowerManager, run_power_off_command
from device.frontends.commands import UnitServices, execute
from device.frontends.control_socket import ControlServer, EngineAlreadyRunning
from device.frontends.event_hub import EventHub
from device.frontends.panel import PanelFrontend
from device.protocol import Event, NowPlaying, Pairing, PanelInput
from device.service_notify import keep_alive, notify, watchdog_interval_s
from device.sources.directory import parse_directory_spec
from device.sources.library import AUTO_LIBRARY, mount_table, resolve_library_roots

if TYPE_CHECKING:
    from device.frontends.link import LinkServer

log = logging.getLogger("drivetime.engine")


class EngineError(Exception):
    """The engine cannot run as configured; the message is for the driver, not a developer."""


def open_catalog_service(config: Config, player: Player) -> CatalogService | None:
    """The catalog, or None when it cannot be opened: the car still plays without it."""
    for spec in config.catalog.sources:
        try:
            parse_directory_spec(spec)
        except ValueError as exc:
            raise EngineError(f"catalog.sources: {exc}") from None
    path = config.catalog.db_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(path)
    except (OSError, CatalogError) as exc:
        log.error("catalog %s cannot be opened (%s): playing without search and presets", path, exc)
        return None
    settings = CatalogSettings(
        sources=config.catalog.sources,
        refresh_s=config.catalog.refresh_s,
        resume=config.catalog.resume,
        library_roots=functools.partial(resolve_library_roots, config.catalog.library),
        media_mounts=mount_table if AUTO_LIBRARY in config.catalog.library else None,
    )
    return CatalogService(catalog, player, settings)


class Engine:
    """The running engine: one output, one player, the control socket.

    Raises EngineError (construction: the output cannot be opened; ``start``: it cannot be
    started, or the control socket cannot be created). ``close`` is safe after any of them.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        try:
            output = open_start_output(
                config.audio.output,
                config.audio.frames_per_block,
                config.audio.chosen_output_path,
            )
        except OutputError as exc:
            raise EngineError(f"audio.output {config.audio.output!r}: {exc}") from None
        self.player = build_player(config, output, art=ArtCache(config.engine.art_dir))
        self.catalog = open_catalog_service(config, self.player)
        self.car = CarState()
        self.events = EventHub(self.player, self.car)
        self.services = UnitServices(self.player, self.catalog, car=self.car)
        self.services.audio = OutputChoice(
            self.player, config.audio.frames_per_block, config.audio.chosen_output_path
        )
        self.power = PowerManager(
            self.player,
            save_state=self._save_state,
            publish=self.events.publish_kept,
            power_off=lambda: run_power_off_command(config.power.poweroff_command),
            delay_s=config.power.shutdown_delay_s,
            fade_s=config.power.fade_s,
        )
        self.panel: PanelFrontend | None = None
        self.server = ControlServer(
            self.player,
            config.engine.socket_path,
            self.catalog,
            events=self.events,
            services=self.services,
        )
        self.link: LinkServer | None = None
        self._unsubscribe_link: Callable[[], None] | None = None
        self._card_watch: asyncio.Task[None] | None = None

    @property
    def output(self) -> AudioOutput:
        """Where the audio goes now (the driver may switch it in Settings)."""
        return self.player.output

    async def start(self) -> None:
        try:
            await self.player.start()
        except OutputError as exc:
            raise EngineError(f"audio output {self.output.spec}: {exc}") from None
        try:
            await self.server.start()
        except EngineAlreadyRunning as exc:
            raise EngineError(str(exc)) from None
        except OSError as exc:
            path = self.config.engine.socket_path
            raise EngineError(f"control socket {path}: {_os_reason(exc, path)}") from None
        log.info(
            "engine ready: output %s, control socket %s",
            self.output.spec,
            self.config.engine.socket_path,
        )
        if plays_to_null_for_want_of_a_card(
            self.config.audio.output, self.output, self.config.audio.chosen_output_path
        ):
            self._card_watch = asyncio.create_task(
                self.services.audio.adopt_new_sound_card(), name="sound card watch"
            )
        if self.catalog is not None:
            await self.catalog.start()
        if self.config.link.transport:
            await self._start_link()
        if self.config.panel.device:
            await self._start_panel()

    async def _start_panel(self) -> None:
        """The knob and buttons; a panel that is not plugged in is waited for, not fatal."""
        settings = self.config.panel
        try:
            panel = PanelFrontend(
                settings.device, self.services, self.events, self.power, settings.volume_step
            )
            await panel.start()
        except ValueError as exc:
            log.error("%s: no panel", exc)
            return
        self.panel = self.services.panel = panel

    async def _save_state(self) -> None:
        if self.catalog is not None:
            await self.catalog.save_resume_now()

    async def _start_link(self) -> None:
        """Bluetooth for the phone; a radio that cannot be used leaves the car playing."""
        from device.frontends.link import LinkServer, RadioUnavailable  # bumble: only if on

        settings = self.config.link
        publish = self.events.publish
        link = LinkServer(
            settings.transport,
            execute=lambda command: execute(self.services, command),
            state_dir=settings.bonds_dir,
            max_bonds=settings.max_bonds,
            pairing_window_s=settings.pairing_window_s,
            phone_port=settings.phone_port,
            on_audio=self.player.feed_relay,
            on_pairing=lambda prompt: publish(
                Pairing(state="confirm", digits=prompt.digits, phone=prompt.address)
            ),
            on_pairing_done=lambda address, paired: publish(
                Pairing(state="paired" if paired else "rejected", phone=address)
            ),
            on_pairing_window=lambda opened: publish(Pairing(state="open" if opened else "closed")),
        )
        try:
            await link.start()
        except (RadioUnavailable, OSError) as exc:
            log.error("Bluetooth %s cannot be used (%s): no phone control", settings.transport, exc)
            return
        self.link = self.services.link = link

        def to_phones(event: Event) -> None:
            # The digits are for the unit's screen only. The car event does go to phones: it
            # is no secret, rare and small, and lets a phone's "driving" switch follow a
            # change made on the panel or by another phone. A picture's file name is of no
            # use off the unit: left out, it costs the radio nothing.
            if isinstance(event, NowPlaying) and event.art:
                event = replace(event, art="")
            if not isinstance(event, Pairing | PanelInput):  # the screen's only
                link.notify_event(event)

        self._unsubscribe_link = self.events.subscribe(to_phones)
        log.info("Bluetooth on %s (address %s)", settings.transport, link.address)

    async def resume(self) -> bool:
        """Play the last room again (fast boot-to-audio: before any UI has drawn)."""
        return self.catalog is not None and await self.catalog.resume()

    async def close(self) -> None:
        # A socket path that could not be created (its directory is a file) cannot be removed
        # either; closing goes on to release the output.
        with contextlib.suppress(OSError):
            await self.server.close()
        await self.power.close()
        if self._card_watch is not None:
            self._card_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._card_watch
        if self.panel is not None:
            await self.panel.close()
            self.panel = self.services.panel = None
        if self.link is not None:
            if self._unsubscribe_link is not None:
                self._unsubscribe_link()
            await self.link.close()
            self.link = self.services.link = None
        if self.catalog is not None:
            await self.catalog.close()
        await self.player.close()
        log.info("engine stopped")


async def run_engine(config: Config, join: str | None = None) -> None:
    """Run the engine until SIGINT or SIGTERM; ``join`` selects a room at start.

    Raises EngineError when it cannot start or the room is refused (a URL the room client
    cannot play); whatever happens, the control socket is gone when this returns.
    """
    engine = Engine(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    watchdog: asyncio.Task[None] | None = None
    try:
        await engine.start()
        notify("READY=1")  # systemd may start the screen now
        interval = watchdog_interval_s()
        if interval is not None:
            watchdog = asyncio.create_task(keep_alive(interval), name="systemd watchdog")
        if not join:
            await engine.resume()
        if join:
            try:
                await engine.player.join(join)
            except ValueError as exc:
                raise EngineError(f"--join: {exc}") from None
        await stop.wait()
    finally:
        notify("STOPPING=1")
        if watchdog is not None:
            watchdog.cancel()
        await engine.close()


def _os_reason(exc: OSError, path: Path) -> str:
    reason = exc.strerror or str(exc)
    return f"{reason} ({exc.filename})" if exc.filename and exc.filename != str(path) else reason
