"""Choosing an output by spec string, and the errors a user sees for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.audio.outputs import OutputError, OutputSpecError, open_output
from device.audio.outputs.file import FileOutput
from device.audio.outputs.null import NullOutput
from tests.audio.conftest_outputs import alsa_config  # noqa: F401 - fixture


def test_null_and_file_specs_open_their_outputs(tmp_path: Path) -> None:
    null = open_output("null")
    assert isinstance(null, NullOutput)
    assert (null.spec, null.frames_per_block, null.latency_ms) == ("null", 960, 0.0)
    file = open_output(f"file:{tmp_path / 'x.raw'}")
    assert isinstance(file, FileOutput)
    assert file.path == tmp_path / "x.raw"
    assert file.format.rate == 48_000 and file.format.channels == 2
    null.stop()
    file.stop()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("file:", r"'file:' needs a path, e.g. 'file:/tmp/out.raw'"),
        ("file:   ", r"needs a path"),
        ("bogus", r"unknown output 'bogus'; expected 'null', 'file:<path>', 'pyaudio'"),
        ("nul", r"unknown output 'nul' \(did you mean 'null'\?\)"),
        ("pyadio:USB", r"did you mean 'pyaudio'\?"),
        ("", r"unknown output ''"),
        ("null:extra", r"'null' takes no argument"),
    ],
)
def test_bad_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(OutputSpecError, match=message):
        open_output(spec)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"volume": 101}, r"volume must be an integer 0\.\.100, got 101"),
        ({"volume": -1}, r"volume must be"),
        ({"frames_per_block": 0}, r"frames_per_block must be a positive integer, got 0"),
        ({"device_rate": 44_100}, r"'null' does not take option\(s\) device_rate"),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, int], message: str) -> None:
    with pytest.raises(OutputSpecError, match=message):
        open_output("null", **options)


@pytest.mark.usefixtures("alsa_config")
def test_an_unknown_pyaudio_device_lists_the_available_ones() -> None:
    with pytest.raises(OutputSpecError) as raised:
        open_output("pyaudio:NoSuchCard")
    message = str(raised.value)
    assert "no PortAudio output device matches 'NoSuchCard'" in message
    assert "available output devices: " in message
    assert "'default'" in message and "'drivetime_capture'" in message


@pytest.mark.usefixtures("alsa_config")
def test_a_pyaudio_device_is_found_by_a_name_substring() -> None:
    output = open_output("pyaudio:DriveTime_Cap")
    try:
        assert output.device_name == "drivetime_capture"  # type: ignore[attr-defined]
        assert output.spec == "pyaudio:DriveTime_Cap"
    finally:
        output.stop()


def test_pyaudio_without_any_output_device_says_so_and_suggests_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine without a sound card: the only PCM names a card that is not there. (A config
    # with no PCM at all trips an assertion in PortAudio 19.6 and aborts the process.)
    no_card = tmp_path / "no-card-asound.conf"
    no_card.write_text("pcm.!default {\n    type hw\n    card 7\n}\n")
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(no_card))
    with pytest.raises(OutputError, match=r"found no output device.*'null' output"):
        open_output("pyaudio")
