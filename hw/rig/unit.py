"""The unit under test, reached only through its command lines.

* :class:`UnitCtl` — ``drivetime-unit ctl …``: one command, or the ``watch`` event stream.
  The prefix is configurable, so a real rig says ``ssh unit drivetime-unit ctl``.
* :class:`LocalPower` — the unit's power on this machine: ``drivetime-unit run --no-ui``
  started and stopped as a process (what the car's 12 V does to the real one).
* :class:`HookPower` — a real rig's power: commands the rig runs to switch the unit on and off
  (a GPIO relay on the unit's supply, or ``ssh unit sudo systemctl restart …``), and one that
  says whether it has powered itself off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path


class UnitError(RuntimeError):
    pass


class UnitCtl:
    """``drivetime-unit ctl`` words → its output; a failure raises :class:`UnitError`."""

    def __init__(self, prefix: list[str], env: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.env = {**os.environ, **(env or {})}

    def __call__(self, *words: str, timeout_s: float = 15.0) -> str:
        try:
            done = subprocess.run(
                [*self.prefix, *words],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            message = f"`ctl {' '.join(words)}` did not answer within {timeout_s:g} s"
            raise UnitError(message) from None
        if done.returncode != 0:
            reason = done.stderr.strip() or done.stdout.strip()
            raise UnitError(f"`ctl {' '.join(words)}` failed ({done.returncode}): {reason}")
        return done.stdout

    def answers(self) -> bool:
        try:
            self("status", timeout_s=5)
        except UnitError:
            return False
        return True

    def wait_until_answering(self, timeout_s: float) -> float:
        """Seconds until the engine answered ``status``; UnitError after ``timeout_s``."""
        started = time.monotonic()
        while not self.answers():
            if time.monotonic() - started > timeout_s:
                raise UnitError(f"the unit's engine did not answer within {timeout_s:g} s")
            time.sleep(0.1)
        return time.monotonic() - started

    def watch(self) -> EventWatch:
        return EventWatch([*self.prefix, "watch"], self.env)


class EventWatch:
    """``ctl watch`` running: its lines collected as they come."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        threading.Thread(target=self._read, name="ctl watch", daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, wanted: Callable[[str], bool], timeout_s: float) -> str | None:
        """The first line (seen so far or within ``timeout_s``) for which ``wanted`` is true."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = next((line for line in self.lines if wanted(line)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._changed.wait(left)

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(5)
        if self._process.stdout is not None:
            self._process.stdout.close()


class LocalPower:
    """``drivetime-unit run --no-ui`` on this machine; ``powered_off`` is the marker file
    that the unit's ``power.poweroff_command`` (``touch <marker>``) creates."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, marker: Path) -> None:
        self.command, self.env, self.log, self.marker = command, env, log, marker
        self._process: subprocess.Popen | None = None

    def on(self) -> None:
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                self.command,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def off(self) -> None:
        """SIGTERM to the supervisor, which stops the engine cleanly (SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(12)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def powered_off(self) -> bool:
        return self.marker.exists()


class HookPower:
    """A real rig: shell commands switch the unit's supply and tell whether it is off."""

    def __init__(self, on_command: str, off_command: str, powered_off_command: str) -> None:
        self.on_command, self.off_command = on_command, off_command
        self.powered_off_command = powered_off_command

    def on(self) -> None:
        _shell(self.on_command)

    def off(self) -> None:
        _shell(self.off_command)

    def powered_off(self) -> bool:
        done = subprocess.run(
            self.powered_off_command, shell=True, check=False, capture_output=True
        )
        return done.returncode == 0


def _shell(command: str) -> None:
    if not command:
        raise UnitError("no command configured to switch the unit (see drivetime-rig remote -h)")
    done = subprocess.run(command, shell=True, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise UnitError(f"`{command}` failed ({done.returncode}): {done.stderr.strip()}")
