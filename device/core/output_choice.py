"""The driver's choice of audio output, made in Settings and kept for the next start.

The config file's ``audio.output`` wins when it names an output (an installer chose it);
with ``auto`` (the default) the driver's last choice is used, kept in ``<state>/audio.json``
(written whole or not at all). A kept choice that cannot be opened any more (the USB DAC is
gone) falls back to ``auto``, logged: the car must play.

With ``auto`` and no sound card at start (a USB DAC that enumerates after the engine, or one
plugged in on the way) the engine plays to ``null``, and ``adopt_new_sound_card`` takes the
card into use when it appears: it reads the kernel's card list every ``CARD_POLL_S`` (one
small read) and opens ``auto`` again only when that list changes, since PortAudio's start
probes every host API (tens of ms of CPU).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from device.audio.outputs import AudioOutput, OutputError, output_choices
from device.core.player import Player
from device.core.player_setup import AUTO_OUTPUT, open_configured_output
from device.durable_file import CorruptFile, read_json_object, write_json

log = logging.getLogger(__name__)

SOUND_CARDS = Path("/proc/asound/cards")
CARD_POLL_S = 2.0
NULL_OUTPUT = "null"


def kept_output(path: Path) -> str | None:
    try:
        stored = read_json_object(path)
    except CorruptFile as exc:
        log.error("audio choice unreadable, using the config's: %s", exc)
        return None
    spec = (stored or {}).get("output")
    return spec if isinstance(spec, str) and spec else None


def open_start_output(configured: str, frames_per_block: int, path: Path) -> AudioOutput:
    """The output to start with: the config's, or with ``auto`` the driver's kept choice."""
    kept = kept_output(path) if configured == AUTO_OUTPUT else None
    if kept is not None:
        try:
            return open_configured_output(kept, frames_per_block)
        except OutputError as exc:
            log.warning("the chosen output %s cannot be opened (%s): using auto", kept, exc)
    return open_configured_output(configured, frames_per_block)


def plays_to_null_for_want_of_a_card(configured: str, output: AudioOutput, path: Path) -> bool:
    """``auto`` found no card (``null`` was not what the installer or the driver chose)."""
    return (
        configured == AUTO_OUTPUT
        and output.spec == NULL_OUTPUT
        and kept_output(path) != NULL_OUTPUT
    )


def _sound_cards() -> str:
    try:
        return SOUND_CARDS.read_text(encoding="utf-8", errors="replace")
    except OSError:  # no sound support in the kernel at all, or no card yet
        return ""


class OutputChoice:
    def __init__(self, player: Player, frames_per_block: int, path: Path) -> None:
        self._player, self._frames_per_block, self._path = player, frames_per_block, path
        self._switching = asyncio.Lock()  # a double tap, or the screen and ctl at once

    async def choices(self) -> dict[str, object]:
        choices = await asyncio.to_thread(output_choices)
        return {"current": self._player.output.spec, "choices": choices}

    async def use(self, spec: str) -> None:
        """Switch to ``spec`` now and keep it. ValueError (the driver's words) when it cannot
        be opened; what plays keeps playing on the old output then."""
        async with self._switching:
            previous = self._player.output.spec
            try:
                output = await asyncio.to_thread(
                    open_configured_output, spec, self._frames_per_block
                )
                await self._player.switch_output(output)
            except OutputError as exc:
                if self._player.output.spec != previous:  # opened, but would not start
                    await self._player.switch_output(
                        await asyncio.to_thread(
                            open_configured_output, previous, self._frames_per_block
                        )
                    )
                raise ValueError(f"{spec} cannot be used: {exc}") from None
            await asyncio.to_thread(write_json, self._path, {"output": spec})
            log.info("audio output now %s", spec)

    async def adopt_new_sound_card(self) -> None:
        """While the player is on ``null`` for want of a card: switch to the card that
        appears (``auto`` opened again). Returns once one plays, or once the driver chose
        another output meanwhile."""
        known = _sound_cards()
        while self._player.output.spec == NULL_OUTPUT:
            await asyncio.sleep(CARD_POLL_S)
            cards = _sound_cards()
            if cards == known:
                continue
            known = cards
            async with self._switching:
                if self._player.output.spec != NULL_OUTPUT:
                    return
                output = await asyncio.to_thread(
                    open_configured_output, AUTO_OUTPUT, self._frames_per_block
                )
                if output.spec == NULL_OUTPUT:  # the list changed, PortAudio still finds none
                    output.stop()
                    continue
                try:
                    await self._player.switch_output(output)
                except OutputError as exc:  # opened, would not start: null again
                    log.warning("the new sound card would not start (%s)", exc)
                    await self._player.switch_output(
                        await asyncio.to_thread(
                            open_configured_output, NULL_OUTPUT, self._frames_per_block
                        )
                    )
                    continue
                except Exception:  # a fault here must not stop the watch for the drive
                    log.exception("taking the new sound card into use failed")
                    continue
            log.info("sound card found: playing on %s", output.spec)
            return
