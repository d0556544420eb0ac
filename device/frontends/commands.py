"""Apply protocol commands to the core: one dispatcher shared by every remote.

The control socket (touchscreen), the BLE link (phone) and the panel all go through here,
so a command means the same thing whoever sends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from device.core.car_state import CarState
from device.core.catalog_service import CatalogService
from device.core.player import Player
from device.frontends.events import state_event
from device.protocol import (
    Browse,
    Command,
    Error,
    ErrorCode,
    Favorite,
    Join,
    Message,
    Mode,
    Ok,
    Pause,
    PresetClear,
    PresetPlay,
    PresetSet,
    Resume,
    Search,
    Status,
    Volume,
    Watch,
)
from device.protocol.audio_messages import Output, Outputs
from device.protocol.catalog_messages import CATALOG_COMMANDS
from device.protocol.link_messages import (
    LINK_COMMANDS,
    Driving,
    Forget,
    PairConfirm,
    Phones,
    Relay,
)
from device.protocol.music_messages import Library, Next, Previous, Queue, Shuffle
from device.protocol.panel_messages import Knob


class LinkControl(Protocol):
    """What the touchscreen may ask of the Bluetooth link (device.frontends.link)."""

    def open_pairing_window(self) -> None: ...

    def confirm_pairing(self, accept: bool) -> None: ...

    def bonded_phones(self) -> list[Any]: ...

    async def forget(self, address: str) -> None: ...


class AudioChoice(Protocol):
    """Where the audio goes (device.core.output_choice)."""

    async def choices(self) -> dict[str, object]: ...

    async def use(self, spec: str) -> None: ...


class KnobControl(Protocol):
    """Who the panel's knob talks to (device.frontends.panel)."""

    def lease_knob(self, focus: bool) -> None: ...


@dataclass
class UnitServices:
    """Everything a command may act on; what the engine could not start is None."""

    player: Player
    catalog: CatalogService | None = None
    link: LinkControl | None = None
    car: CarState = field(default_factory=CarState)
    panel: KnobControl | None = None
    audio: AudioChoice | None = None


async def execute(services: UnitServices, command: Command) -> Message:
    """Run one command and return its reply (Ok or Error); never raises for bad requests."""
    player, catalog = services.player, services.catalog
    try:
        if isinstance(command, Relay):
            await player.start_relay(command.label)
            return Ok(re=command.id, data=state_event(player.snapshot()).args())
        if isinstance(command, Driving):
            services.car.set_driving(command.on)
            return Ok(re=command.id, data={"driving": command.on})
        if isinstance(command, Outputs | Output):
            if services.audio is None:
                return Error(re=command.id, code=ErrorCode.REFUSED, msg="outputs are fixed here")
            if isinstance(command, Outputs):
                return Ok(re=command.id, data=await services.audio.choices())
            await services.audio.use(command.spec)
            return Ok(re=command.id, data=state_event(player.snapshot()).args())
        if isinstance(command, Knob):
            # Without a panel the screen's request is moot, not wrong: a desk keyboard
            # still moves its focus.
            if services.panel is not None:
                services.panel.lease_knob(command.focus)
            return Ok(
                re=command.id, data={"focus": command.focus, "panel": services.panel is not None}
            )
        if isinstance(command, LINK_COMMANDS):
            if services.link is None:
                return Error(re=command.id, code=ErrorCode.REFUSED, msg="Bluetooth is off")
            return Ok(re=command.id, data=await _link_command(services.link, command))
        if isinstance(command, (*CATALOG_COMMANDS, Library, Queue)) and catalog is None:
            return Error(re=command.id, code=ErrorCode.REFUSED, msg="no catalog configured")
        if isinstance(command, CATALOG_COMMANDS):
            assert catalog is not None
            data = await _catalog_command(catalog, command)
            if data is not None:
                return Ok(re=command.id, data=data)
        elif isinstance(command, Library | Queue):
            assert catalog is not None
            return Ok(re=command.id, data=await _music_command(catalog, command))
        elif isinstance(command, Next):
            player.next_track()
        elif isinstance(command, Previous):
            player.previous_track()
        elif isinstance(command, Shuffle):
            player.set_shuffle(command.on)
        elif isinstance(command, Status | Watch):
            pass
        elif isinstance(command, Join):
            await player.join(command.url)
        elif isinstance(command, Pause):
            player.pause()
        elif isinstance(command, Resume):
            player.resume()
        elif isinstance(command, Volume):
            player.set_volume(command.percent)
        elif isinstance(command, Mode):
            player.set_mode(command.mode)
        else:
            return Error(re=command.id, code=ErrorCode.UNKNOWN, msg=f"{command.name} unsupported")
    except (RuntimeError, ValueError) as exc:
        return Error(re=command.id, code=ErrorCode.REFUSED, msg=str(exc)[:256])
    return Ok(re=command.id, data=state_event(player.snapshot()).args())


async def _catalog_command(catalog: CatalogService, command: Command) -> dict[str, Any] | None:
    """Run a catalog command; its result data, or None when the reply is the player state."""
    if isinstance(command, Search):
        return await catalog.search(command.q, command.offset, command.limit)
    if isinstance(command, Browse):
        return await catalog.browse(command.what, command.offset, command.limit)
    if isinstance(command, Favorite):
        await catalog.favorite(command.url, command.on)
    elif isinstance(command, PresetSet):
        await catalog.set_preset(command.slot, command.kind, command.target, command.label)
    elif isinstance(command, PresetClear):
        await catalog.clear_preset(command.slot)
    elif isinstance(command, PresetPlay):
        await catalog.play_preset(command.slot)
    return None


async def _music_command(catalog: CatalogService, command: Library | Queue) -> dict[str, Any]:
    music = catalog.music
    if isinstance(command, Library):
        return await music.library(
            command.what, command.artist, command.album, command.offset, command.limit
        )
    if command.kind:
        await music.play(command.kind, command.target, command.artist, command.shuffle)
    return music.queue_page(command.offset, command.limit)


async def _link_command(link: LinkControl, command: Command) -> dict[str, Any]:
    if isinstance(command, PairConfirm):
        link.confirm_pairing(command.accept)
    elif isinstance(command, Phones):
        phones = link.bonded_phones()
        items = [{"a": phone.address, "n": getattr(phone, "name", "") or ""} for phone in phones]
        return {"total": len(items), "offset": 0, "items": items}
    elif isinstance(command, Forget):
        if not command.address:
            raise ValueError("which phone? give its address (from the phones command)")
        await link.forget(command.address)
    else:  # PairOpen
        link.open_pairing_window()
    return {}
