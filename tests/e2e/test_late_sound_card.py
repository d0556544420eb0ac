"""No sound card when the engine started (a USB DAC enumerating late at boot, or plugged in on
the way): the room plays to ``null`` until the card appears, then is heard on it, without a
restart and without the driver doing anything."""

from __future__ import annotations

import asyncio

from device.core import output_choice
from studio import pilot
from studio.rooms import DEMO_ROOMS
from tests.audio.conftest_outputs import open_capture
from tests.e2e.engine_harness import start_engine
from tests.support.waiting import wait_for


def test_a_card_that_appears_while_a_room_plays_is_taken_into_use(
    tmp_path, room_source, monkeypatch
):
    room = DEMO_ROOMS[1]
    source = room_source(room, song_s=30.0)
    no_device = tmp_path / "no-device-asound.conf"  # the default PCM leads nowhere
    no_device.write_text('pcm.!default {\n    type plug\n    slave.pcm "nosuch"\n}\n')
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(no_device))
    cards = tmp_path / "cards"  # the kernel's list, /proc/asound/cards on the unit
    monkeypatch.setattr(output_choice, "SOUND_CARDS", cards)
    monkeypatch.setattr(output_choice, "CARD_POLL_S", 0.1)
    monkeypatch.setattr(output_choice, "CARD_TRIES", 20)
    capture = None

    async def drive() -> tuple[str, str, str]:
        nonlocal capture
        engine, recorder = await start_engine(tmp_path, "auto")
        try:
            at_start = engine.output.spec
            await engine.player.join(source.mount_url)
            await recorder.wait_for_state("playing", 10)
            cards.write_text(" 0 [Loopback ]: Loopback - Loopback\n")  # no playback device
            await asyncio.sleep(0.1 * (output_choice.CARD_TRIES + 3))  # all its tries done
            still = engine.output.spec
            cards.write_text(cards.read_text() + " 1 [Device ]: USB-Audio - USB Audio\n")
            await asyncio.sleep(0.3)  # listed, not yet ready to play: tried in vain, and again
            capture = open_capture(tmp_path, monkeypatch)  # now ALSA has the device
            await wait_for(lambda: engine.output.spec != "null", 5, "switch to the card")
            await asyncio.sleep(2.5)  # heard there, at its pace
            return at_start, still, engine.output.spec
        finally:
            await engine.close()

    try:
        at_start, still, adopted = asyncio.run(drive())
    finally:
        if capture is not None:
            capture.close()
    assert (at_start, still, adopted) == ("null", "null", "pyaudio")
    heard = capture.captured()
    assert len(heard) > 2 * 48_000 * 4  # seconds of the room on the card
    assert abs(pilot.dominant_frequency(heard[len(heard) // 3 :]) - room.signature_hz) < 5
