"""The phone's pairing policy: LE Secure Connections with numeric comparison, nothing weaker.

bumble has no "Secure Connections only" mode: with ``sc=True, mitm=True`` it still completes
legacy or Just Works pairing when the peer asks for less, and then counts the link as
authenticated. So the session checks the unit's pairing response itself, and the delegate
refuses the Just Works confirmation and passkey entry outright. The six digits of the
comparison go to the caller's ``confirm_pairing(digits) -> bool`` coroutine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bumble import smp
from bumble.pairing import PairingConfig, PairingDelegate

ConfirmPairing = Callable[[int], Awaitable[bool]]

NUMERIC_COMPARISON_IO = (smp.IoCapability.DISPLAY_YES_NO, smp.IoCapability.KEYBOARD_DISPLAY)

logger = logging.getLogger(__name__)


def allows_numeric_comparison(auth_req: int, io_capability: int, oob_data_flag: int) -> bool:
    """Whether a peer's pairing request or response leads to SC numeric comparison with us."""
    wants = smp.AuthReq.SC | smp.AuthReq.MITM
    return (
        auth_req & wants == wants and io_capability in NUMERIC_COMPARISON_IO and not oob_data_flag
    )


class PhoneDelegate(PairingDelegate):
    def __init__(self, confirm: ConfirmPairing | None) -> None:
        super().__init__(io_capability=PairingDelegate.DISPLAY_OUTPUT_AND_YES_NO_INPUT)
        self._confirm = confirm

    async def accept(self) -> bool:
        return self._confirm is not None

    async def confirm(self, auto: bool = False) -> bool:
        return False  # Just Works: no protection against a man in the middle

    async def get_number(self) -> int | None:
        return None  # passkey entry is not offered

    async def compare_numbers(self, number: int, digits: int) -> bool:
        if self._confirm is None:
            logger.warning("pairing asked to compare digits, but no confirm_pairing was given")
            return False
        return bool(await self._confirm(number))


class StrictSession(smp.Session):
    """An SMP session that fails pairing unless it will be SC numeric comparison."""

    def on_smp_pairing_response_command(self, command: smp.SMP_Pairing_Response_Command) -> None:
        if self.is_initiator and not allows_numeric_comparison(
            command.auth_req, command.io_capability, command.oob_data_flag
        ):
            logger.warning("the unit offered pairing weaker than SC numeric comparison")
            self.send_pairing_failed(smp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return
        super().on_smp_pairing_response_command(command)

    def on_smp_pairing_request_command(self, command: smp.SMP_Pairing_Request_Command) -> None:
        if not allows_numeric_comparison(
            command.auth_req, command.io_capability, command.oob_data_flag
        ):
            self.send_pairing_failed(smp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return
        super().on_smp_pairing_request_command(command)


def pairing_config(confirm: ConfirmPairing | None) -> PairingConfig:
    return PairingConfig(sc=True, mitm=True, bonding=True, delegate=PhoneDelegate(confirm))
