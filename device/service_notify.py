"""Tell systemd the engine is ready, and that it is alive (sd_notify, without libsystemd).

Under ``Type=notify`` systemd starts the UI only after ``READY=1``, and with ``WatchdogSec``
it restarts an engine that stops sending ``WATCHDOG=1`` — a hung event loop, which a
crash-only restart policy would never notice. The keep-alive is sent from the event loop
itself, so it stops exactly when the loop stops turning. Without ``$NOTIFY_SOCKET`` (not run
by systemd) every call does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1``) to systemd; False when not under systemd."""
    environ = dict(os.environ) if environ is None else environ
    address = environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode(), address)
    except OSError as exc:
        log.warning("cannot notify systemd (%s): %s", state, exc)
        return False
    return True


def watchdog_interval_s(environ: dict[str, str] | None = None) -> float | None:
    """Half of systemd's ``WatchdogSec`` for this process, or None when there is none."""
    environ = dict(os.environ) if environ is None else environ
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6 / 2


async def keep_alive(interval_s: float) -> None:
    """``WATCHDOG=1`` every ``interval_s`` for as long as the event loop runs this task."""
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(interval_s)
