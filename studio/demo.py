"""``python -m studio demo``: the rooms live on a private Icecast, and the unit playing one.

The unit runs as it does in the car — ``drivetime-unit run``: the engine and the touchscreen
UI, supervised — and is joined to the first room by ``drivetime-unit ctl join``, with
``drivetime-unit ctl watch`` printing what the driver would see. The screen is a window when
there is a display; without one the UI renders offscreen, and either way it saves what it
shows to ``SCREENS_DIR/now.png`` every 2 s. All are separate processes started by command
line, so the studio never imports the unit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNIT = [sys.executable, "-m", "device"]
SOCKET_WAIT_S = 10.0
PHONE_PORT = 7531  # the phone side of the unit's virtual Bluetooth radio
SCREENS_DIR = Path(tempfile.gettempdir()) / "drivetime-demo-screens"  # outlives the demo
STOP_WAIT_S = 15.0  # the supervisor stops the UI, then the engine, each within 5 s


def run_unit(room_url: str, seconds: float | None) -> int:
    """Run the unit (engine and touchscreen), join ``room_url`` and watch it until Ctrl-C
    or ``seconds`` have passed."""
    with tempfile.TemporaryDirectory(prefix="drivetime-demo-") as workdir:
        socket = Path(workdir) / "engine.sock"
        config = Path(workdir) / "unit.toml"
        base_url = room_url.rsplit("/", 1)[0]
        config.write_text(
            f'[audio]\noutput = "auto"\n\n[engine]\nsocket = "{socket}"\n\n'
            f'[catalog]\npath = "{workdir}/catalog.sqlite"\nsources = ["icecast:{base_url}"]\n'
            "refresh_s = 10.0\n\n"
            f'[link]\ntransport = "virtual"\nphone_port = {PHONE_PORT}\n'
        )
        base = [*UNIT, "--config", str(config)]
        print(
            f"Unit config: {config}\n"
            f"  try, from another terminal: .venv/bin/drivetime-unit --config {config} "
            "ctl search '#jazz'\n"
            f"  pair a phone on the virtual radio: .venv/bin/drivetime-unit --config {config} "
            f"ctl pair open, then .venv/bin/drivetime-host --transport "
            f"tcp-client:127.0.0.1:{PHONE_PORT} pair (confirm on both sides: ctl pair yes)",
            flush=True,
        )
        print(_screen_words(), flush=True)
        unit = subprocess.Popen([*base, "run", "--screenshots", str(SCREENS_DIR)])
        watcher = None
        try:
            deadline = time.monotonic() + SOCKET_WAIT_S
            while not socket.exists():
                if unit.poll() is not None or time.monotonic() > deadline:
                    print("studio demo: the unit's engine did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            watcher = subprocess.Popen([*base, "ctl", "watch"])
            if subprocess.run([*base, "ctl", "join", room_url]).returncode != 0:
                return 1
            with contextlib.suppress(subprocess.TimeoutExpired):
                unit.wait(timeout=seconds)
            return 0 if seconds is not None else (unit.returncode or 0)
        finally:
            for process in (watcher, unit):
                if process is not None and process.poll() is None:
                    process.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=STOP_WAIT_S)


def _screen_words() -> str:
    where = f"{SCREENS_DIR}/now.png, refreshed every 2 s"
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return f"The unit's touchscreen opens in a window; what it shows is also saved to {where}"
    return f"No display: the unit's touchscreen renders offscreen; see it in {where}"


def demo_seconds() -> float | None:
    """``DEMO_SECONDS`` in the environment makes the demo stop by itself."""
    value = os.environ.get("DEMO_SECONDS", "")
    return float(value) if value else None
