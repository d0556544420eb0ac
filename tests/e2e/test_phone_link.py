"""The phone controls the real engine over Bluetooth LE: bleak's API on the virtual radio.

The unit runs the whole engine with ``link.transport = "virtual"``; the phone is the host
side's ``DeviceClient`` on the bumble backend for bleak, reaching the unit's virtual radio
over its TCP port exactly as ``drivetime-host`` does in the demo. The driver's side of
pairing (open the window, compare the digits, confirm) goes through the control socket, as
the touchscreen will.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError

from device.control_client import CommandFailed, ControlClient
from device.protocol import (
    PairConfirm,
    Pairing,
    PairOpen,
    Phones,
    PlayerState,
    Relay,
    Status,
    Volume,
    Watch,
    encode_message,
    fragment,
)
from device.protocol.gatt import AUDIO_UUID, COMMAND_UUID, EVENTS_UUID, SERVICE_UUID
from host.bumble_backend import BUMBLE_BACKENDS, close_stacks
from host.client import DeviceClient, UnitUnavailable
from host.relay import relay_source
from tests.e2e.engine_harness import start_engine


async def _unit(tmp_path):
    engine, recorder = await start_engine(
        tmp_path, "null", link={"transport": "virtual", "phone_port": 0}
    )
    assert engine.link is not None, "the link did not start"
    screen = ControlClient(engine.config.engine.socket_path)
    await screen.connect()
    return engine, screen


def _phone(tmp_path, port: int) -> DeviceClient:
    return DeviceClient(
        **BUMBLE_BACKENDS,
        transport=f"tcp-client:127.0.0.1:{port}",
        state_dir=str(tmp_path / "phone"),
    )


def test_a_phone_pairs_by_comparison_controls_the_unit_and_reconnects_bonded(tmp_path):
    async def first_drive():
        engine, screen = await _unit(tmp_path)
        watcher = ControlClient(engine.config.engine.socket_path)
        await watcher.connect()
        await watcher.request(Watch())
        phone = _phone(tmp_path, engine.link.phone_port)
        shown_on_unit: list[str] = []
        try:
            await phone.connect()
            assert not phone.ready
            with pytest.raises(UnitUnavailable):  # window closed: nothing to pair with
                await phone.pair(lambda digits: _yes())
            await phone.close()
            await close_stacks()

            phone = _phone(tmp_path, engine.link.phone_port)
            await phone.connect()
            await screen.request(PairOpen())

            async def driver_confirms() -> None:
                async for event in watcher.events():
                    if isinstance(event, Pairing) and event.state == "confirm":
                        shown_on_unit.append(event.digits)
                        await screen.request(PairConfirm(accept=True))
                        return

            confirming = asyncio.create_task(driver_confirms())
            seen_on_phone: list[int] = []

            async def phone_confirms(digits: int) -> bool:
                seen_on_phone.append(digits)
                return True

            await phone.pair(phone_confirms)
            await asyncio.wait_for(confirming, 5)
            assert phone.ready
            assert [f"{d:06d}" for d in seen_on_phone] == shown_on_unit

            status = (await phone.request(Status())).data

            async def volume_event() -> PlayerState:
                async for event in phone.events():
                    if isinstance(event, PlayerState) and event.volume == 30:
                        return event
                raise AssertionError("events ended")

            notified = asyncio.create_task(volume_event())
            await asyncio.sleep(0)  # the reader is listening before the change
            await phone.request(Volume(percent=30))
            await asyncio.wait_for(notified, 5)
            phones = (await screen.request(Phones())).data
            return status, engine.player.snapshot().volume, phones
        finally:
            await phone.close()
            await close_stacks()
            await watcher.close()
            await screen.close()
            await engine.close()

    async def next_drive():
        engine, screen = await _unit(tmp_path)
        phone = _phone(tmp_path, engine.link.phone_port)
        try:
            await phone.connect()
            ready = phone.ready  # bonded: encrypted again, no prompt
            reply = (await phone.request(Status())).data
            return ready, reply
        finally:
            await phone.close()
            await close_stacks()
            await screen.close()
            await engine.close()

    status, volume, phones = asyncio.run(first_drive())
    assert PlayerState(**status).state == "idle"  # defaults are left out on the wire
    assert volume == 30
    assert phones["total"] == 1

    ready, reply = asyncio.run(next_drive())
    assert ready
    assert PlayerState(**reply).state == "idle"


async def _yes() -> bool:
    return True


async def _pair(engine, screen, phone: DeviceClient) -> None:
    """The driver's side through the control socket, the phone's through bleak."""
    watcher = ControlClient(engine.config.engine.socket_path)
    await watcher.connect()
    await watcher.request(Watch())
    await screen.request(PairOpen())

    async def driver_confirms() -> None:
        async for event in watcher.events():
            if isinstance(event, Pairing) and event.state == "confirm":
                await screen.request(PairConfirm(accept=True))
                return

    confirming = asyncio.create_task(driver_confirms())
    try:
        await phone.connect()
        await phone.pair(lambda digits: _yes())
        await asyncio.wait_for(confirming, 5)
    finally:
        await watcher.close()


def test_a_relayed_file_plays_the_same_samples_as_played_directly(tmp_path):
    song = tmp_path / "song.opus"
    subprocess.run(
        [sys.executable, "-m", "studio", "write", str(song), "--seconds", "3"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    direct = tmp_path / "direct.raw"
    subprocess.run(
        [str(Path(sys.executable).parent / "drivetime-unit"), "play", str(song),
         "--output", f"file:{direct}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    heard = tmp_path / "heard.raw"

    async def scenario():
        link = {"transport": "virtual", "phone_port": 0}
        road = {"grow": False}  # no stretched frames: the samples must match exactly
        engine, recorder = await start_engine(
            tmp_path, f"file:{heard}", link=link, audio={"mode": "road"}, road=road
        )
        screen = ControlClient(engine.config.engine.socket_path)
        await screen.connect()
        phone = _phone(tmp_path, engine.link.phone_port)
        try:
            await _pair(engine, screen, phone)
            state = PlayerState(**(await phone.request(Relay(label=song.name))).data)
            sent = await phone.relay(relay_source(str(song)))
            await recorder.wait_for_state("playing")
            await asyncio.sleep(2.5)  # what was relayed ahead plays out
            return state, sent
        finally:
            await phone.close()
            await close_stacks()
            await screen.close()
            await engine.close()

    state, sent = asyncio.run(scenario())
    assert state.room == "relay:song.opus"
    assert sent >= song.stat().st_size // 1024
    reference, captured = direct.read_bytes(), heard.read_bytes()
    assert len(reference) > 2 * 48_000 * 4
    assert reference in captured  # every sample, in order, nothing added or changed


def test_drivetime_host_pairs_and_controls_the_unit_from_a_terminal(tmp_path):
    cli = str(Path(sys.executable).parent / "drivetime-host")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "phone-state")}

    async def host(*words: str, answer: str = "") -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            cli, *words, env={**env, "DRIVETIME_BLE_TRANSPORT": transport},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(answer.encode()), 30)
        return process.returncode, out.decode()

    async def scenario():
        nonlocal transport
        link = {"transport": "virtual", "phone_port": 0}
        engine, _ = await start_engine(tmp_path, "null", link=link)
        transport = f"tcp-client:127.0.0.1:{engine.link.phone_port}"
        screen = ControlClient(engine.config.engine.socket_path)
        await screen.connect()
        watcher = ControlClient(engine.config.engine.socket_path)
        await watcher.connect()
        await watcher.request(Watch())
        try:
            results = {"scan": await host("scan"), "unpaired": await host("status")}
            await screen.request(PairOpen())

            async def driver_confirms() -> str:
                async for event in watcher.events():
                    if isinstance(event, Pairing) and event.state == "confirm":
                        await screen.request(PairConfirm(accept=True))
                        return event.digits
                return ""

            confirming = asyncio.create_task(driver_confirms())
            results["pair"] = await host("pair", answer="y\n")
            results["digits"] = await asyncio.wait_for(confirming, 5)
            results["volume"] = await host("volume", "30")
            results["bad"] = await host("volume", "loud")
            results["engine_volume"] = engine.player.snapshot().volume
            return results
        finally:
            await watcher.close()
            await screen.close()
            await engine.close()

    transport = ""
    results = asyncio.run(scenario())
    assert results["scan"][0] == 0 and "Drivetim" in results["scan"][1]
    assert results["unpaired"][0] == 1 and "not paired" in results["unpaired"][1]
    code, out = results["pair"]
    assert code == 0, out
    assert f"Does the unit show {results['digits']}?" in out
    assert results["volume"][0] == 0 and "volume: 30" in results["volume"][1]
    assert results["engine_volume"] == 30
    assert results["bad"][0] == 2 and "expected a number" in results["bad"][1]


def test_an_unpaired_phone_gets_nothing_through_bleak(tmp_path):
    """Read, write, write without response and subscribe, straight through bleak's API."""

    async def scenario():
        link = {"transport": "virtual", "phone_port": 0}
        engine, recorder = await start_engine(tmp_path, "null", link=link)
        transport = f"tcp-client:127.0.0.1:{engine.link.phone_port}"
        backend = {"backend": BUMBLE_BACKENDS["client_backend"], "transport": transport}
        found = await BleakScanner.find_device_by_filter(
            lambda device, adv: SERVICE_UUID in adv.service_uuids,
            timeout=5,
            backend=BUMBLE_BACKENDS["scanner_backend"],
            transport=transport,
        )
        assert found is not None
        volume = Volume(id=7, percent=5)
        refused: list[str] = []
        try:
            async with BleakClient(found, **backend) as client:
                command = fragment(encode_message(volume))[0]
                for name, attempt in (
                    ("read", client.read_gatt_char(EVENTS_UUID)),
                    ("write", client.write_gatt_char(COMMAND_UUID, command, response=True)),
                    ("subscribe", client.start_notify(EVENTS_UUID, lambda *_: None)),
                ):
                    try:
                        await attempt
                    except BleakGATTProtocolError as exc:
                        refused.append(f"{name}: {exc.code}")
                await client.write_gatt_char(COMMAND_UUID, command, response=False)
                await client.write_gatt_char(AUDIO_UUID, b"\xc0OggS junk", response=False)
                await asyncio.sleep(0.3)
            return refused, engine.player.snapshot(), recorder.state_names
        finally:
            await close_stacks()
            await engine.close()

    refused, snapshot, states = asyncio.run(scenario())
    assert [line.split(":")[0] for line in refused] == ["read", "write", "subscribe"], refused
    assert all(
        "INSUFFICIENT" in line.upper() or "0x0f" in line.lower() or "15" in line for line in refused
    ), refused
    assert snapshot.volume != 5 and snapshot.state == "idle"  # nothing was executed
    assert "buffering" not in states  # no relay started either


def test_a_radio_that_cannot_be_opened_leaves_the_unit_playing_without_a_phone(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null", link={"transport": "usb:0"})
        screen = ControlClient(engine.config.engine.socket_path)
        await screen.connect()
        try:
            with pytest.raises(CommandFailed, match="Bluetooth is off"):
                await screen.request(PairOpen())
            volume = (await screen.request(Volume(percent=20))).data
            return engine.link, volume
        finally:
            await screen.close()
            await engine.close()

    link, volume = asyncio.run(scenario())
    assert link is None
    assert PlayerState(**volume).volume == 20


def test_a_phone_cannot_take_the_knob_or_move_the_audio(tmp_path):
    """The screen's commands stay the screen's: a paired phone holding the knob would keep it
    from the volume, and moving the audio elsewhere (or to none) is the driver's choice."""
    from device.protocol import Knob, Output, Outputs
    from host.client import CommandFailed

    async def scenario():
        engine, screen = await _unit(tmp_path)
        phone = _phone(tmp_path, engine.link.phone_port)
        try:
            await _pair(engine, screen, phone)
            refused = []
            for command in (Knob(focus=True), Outputs(), Output(spec="null")):
                with pytest.raises(CommandFailed) as failure:
                    await phone.request(command)
                refused.append(failure.value.error.code)
            status = PlayerState(**(await phone.request(Status())).data)
            return refused, status, engine.output.spec
        finally:
            await phone.close()
            await close_stacks()
            await screen.close()
            await engine.close()

    refused, status, output = asyncio.run(scenario())
    assert refused == ["refused"] * 3
    assert output == "null" and status.state == "idle"  # nothing changed
