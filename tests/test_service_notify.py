"""The engine under systemd: READY=1 once it serves, WATCHDOG=1 while its event loop turns,
STOPPING=1 on SIGTERM — received on a real notify socket from a real engine process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from device.service_notify import watchdog_interval_s


def test_a_real_engine_notifies_ready_keeps_alive_and_says_stopping(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp_path / "notify"))
    listener.settimeout(10)
    config = tmp_path / "unit.toml"
    config.write_text(
        f'[audio]\noutput = "null"\n\n[engine]\nsocket = "{tmp_path / "engine.sock"}"\n'
        "\n[catalog]\nresume = false\n"
    )
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="200000")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    engine = subprocess.Popen(
        [sys.executable, "-m", "device", "--config", str(config), "engine"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        started = time.monotonic()
        assert listener.recv(64) == b"READY=1"
        assert (tmp_path / "engine.sock").exists()  # ready means the socket answers
        beats = [listener.recv(64) for _ in range(4)]
        assert beats == [b"WATCHDOG=1"] * 4
        assert time.monotonic() - started < 5  # every 0.1 s: half of WatchdogSec
        engine.send_signal(signal.SIGTERM)
        while (message := listener.recv(64)) == b"WATCHDOG=1":
            pass  # beats already on their way
        assert message == b"STOPPING=1"
        assert engine.wait(10) == 0
    except TimeoutError:
        engine.kill()
        raise AssertionError(engine.stderr.read().decode()[-2000:]) from None
    finally:
        engine.kill()
        listener.close()


def test_the_watchdog_interval_is_half_of_systemds_and_for_this_process_only():
    assert watchdog_interval_s({"WATCHDOG_USEC": "10000000"}) == 5.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({}) is None
