"""Ignition off → a safe shutdown the driver can still take back.

When the panel says the ignition went off, the unit saves what it must find again (where
the music was), fades the audio out over ``fade_s`` so the speakers do not cut off mid-word,
tells the screen how long is left, and after ``delay_s`` asks the system to power off. The
ignition coming back before then cancels it and fades the audio back in: a stop at a petrol
station does not reboot the unit. The state is saved first, before the fade: the power may
go at any moment after the ignition, and the saving is what matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from device.core.player import Player
from device.protocol import Event, Power

log = logging.getLogger(__name__)


class PowerManager:
    def __init__(
        self,
        player: Player,
        save_state: Callable[[], Awaitable[None]],
        publish: Callable[[Event], None],
        power_off: Callable[[], Awaitable[None]],
        delay_s: float = 30.0,
        fade_s: float = 2.0,
    ) -> None:
        self._player = player
        self._save_state = save_state
        self._publish = publish
        self._power_off = power_off
        self.delay_s, self.fade_s = delay_s, fade_s
        self._shutdown: asyncio.Task[None] | None = None
        self._ignition_off = False
        self.saved_after_s = -1.0  # the last shutdown: ignition off → state saved
        self.faded_after_s = -1.0  # ignition off → audio silent

    @property
    def shutting_down(self) -> bool:
        return self._ignition_off

    def ignition(self, on: bool) -> None:
        """The panel's ignition line changed (event loop). Repeats change nothing."""
        if not on and not self._ignition_off:
            self._ignition_off = True
            self._shutdown = asyncio.get_running_loop().create_task(
                self._shut_down(time.monotonic()), name="ignition off"
            )
        elif on and self._ignition_off:
            # Whatever became of the shutdown (counting down, or a power-off that failed),
            # the car is on again: cancel it, bring the audio back, say so.
            self._ignition_off = False
            if self._shutdown is not None:
                self._shutdown.cancel()
                self._shutdown = None
            self._player.restore_volume()
            self._publish(Power(state="on"))
            log.info("ignition back on: shutdown cancelled")

    async def close(self) -> None:
        if self._shutdown is not None:
            self._shutdown.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._shutdown

    async def _shut_down(self, started: float) -> None:
        deadline = started + self.delay_s
        self._publish(Power(state="off", seconds=round(self.delay_s)))
        try:
            await self._save_state()
        except Exception:  # a full card must not keep the unit from powering off
            log.exception("state not saved at ignition off")
        self.saved_after_s = time.monotonic() - started
        await self._player.fade_out(self.fade_s)
        self.faded_after_s = time.monotonic() - started
        log.info(
            "ignition off: state saved after %.0f ms, audio faded after %.0f ms; "
            "powering off in %.0f s",
            self.saved_after_s * 1000,
            self.faded_after_s * 1000,
            deadline - time.monotonic(),
        )
        while (left := deadline - time.monotonic()) > 0:
            self._publish(Power(state="off", seconds=max(0, round(left))))
            await asyncio.sleep(min(1.0, left))
        self._publish(Power(state="powering_off"))
        await self._power_off()


async def run_power_off_command(command: str) -> None:
    """The system's power-off (``systemctl poweroff`` on the unit), logged if it fails."""
    try:
        process = await asyncio.create_subprocess_shell(command)
        status = await process.wait()
    except OSError as exc:
        log.error("power off %r could not run: %s", command, exc)
        return
    if status != 0:
        log.error("power off %r exited with %s", command, status)
