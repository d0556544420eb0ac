"""Starting PortAudio where the sound device is missing: ALSA's and JACK's complaints go
to the engine's log at debug level, and nothing reaches the terminal or the journal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s | %(message)s")
from device.audio.outputs.pyaudio_output import output_device_names
print("devices", output_device_names())
"""


def test_sound_library_messages_reach_the_log_and_not_stderr(tmp_path: Path) -> None:
    # The default PCM leads to one that does not exist: ALSA says so each time PortAudio probes.
    missing = tmp_path / "missing-pcm-asound.conf"
    missing.write_text('pcm.!default {\n    type plug\n    slave.pcm "nosuch"\n}\n')
    env = dict(os.environ, ALSA_CONFIG_PATH=str(missing))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    logged = [line for line in result.stdout.splitlines() if " | ALSA " in line]
    assert any("Unknown PCM" in line for line in logged), result.stdout
    assert all(line.startswith("device.audio.outputs.sound_library_log | ") for line in logged)
    assert "devices []" in result.stdout
