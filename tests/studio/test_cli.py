"""``python -m studio``: serve the demo rooms, feed one mount, write a file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

from studio.__main__ import main
from studio.rooms import DEMO_ROOMS

pytestmark = pytest.mark.icecast


def test_serve_prints_room_urls_serves_them_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "serve", "--port", "0", "--rooms", "3", "--song-s", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            line = process.stdout.readline()
            assert line, f"serve ended early: {lines}"
            lines.append(line)
        base_url = lines[0].split()[1]
        with urllib.request.urlopen(base_url + "/status-json.xsl", timeout=2) as response:
            listed = json.load(response)["icestats"]["source"]
        assert sorted(s["server_name"] for s in listed) == sorted(r.name for r in DEMO_ROOMS[:3])
        for room in DEMO_ROOMS[:3]:
            assert any(base_url + room.mount in line and room.name in line for line in lines)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        process.stdout.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(base_url + "/status-json.xsl", timeout=1)


def test_source_with_a_bad_password_exits_with_a_clear_message(icecast, capsys) -> None:
    url = icecast.mount_url("/cli-bad.opus")
    assert main(["source", url, "--password", "nope", "--song-s", "1", "--room", "2"]) == 1
    assert "401" in capsys.readouterr().err


def test_write_renders_a_chained_file(tmp_path, capsys) -> None:
    path = tmp_path / "folk.opus"
    assert (
        main(["write", str(path), "--seconds", "2", "--song-s", "1", "--room", "folk-roads"]) == 0
    )
    assert path.read_bytes().count(b"OpusHead") == 2
    assert "2 links" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["bogus"])
    assert main(["write", str(path), "--room", "no-such-room"]) == 1
    assert "no demo room" in capsys.readouterr().err
