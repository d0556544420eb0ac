"""`drivetime-unit play FILE --output file:PATH`: decode a local file, exactly and quickly."""

from __future__ import annotations

import subprocess
import sys

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
