"""The engine's control socket as the touchscreen UI and `drivetime-unit ctl` see it."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import pytest

from device.control_client import CommandFailed, ControlClient
from device.protocol import (
    Car,
    Join,
    Mode,
    NowPlaying,
    Pause,
    PlayerState,
    Resume,
    Status,
    StreamDeframer,
    Volume,
    Watch,
    decode_message,
    frame,
)
from tests.e2e.engine_harness import start_engine


async def _connected(engine) -> ControlClient:
    client = ControlClient(engine.config.engine.socket_path)
    await client.connect()
    return client


async def _raw_exchange(path, data: bytes) -> list:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(data)
    await writer.drain()
    deframer, messages = StreamDeframer(), []
    try:
        while chunk := await asyncio.wait_for(reader.read(4096), 1.0):
            messages += [decode_message(p) for p in deframer.feed(chunk)]
    except TimeoutError:
        pass
    writer.close()
    return messages


def test_socket_is_private_to_the_owner(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        try:
            path = engine.config.engine.socket_path
            return stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(path.parent).st_mode)
        finally:
            await engine.close()

    socket_mode, dir_mode = asyncio.run(scenario())
    assert socket_mode == 0o600
    assert dir_mode == 0o700


def test_commands_change_state_and_watchers_see_it(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        try:
            client, watcher = await _connected(engine), await _connected(engine)
            assert (await client.request(Status())).data.get("state", "idle") == "idle"
            await watcher.request(Watch())
            events = watcher.events()
            first = await anext(events)
            car = await anext(events)  # whether the car moves: right after the state
            volume = await client.request(Volume(percent=35))
            mode = await client.request(Mode(mode="road"))
            seen = [await asyncio.wait_for(anext(events), 2) for _ in range(2)]
            with pytest.raises(CommandFailed, match="not paused"):
                await client.request(Resume())
            with pytest.raises(CommandFailed, match="nothing is playing"):
                await client.request(Pause())
            await client.close()
            await watcher.close()
            return first, car, volume, mode, seen
        finally:
            await engine.close()

    first, car, volume, mode, seen = asyncio.run(scenario())
    assert first == PlayerState(state="idle", volume=100)
    assert car == Car(driving=False)
    assert PlayerState(**volume.data).volume == 35
    assert PlayerState(**mode.data).mode == "road"
    assert [e.volume for e in seen] == [35, 35]
    assert [e.mode for e in seen] == ["live", "road"]


@pytest.mark.icecast
def test_join_pause_resume_over_the_socket(tmp_path, room_source):
    source = room_source(song_s=1.0)

    async def scenario():
        engine, _recorder = await start_engine(tmp_path, "null")
        try:
            client, watcher = await _connected(engine), await _connected(engine)
            await watcher.request(Watch())
            await client.request(Join(url=source.mount_url))
            events, states, titles = watcher.events(), [], []
            while "playing" not in states or not titles:
                event = await asyncio.wait_for(anext(events), 5)
                if isinstance(event, PlayerState):
                    states.append(event.state)
                elif isinstance(event, NowPlaying):
                    titles.append(event.title)
            paused = await client.request(Pause())
            resumed = await client.request(Resume())
            await client.close()
            await watcher.close()
            return states, titles, paused, resumed
        finally:
            await engine.close()

    states, titles, paused, resumed = asyncio.run(scenario())
    assert states[:3] == ["idle", "connecting", "buffering"]
    assert "playing" in states
    assert titles[0] in {song.title for _, song in source.links}
    assert paused.data["state"] == "paused"
    assert resumed.data["state"] == "playing"


def test_bad_messages_get_errors_and_the_engine_keeps_serving(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        path = engine.config.engine.socket_path
        try:
            garbage = await _raw_exchange(
                path,
                frame(b"\xff\x00 not json")
                + frame(b'{"v":1,"c":"volume","id":9,"a":{"percent":400}}')
                + frame(b'{"v":1,"c":"eject","id":10}')
                + frame(b'{"v":1,"e":"now","a":{}}')
                + frame(b'{"v":1,"c":"status","id":11}'),
            )
            oversize = await _raw_exchange(path, b"\xff\xff" + b"x" * 100)
            client = await _connected(engine)
            still_ok = await client.request(Status())
            await client.close()
            return garbage, oversize, still_ok
        finally:
            await engine.close()

    garbage, oversize, still_ok = asyncio.run(scenario())
    assert [(getattr(m, "code", "ok"), m.re) for m in garbage] == [
        ("malformed", 0),
        ("bad_argument", 0),
        ("unknown", 0),
        ("unknown", 0),
        ("ok", 11),
    ]
    assert "percent must be 0..100, got 400" in garbage[1].msg
    assert oversize == []  # the stream was out of step: closed, nothing else
    assert still_ok.re >= 1


def test_ctl_cli_talks_to_the_engine_and_explains_failures(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        path = engine.config.engine.socket_path
        try:
            return [
                await _ctl(path, "volume", "20"),
                await _ctl(path, "status"),
                await _ctl(path, "volume", "loud"),
                await _ctl(path, "join", "ftp://nowhere"),
                await _ctl(path, "resume"),
            ]
        finally:
            await engine.close()

    results = asyncio.run(scenario())
    assert results[0][0] == 0 and "volume: 20" in results[0][1]
    assert results[1][0] == 0 and results[1][1].startswith("state: idle")
    assert results[2][0] == 2 and "volume must be a number 0-100" in results[2][2]
    assert results[3][0] == 2 and "url must start with http://" in results[3][2]
    assert results[4][0] == 1 and "refused: the player is not paused" in results[4][2]
    missing = subprocess.run(
        [sys.executable, "-m", "device", "ctl", "--socket", str(tmp_path / "none.sock"), "status"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert "no engine answers" in missing.stderr


async def _ctl(path, *words):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "device",
        "ctl",
        "--socket",
        str(path),
        *words,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()
