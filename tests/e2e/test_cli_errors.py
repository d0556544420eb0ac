"""Bad input at the command line gets one clear line and an exit status, never a traceback.

The engine and play run as real processes; the control client's failures that this machine
cannot produce for real (a socket owned by another user, as root) are staged in-process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device import control_client
from device.cli.ctl import run_ctl
from device.config import Config
from device.control_client import ControlClient, EngineUnavailable
from device.protocol import Status

UNIT = [sys.executable, "-m", "device"]
ALSA_FILE_CONF = Path(__file__).parents[1] / "audio" / "asound_file.conf"


def _unit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*UNIT, *args], capture_output=True, text=True, timeout=30, env=env)


def _config(tmp_path: Path, output: str) -> Path:
    path = tmp_path / "unit.toml"
    socket = tmp_path / "run" / "engine.sock"
    path.write_text(f'[audio]\noutput = "{output}"\n[engine]\nsocket = "{socket}"\n')
    return path


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    # PortAudio and ALSA print their own chatter to stderr first; ours is the last line.
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_engine_with_an_unknown_output_says_so(tmp_path):
    result = _unit("--config", str(_config(tmp_path, "speakers")), "engine")
    assert result.returncode == 2
    assert _last_line(result).startswith(
        "drivetime-unit: audio.output 'speakers': unknown output 'speakers'"
    )


def test_engine_with_a_sound_card_that_is_not_there_names_the_ones_that_are(tmp_path):
    env = {
        **os.environ,
        "ALSA_CONFIG_PATH": str(ALSA_FILE_CONF),
        "DRIVETIME_ALSA_CAPTURE": "/dev/null",
    }
    result = _unit("--config", str(_config(tmp_path, "pyaudio:NoSuchCard")), "engine", env=env)
    assert result.returncode == 2
    assert _last_line(result).startswith(
        "drivetime-unit: audio.output 'pyaudio:NoSuchCard': no PortAudio output device "
        "matches 'NoSuchCard'; available output devices: 'drivetime_capture'"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://rooms.example/jazz", "https rooms are not supported yet"),
        ("http://:8000/jazz", "room URL has no host"),
    ],
)
def test_engine_refusing_its_join_room_exits_and_leaves_no_socket(tmp_path, url, reason):
    result = _unit("--config", str(_config(tmp_path, "null")), "engine", "--join", url)
    assert result.returncode == 2
    assert _last_line(result).startswith(f"drivetime-unit: --join: {reason}")
    assert not (tmp_path / "run" / "engine.sock").exists()


def test_engine_whose_socket_cannot_be_created_says_where(tmp_path):
    config = tmp_path / "unit.toml"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config.write_text(f'[audio]\noutput = "null"\n[engine]\nsocket = "{blocker}/engine.sock"\n')
    result = _unit("--config", str(config), "engine")
    assert result.returncode == 2
    assert _last_line(result) == (
        f"drivetime-unit: control socket {blocker}/engine.sock: File exists ({blocker})"
    )


def test_play_of_a_room_url_the_client_refuses_exits_2(tmp_path):
    result = _unit("play", "https://rooms.example/jazz", "--output", "null")
    assert result.returncode == 2
    assert _last_line(result) == (
        "drivetime-unit play: https rooms are not supported yet: 'https://rooms.example/jazz'"
    )


def test_a_config_file_that_contradicts_itself_stops_every_command(tmp_path):
    config = tmp_path / "unit.toml"
    config.write_text("[road]\nstart_ms = 5000\ntarget_ms = 2000\n")
    result = _unit("--config", str(config), "engine")
    assert result.returncode == 2
    assert _last_line(result) == (
        f"drivetime-unit: {config}: road.start_ms (5000) must not exceed road.target_ms (2000)"
    )


# --- ctl: the control client's failures, staged in-process ------------------------------


async def _silent_engine(path: Path) -> asyncio.Server:
    """A socket that accepts and reads but never replies: an engine stuck in a bug."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    return await asyncio.start_unix_server(swallow, path=str(path))


def test_ctl_when_the_engine_never_replies(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(control_client, "REPLY_TIMEOUT_S", 0.2)
    path = tmp_path / "stuck.sock"

    async def scenario() -> int:
        server = await _silent_engine(path)
        try:
            return await run_ctl(["status"], str(path), Config())
        finally:
            server.close()

    assert asyncio.run(scenario()) == 1
    assert capsys.readouterr().err == (
        f"drivetime-unit ctl: the engine on {path} did not reply to status within 0.2 s\n"
    )


def test_ctl_on_a_socket_of_another_user(tmp_path, monkeypatch, capsys):
    async def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # As root the 0600 socket would let us in; this is what any other user gets from connect().
    monkeypatch.setattr(asyncio, "open_unix_connection", denied)
    path = tmp_path / "engine.sock"
    assert asyncio.run(run_ctl(["status"], str(path), Config())) == 1
    assert capsys.readouterr().err == (
        f"drivetime-unit ctl: permission denied on {path}: the control socket admits only "
        "the user the engine runs as\n"
    )


def test_control_client_when_the_engine_drops_the_connection_mid_request(tmp_path):
    path = tmp_path / "drops.sock"

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(4096)
        writer.close()

    async def scenario() -> str:
        server = await asyncio.start_unix_server(hang_up, path=str(path))
        client = ControlClient(path)
        try:
            await client.connect()
            with pytest.raises(EngineUnavailable) as caught:
                await client.request(Status())
            return str(caught.value)
        finally:
            await client.close()
            server.close()

    assert asyncio.run(scenario()) == "the engine closed the connection"


def test_a_second_engine_refuses_to_start_and_leaves_the_first_reachable(tmp_path):
    config = tmp_path / "unit.toml"
    socket = tmp_path / "engine.sock"
    config.write_text(f'[audio]\noutput = "null"\n[engine]\nsocket = "{socket}"\n')
    unit = [sys.executable, "-m", "device", "--config", str(config)]
    first = subprocess.Popen([*unit, "engine"], stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.05)
        second = subprocess.run([*unit, "engine"], capture_output=True, text=True, timeout=20)
        assert second.returncode == 2
        assert "another engine is already serving" in second.stderr
        status = subprocess.run([*unit, "ctl", "status"], capture_output=True, text=True)
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("state: idle")
    finally:
        first.terminate()
        first.wait(timeout=10)
