"""Who may pair: LE Secure Connections, numeric comparison, the driver's yes, an open window.

bumble has no "Secure Connections only" mode: it accepts legacy and Just Works pairing even
when configured with ``sc=True, mitm=True``, and then marks the link authenticated. So the
unit checks the phone's Pairing Request itself (:class:`StrictSession`) and refuses, before
any key is computed, a request that

* arrives while the pairing window is closed, or while another phone is pairing;
* lacks the Secure Connections, MITM or bonding flag (legacy pairing, Just Works);
* comes from a phone whose I/O capabilities cannot do numeric comparison (NoInputNoOutput,
  DisplayOnly, KeyboardOnly), or offers out-of-band data, or a key shorter than 128 bits.

The delegate then answers the remaining questions the strict way: the six digits go to the
driver (:class:`PairingGate`), Just Works confirmation and passkey entry are refused. The
window opens on the driver's request and closes after ``window_s`` or after one phone paired.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bumble import smp
from bumble.pairing import PairingConfig, PairingDelegate

log = logging.getLogger(__name__)

KEY_BYTES = 16
NUMERIC_COMPARISON_CAPABILITIES = (
    smp.IoCapability.DISPLAY_YES_NO,
    smp.IoCapability.KEYBOARD_DISPLAY,
)
REQUIRED_AUTH = smp.AuthReq.SC | smp.AuthReq.MITM | smp.AuthReq.BONDING


@dataclass(frozen=True)
class PairingPrompt:
    """Show these six digits; the driver compares them with the phone's and answers."""

    address: str  # the phone's address on this connection (its identity comes with the keys)
    digits: str  # always six, zero-padded: "004211"
    expires_in_s: float  # the window closes then, and an unanswered prompt means no


class PairingGate:
    """The pairing window and the one comparison the driver may be asked at a time."""

    def __init__(
        self,
        window_s: float,
        clock: Callable[[], float],
        on_prompt: Callable[[PairingPrompt], None],
        on_window: Callable[[bool], None],
    ) -> None:
        self._window_s = window_s
        self._clock = clock
        self._on_prompt = on_prompt
        self._on_window = on_window
        self._closes_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._pairing: object | None = None  # the connection pairing now
        self._answer: asyncio.Future[bool] | None = None

    @property
    def is_open(self) -> bool:
        return self._closes_at is not None and self._clock() < self._closes_at

    def open(self) -> None:
        """Open the window for ``window_s`` (again from now, if it was open already)."""
        self._closes_at = self._clock() + self._window_s
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self._window_s, self.close)
        self._on_window(True)

    def close(self) -> None:
        """Close the window; an unanswered prompt counts as a no."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.answer(False)
        if self._closes_at is not None:
            self._closes_at = None
            self._on_window(False)

    def refusal(self, connection: object, request: smp.SMP_Pairing_Request_Command) -> Any:
        """The SMP error to refuse this Pairing Request with, or None to go on."""
        if not self.is_open:
            log.warning("pairing refused: the pairing window is closed")
            return smp.ErrorCode.PAIRING_NOT_SUPPORTED
        if self._pairing is not None and self._pairing is not connection:
            log.warning("pairing refused: another phone is pairing")
            return smp.ErrorCode.PAIRING_NOT_SUPPORTED
        if request.auth_req & REQUIRED_AUTH != REQUIRED_AUTH:
            log.warning("pairing refused: not Secure Connections + MITM + bonding")
            return smp.ErrorCode.AUTHENTICATION_REQUIREMENTS
        if request.io_capability not in NUMERIC_COMPARISON_CAPABILITIES or request.oob_data_flag:
            log.warning("pairing refused: the phone cannot compare numbers")
            return smp.ErrorCode.AUTHENTICATION_REQUIREMENTS
        if request.maximum_encryption_key_size < KEY_BYTES:
            log.warning("pairing refused: %d-byte keys", request.maximum_encryption_key_size)
            return smp.ErrorCode.ENCRYPTION_KEY_SIZE
        self._pairing = connection
        return None

    async def compare(self, connection: object, address: str, number: int) -> bool:
        """Ask the driver; False when they say no, the window closes, or it is not their turn."""
        if connection is not self._pairing or self._closes_at is None or self._answer is not None:
            return False
        remaining = self._closes_at - self._clock()
        if remaining <= 0:
            return False
        self._answer = asyncio.get_running_loop().create_future()
        try:
            self._on_prompt(PairingPrompt(address, f"{number:06d}", remaining))
            return await asyncio.wait_for(asyncio.shield(self._answer), remaining)
        except TimeoutError:
            log.warning("pairing refused: the driver did not answer in time")
            return False
        finally:
            self._answer = None

    def answer(self, accept: bool) -> bool:
        """The driver's answer to the shown digits; False if nothing was being asked."""
        if self._answer is None or self._answer.done():
            return False
        self._answer.set_result(accept)
        return True

    def is_pairing(self, connection: object) -> bool:
        return self._pairing is connection

    def finished(self, connection: object, paired: bool) -> None:
        """A pairing ended (keys stored, failed, or the phone left)."""
        if self._pairing is connection:
            self._pairing = None
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(False)
            if paired:
                self.close()  # one phone per window


class DriverDelegate(PairingDelegate):
    """One per connection: numeric comparison through the gate, everything else refused."""

    def __init__(self, gate: PairingGate, connection: Any) -> None:
        super().__init__(
            io_capability=PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT,
            maximum_encryption_key_size=KEY_BYTES,
        )
        self.gate = gate
        self.connection = connection
        self.confirmed = False  # the driver said yes to this connection's digits

    async def compare_numbers(self, number: int, digits: int) -> bool:
        self.confirmed = await self.gate.compare(
            self.connection, str(self.connection.peer_address), number
        )
        return self.confirmed

    async def confirm(self, auto: bool = False) -> bool:
        log.warning("pairing refused: Just Works")
        return False

    async def get_number(self) -> int | None:
        log.warning("pairing refused: passkey entry")
        return None

    async def generate_passkey(self) -> int:
        raise PermissionError("passkey pairing is not allowed")


def pairing_config(gate: PairingGate, connection: Any) -> PairingConfig:
    return PairingConfig(
        sc=True, mitm=True, bonding=True, delegate=DriverDelegate(gate, connection)
    )


class StrictSession(smp.Session):
    """bumble's SMP session with the unit's checks in front of every Pairing Request."""

    def on_smp_pairing_request_command(self, command: smp.SMP_Pairing_Request_Command) -> None:
        delegate = self.pairing_config.delegate
        reason = (
            delegate.gate.refusal(self.connection, command)
            if isinstance(delegate, DriverDelegate)
            else smp.ErrorCode.PAIRING_NOT_SUPPORTED
        )
        if reason is not None:
            self.send_pairing_failed(reason)
            return
        super().on_smp_pairing_request_command(command)
