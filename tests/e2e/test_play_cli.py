"""`drivetime-unit play FILE --output file:PATH`: decode a local file, exactly and quickly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from tests.audio.conftest import _make_opus, _opusdec_pcm

UNIT = [sys.executable, "-m", "device"]


def _play(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*UNIT, "play", *args], capture_output=True, text=True, timeout=timeout)


def test_a_chained_file_decodes_exactly_like_opusdec_and_names_each_song(tmp_path):
    first = _make_opus(tmp_path, 2.5, 2, "Artist One", "First Song", "Album", name="one.opus")
    second = _make_opus(tmp_path, 1.7, 1, "Artist Two", "Second Song", None, name="two.opus")
    chained = tmp_path / "chained.opus"
    chained.write_bytes(first.read_bytes() + second.read_bytes())
    out = tmp_path / "out.raw"

    result = _play(str(chained), "--output", f"file:{out}")

    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == _opusdec_pcm(first) + _opusdec_pcm(second)
    lines = [line for line in result.stdout.splitlines() if line.startswith("now playing")]
    assert lines == [
        "now playing: Artist One — First Song (Album)",
        "now playing: Artist Two — Second Song",
    ]


def test_a_long_file_renders_much_faster_than_real_time(tmp_path):
    song = _make_opus(tmp_path, 30.0, 2, "A", "Long", None, name="long.opus")
    out = tmp_path / "out.raw"
    result = _play(str(song), "--output", f"file:{out}", timeout=20)
    assert result.returncode == 0, result.stderr
    # 30 s of audio; finishing inside the 20 s timeout at all proves it is not paced.
    assert len(out.read_bytes()) == 30 * 48_000 * 4


def test_a_file_plays_into_dev_null(tmp_path):
    # /dev/null cannot be fsynced (EINVAL): the output must still finish cleanly.
    song = _make_opus(tmp_path, 1.0, 2, "A", "T", None, name="s.opus")
    result = _play(str(song), "--output", "file:/dev/null")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_bad_targets_and_outputs_are_refused_clearly(tmp_path):
    missing = _play(str(tmp_path / "nope.opus"), "--output", "null")
    assert missing.returncode == 2
    assert "no such file or room URL" in missing.stderr

    not_opus = tmp_path / "notes.opus"
    not_opus.write_text("these are not Ogg pages\n" * 100)
    garbage = _play(str(not_opus), "--output", "null")
    assert garbage.returncode == 1
    assert "not an Ogg" in garbage.stderr or "unsupported" in garbage.stderr.lower()

    song = _make_opus(tmp_path, 0.5, 2, "A", "T", None, name="s.opus")
    bad_output = _play(str(song), "--output", "speakers")
    assert bad_output.returncode == 2
    assert "unknown output 'speakers'" in bad_output.stderr


def test_an_output_that_fails_while_playing_ends_play_with_its_reason(tmp_path):
    # Needs the player to report a failed output (state "error" with a detail, then
    # on_ended), as device/core/player.py does since output errors became player errors.
    song = _make_opus(tmp_path, 3.0, 2, "A", "T", None, name="s.opus")
    result = _play(str(song), "--output", "file:/dev/full", timeout=10)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "drivetime-unit play: audio output failed: [Errno 28] No space left on device"
    )
    assert "state: error" in result.stdout


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_stops_play_cleanly(tmp_path, signum):
    # A room that accepts the connection and never answers: play waits in "connecting".
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/jazz"
        process = subprocess.Popen(
            [*UNIT, "play", url, "--output", "null"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith("state: connecting")
            process.send_signal(signum)
            out, err = process.communicate(timeout=10)
        finally:
            process.kill()
    assert process.returncode == 128 + signum
    assert "Traceback" not in err, err
