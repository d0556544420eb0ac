"""`make demo` end to end: rooms on a private Icecast, the unit's engine playing the first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.icecast


def test_demo_plays_the_first_room_and_stops_by_itself():
    result = subprocess.run(
        [sys.executable, "-m", "studio", "demo", "--port", "0", "--rooms", "3", "--song-s", "2"],
        env={**os.environ, "DEMO_SECONDS": "6"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.count(".opus") >= 3  # three rooms listed
    assert "late-jazz.opus" in out
    assert "state: playing  room: http://127.0.0.1:" in out
    assert out.count("now playing:") >= 2  # songs change every 2 s
    assert "gap 0 ms" in out
    # No sound card here: the engine says it plays to the null output.
    assert "playing to the null output instead" in result.stderr
