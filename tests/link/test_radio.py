"""Radios by spec string, and phones in other processes on the virtual radio's port."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from device.frontends.link import RadioUnavailable, open_radio
from device.frontends.link.radio import VirtualRadio
from device.protocol import Ok, Status
from tests.link.conftest import Unit, run
from tests.link.phone import BumblePhone

ROOT = Path(__file__).resolve().parents[2]


def test_a_killed_phone_process_leaves_the_radio_and_a_new_one_takes_its_place(tmp_path):
    async def scenario(unit: Unit):
        server = unit.server
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.link.phone_process",
            str(server.phone_port), server.address,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 15)
            seen_while_alive = server.connected_phones()
        finally:
            process.kill()
            await process.wait()
        for _ in range(100):  # the unit sees the link drop as a supervision timeout
            if not server.connected_phones():
                break
            await asyncio.sleep(0.01)
        seen_after_kill = server.connected_phones()
        server.open_pairing_window()
        phone = await BumblePhone(server.phone_port).start()  # the same phone address, again
        await phone.ready(server.address)
        reply = await phone.ask(Status(id=3))
        await phone.close()
        return line, seen_while_alive, seen_after_kill, reply

    line, alive, after_kill, reply = run(Unit(tmp_path).serve(scenario), timeout=30)
    assert line == b"connected\n"
    assert alive == ["D0:11:22:33:44:55"] and after_kill == []
    assert reply == Ok(re=3, data={"did": "status"})


def test_the_link_runs_over_a_bumble_transport_spec(tmp_path):
    """The path a Pi takes (``hci-socket:0``, ``usb:0``): an HCI transport opened by spec.

    Here the controller is a virtual one served over TCP, so the spec is ``tcp-client:``."""

    async def scenario():
        air = VirtualRadio()  # the shared virtual radio: the unit's and the phone's controllers
        unit_port = await air.expose_phone()
        phone_port = await air.expose_phone()
        unit = Unit(tmp_path)
        await unit.start_spec(f"tcp-client:127.0.0.1:{unit_port}")
        try:
            unit.server.open_pairing_window()
            phone = await BumblePhone(phone_port).start()
            await phone.ready(unit.server.address)
            reply = await phone.ask(Status(id=8))
            await phone.close()
            return unit.server.phone_port, reply
        finally:
            await unit.stop()
            await air.close()

    phone_port, reply = run(scenario())
    assert phone_port is None  # only the virtual radio has a phone port
    assert reply == Ok(re=8, data={"did": "status"})


def test_a_spec_that_names_no_radio_is_refused_clearly():
    with pytest.raises(ValueError, match="expected 'virtual' or a transport"):
        run(open_radio("bluetooth"))


def test_a_controller_that_cannot_be_opened_is_one_clear_error():
    with pytest.raises(RadioUnavailable, match=r"tcp-client:127\.0\.0\.1:1"):
        run(open_radio("tcp-client:127.0.0.1:1"))  # nothing listens on port 1


def test_the_phone_port_can_be_chosen(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    async def scenario(unit: Unit):
        phone = await BumblePhone(free).start()  # the port a config file would name
        await phone.connect(unit.server.address)
        await phone.close()
        return unit.server.phone_port

    assert run(Unit(tmp_path).serve(scenario, phone_port=free)) == free
