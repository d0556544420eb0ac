"""``python -m studio demo``: the rooms live on a private Icecast, and the unit playing one.

The unit runs as it does in the car — ``drivetime-unit engine`` joined to the first room —
with ``drivetime-unit ctl watch`` printing what the driver would see. Both are separate
processes started by command line, so the studio never imports the unit.
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


def run_unit(room_url: str, seconds: float | None) -> int:
    """Run the engine on ``room_url`` and watch it until Ctrl-C or ``seconds`` have passed."""
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
        engine = subprocess.Popen([*base, "engine", "--join", room_url])
        watcher = None
        try:
            deadline = time.monotonic() + SOCKET_WAIT_S
            while not socket.exists():
                if engine.poll() is not None or time.monotonic() > deadline:
                    print("studio demo: the unit's engine did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            watcher = subprocess.Popen([*base, "ctl", "watch"])
            with contextlib.suppress(subprocess.TimeoutExpired):
                engine.wait(timeout=seconds)
            return 0 if seconds is not None else (engine.returncode or 0)
        finally:
            for process in (watcher, engine):
                if process is not None and process.poll() is None:
                    process.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=5)


def demo_seconds() -> float | None:
    """``DEMO_SECONDS`` in the environment makes the demo stop by itself."""
    value = os.environ.get("DEMO_SECONDS", "")
    return float(value) if value else None
