"""bumble's exceptions translated to the ones bleak documents, so callers handle one family.

* an ATT error response → ``BleakGATTProtocolError`` carrying the ATT code (0x05 insufficient
  authentication, 0x0F insufficient encryption, ...);
* a GATT or connect timeout → ``TimeoutError``, as bleak's own backends raise;
* a failed pairing → ``BleakPairingError`` naming the SMP reason;
* a link that drops mid-operation → ``BleakError``: bumble cancels the pending request, and
  a ``CancelledError`` that nobody asked for must not escape as a cancellation;
* anything else from bumble → ``BleakError``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core


class BleakPairingError(BleakError):
    """Pairing did not complete: refused on either side, or weaker than the policy allows."""


@contextlib.contextmanager
def bleak_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except att.ATT_Error as exc:
        raise BleakGATTProtocolError(exc.error_code) from exc
    except core.TimeoutError as exc:
        raise TimeoutError(f"{doing}: no answer in time") from exc
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise BleakError(f"{doing}: the connection dropped") from None
    except core.ProtocolError as exc:
        if exc.error_namespace == "smp":
            raise BleakPairingError(f"{doing}: pairing failed ({exc.error_name})") from exc
        raise BleakError(f"{doing}: {exc}") from exc
    except core.BaseBumbleError as exc:
        raise BleakError(f"{doing}: {exc}") from exc
