"""The unit's entry point loads its program with the garbage collector paused, and always
turns it back on: an engine left without it would grow for the whole drive."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import gc, sys
import device.__main__ as entry
sys.argv = ["drivetime-unit", *sys.argv[1:]]
code = entry.run()
print(code, gc.isenabled(), gc.get_freeze_count() > 1000)
"""


@pytest.mark.parametrize(
    "command",
    [
        ["play", "/nonexistent/song.opus", "--output", "null"],
        ["ctl", "--socket", "/nonexistent/engine.sock", "status"],
    ],
)
def test_the_collector_is_back_on_after_loading_with_the_start_up_frozen(command, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    code, collecting, frozen = result.stdout.split()
    assert code != "0"  # the command ran and failed as it should (no such file or engine)
    assert (collecting, frozen) == ("True", "True")


def test_a_program_run_inside_another_process_freezes_nothing():
    """Tests call ``main`` directly: only a pause made by the entry point is resumed."""
    probe = (
        "import gc, device.startup as s; s.resume_collector(); "
        "print(gc.isenabled(), gc.get_freeze_count())"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.split() == ["True", "0"]
