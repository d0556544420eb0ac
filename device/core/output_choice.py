"""The driver's choice of audio output, made in Settings and kept for the next start.

The config file's ``audio.output`` wins when it names an output (an installer chose it);
with ``auto`` (the default) the driver's last choice is used, kept in ``<state>/audio.json``
(written whole or not at all). A kept choice that cannot be opened any more (the USB DAC is
gone) falls back to ``auto``, logged: the car must play.

With ``auto`` and no sound card at start (a USB DAC that enumerates after the engine, or one
plugged in on the way) the engine plays to ``null``, and ``adopt_new_sound_card`` takes the
card into use when it appears: it reads the kernel's card list every ``CARD_POLL_S`` (one
small read) and asks PortAudio again only after that list changed, since PortAudio's start
probes every host API (tens of ms of CPU). Only from ``null``: PortAudio's device list is
the one from when it started, and it cannot start again while a card plays (a second card
plugged in then is seen after a restart).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from device.audio.outputs import AudioOutput, OutputError, output_choices
from device.core.player import Player
from device.core.player_setup import AUTO_OUTPUT, NULL_OUTPUT, open_configured_output
from device.durable_file import CorruptFile, read_json_object, write_json

log = logging.getLogger(__name__)

SOUND_CARDS = Path("/proc/asound/cards")
CARD_POLL_S = 2.0
CARD_TRIES = 5
"""Polls on which a changed card list is tried: a card is listed before it can play."""


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
            try:
                output = await asyncio.to_thread(
                    open_configured_output, spec, self._frames_per_block
                )
                await self._switch_to(output)
            except OutputError as exc:
                raise ValueError(f"{spec} cannot be used: {exc}") from None
            await asyncio.to_thread(write_json, self._path, {"output": spec})
            log.info("audio output now %s", spec)

    async def adopt_new_sound_card(self) -> None:
        """While the player is on ``null`` for want of a card: when the kernel's card list
        changes, open what the engine would have started on (the driver's kept choice, else
        ``auto``) and play there, trying again on the next few polls (a card is listed a
        moment before it can play). Returns once a card plays, or once the driver chose
        another output meanwhile. Never raises: the car keeps playing on ``null``."""
        known, tries_left = _sound_cards(), 0
        while self._player.output.spec == NULL_OUTPUT:
            await asyncio.sleep(CARD_POLL_S)
            cards = _sound_cards()
            if cards != known:
                known, tries_left = cards, CARD_TRIES
            if tries_left == 0:
                continue
            tries_left -= 1
            try:
                async with self._switching:
                    if self._player.output.spec != NULL_OUTPUT:
                        return
                    output = await asyncio.to_thread(
                        open_start_output, AUTO_OUTPUT, self._frames_per_block, self._path
                    )
                    if output.spec == NULL_OUTPUT:  # listed, but PortAudio finds no device
                        output.stop()
                        continue
                    await self._switch_to(output)
            except OutputError as exc:
                log.warning("the new sound card would not start (%s)", exc)
                continue
            except Exception:
                log.exception("taking the new sound card into use failed")
                continue
            log.info("sound card found: playing on %s", output.spec)
            return

    async def _switch_to(self, output: AudioOutput) -> None:
        """Play on ``output``; if it will not start, on the output before it again (opened
        anew) and the error raised."""
        previous = self._player.output.spec
        try:
            await self._player.switch_output(output)
        except Exception:
            if self._player.output.spec != previous:  # opened, but would not start
                await self._player.switch_output(
                    await asyncio.to_thread(
                        open_configured_output, previous, self._frames_per_block
                    )
                )
            raise
