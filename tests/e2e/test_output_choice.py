"""The driver chooses where the audio goes: the engine lists PortAudio's devices, switches to
one while a room plays (the room is then heard there), and starts on it next time."""

from __future__ import annotations

import asyncio

from device.frontends.commands import execute
from device.protocol import Error, Ok, Output, Outputs
from studio import pilot
from studio.rooms import DEMO_ROOMS
from tests.audio.conftest_outputs import CAPTURE_ENV, open_capture
from tests.e2e.engine_harness import start_engine

NAMED_PCM = "drivetime_capture"  # tests/audio/asound_file.conf's second device


def test_a_playing_room_moves_to_the_chosen_device_and_stays_there(
    tmp_path, room_source, monkeypatch
):
    room = DEMO_ROOMS[2]
    source = room_source(room, song_s=30.0)
    capture = open_capture(tmp_path, monkeypatch)

    async def first_drive():
        engine, recorder = await start_engine(tmp_path, "auto")  # PortAudio's default device
        try:
            assert engine.output.spec == "pyaudio"
            offered = await execute(engine.services, Outputs())
            assert isinstance(offered, Ok)
            assert offered.data["current"] == "pyaudio"
            assert offered.data["choices"][-1] == "null"
            chosen = next(c for c in offered.data["choices"] if NAMED_PCM in c)
            assert chosen.startswith("pyaudio:")
            await engine.player.join(source.mount_url)
            await recorder.wait_for_state("playing", 10)
            reply = await execute(engine.services, Output(spec=chosen))
            assert isinstance(reply, Ok), reply
            assert engine.output.spec == chosen
            await asyncio.sleep(3.0)  # heard on the new device, at its pace
            assert engine.player.snapshot().state == "playing"
            refused = await execute(engine.services, Output(spec="pyaudio:no such card"))
            assert isinstance(refused, Error) and "cannot be used" in refused.msg
            assert engine.output.spec == chosen  # still playing there
            return chosen
        finally:
            await engine.close()

    try:
        chosen = asyncio.run(first_drive())
    finally:
        capture.close()
    heard = capture.captured()
    assert len(heard) > 2 * 48_000 * 4  # seconds of the room, not a click
    assert abs(pilot.dominant_frequency(heard[len(heard) // 3 :]) - room.signature_hz) < 5

    async def next_start() -> str:
        engine, _ = await start_engine(tmp_path, "auto")
        try:
            return engine.output.spec
        finally:
            await engine.close()

    # The capture's reader is gone: a plain file now, or opening the device would wait on a
    # FIFO nobody reads.
    monkeypatch.setenv(CAPTURE_ENV, str(tmp_path / "after-restart.raw"))
    assert asyncio.run(next_start()) == chosen  # kept across a restart
