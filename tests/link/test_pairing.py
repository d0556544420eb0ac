"""Pairing by numeric comparison, bonds on disk, and bonded phones coming back."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from bumble import att

from device.frontends.link.bonds import BONDS_FILE
from device.frontends.link.identity import IDENTITY_FILE
from device.protocol import Command, Ok, Status
from device.protocol.link_messages import Forget
from tests.link.conftest import Unit, run
from tests.link.phone import KEY_MISSING, BumblePhone, PhoneSettings


def test_a_phone_pairs_when_the_driver_confirms_the_same_six_digits(tmp_path):
    async def scenario(unit: Unit):
        server = unit.server
        server.open_pairing_window()
        phone = await BumblePhone(server.phone_port).start()
        await phone.ready(server.address)
        reply = await phone.ask(Status(id=7))
        phones = server.bonded_phones()
        await phone.close()
        return phone, reply, phones

    before = time.time()
    unit = Unit(tmp_path)
    phone, reply, phones = run(unit.serve(scenario))
    unit_digits = [prompt.digits for prompt in unit.prompts]
    assert unit_digits == [f"{phone.digits_seen[0]:06d}"]
    assert reply == Ok(re=7, data={"did": "status"})
    assert [p.address for p in phones] == ["D0:11:22:33:44:55"]
    assert before <= phones[0].bonded_at <= time.time()
    stored = json.loads((tmp_path / BONDS_FILE).read_text())
    assert list(stored["bonds"]) == ["D0:11:22:33:44:55"]
    assert stored["bonds"]["D0:11:22:33:44:55"]["keys"]["ltk"]["authenticated"] is True
    assert unit.results == [("D0:11:22:33:44:55", True)]


def test_the_unit_learns_the_phone_name_after_pairing(tmp_path):
    async def scenario(unit: Unit):
        phone = await unit.pair_phone()
        for _ in range(100):
            if unit.server.bonded_phones()[0].name:
                break
            await phone.ask(Status(id=1))
        await phone.close()
        return unit.server.bonded_phones()

    (bonded,) = run(Unit(tmp_path).serve(scenario))
    assert bonded.name == "phone"  # the bumble phone's GAP device name


def test_a_bonded_phone_comes_back_after_a_restart_without_a_new_prompt(tmp_path):
    settings = PhoneSettings()  # the phone keeps its keys (its key store) between visits

    async def first_visit(unit: Unit):
        phone = await unit.pair_phone(settings)
        await phone.disconnect()
        await phone.close()
        return unit.server.address

    async def second_visit(unit: Unit):
        phone = await BumblePhone(unit.server.phone_port, settings).start()
        started = time.perf_counter()
        await phone.connect(unit.server.address)
        await phone.encrypt()
        await phone.discover()
        await phone.subscribe()
        reply = await phone.ask(Status(id=2))
        elapsed = time.perf_counter() - started
        await phone.close()
        return unit.server.address, reply, elapsed

    first_address = run(Unit(tmp_path).serve(first_visit))
    identity = json.loads((tmp_path / IDENTITY_FILE).read_text())
    second = Unit(tmp_path)
    address, reply, elapsed = run(second.serve(second_visit))
    assert address == first_address == identity["address"]
    assert reply == Ok(re=2, data={"did": "status"})
    assert second.prompts == []  # no digits shown the second time
    assert json.loads((tmp_path / IDENTITY_FILE).read_text()) == identity
    print(f"bonded reconnect to first reply: {elapsed * 1000:.1f} ms")


def test_the_unit_irk_is_random_persisted_and_given_to_the_phone(tmp_path):
    settings = PhoneSettings()

    async def scenario(unit: Unit):
        phone = await unit.pair_phone(settings)
        await phone.close()
        return await settings.keystore.get(unit.server.address)

    keys = run(Unit(tmp_path).serve(scenario))
    irk = bytes.fromhex(json.loads((tmp_path / IDENTITY_FILE).read_text())["irk"])
    assert irk != bytes(16) and len(irk) == 16
    assert keys.irk.value == irk


def test_a_corrupt_bond_file_is_set_aside_and_the_unit_starts_without_bonds(tmp_path, caplog):
    (tmp_path / BONDS_FILE).write_text('{"version": 1, "bonds": {"D0:11:22:33:44:55": {"ke')

    async def scenario(unit: Unit):
        return unit.server.bonded_phones()

    with caplog.at_level(logging.ERROR):
        phones = run(Unit(tmp_path).serve(scenario))
    assert phones == []
    aside = list(tmp_path.glob(f"{BONDS_FILE}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().endswith('{"ke')
    assert not (tmp_path / BONDS_FILE).exists()
    assert any("set aside" in record.getMessage() for record in caplog.records)


def test_a_bond_without_an_authenticated_key_is_not_trusted_from_disk(tmp_path):
    forged = {"ltk": {"value": "00" * 16, "authenticated": False}}
    bonds = {"D0:11:22:33:44:55": {"keys": forged, "name": None, "bonded_at": 1.0}}
    (tmp_path / BONDS_FILE).write_text(json.dumps({"version": 1, "bonds": bonds}))

    async def scenario(unit: Unit):
        return unit.server.bonded_phones()

    assert run(Unit(tmp_path).serve(scenario)) == []
    assert len(list(tmp_path.glob(f"{BONDS_FILE}.corrupt-*"))) == 1


def test_the_bond_unused_longest_is_forgotten_when_one_more_phone_pairs(tmp_path):
    first, second, third = "D0:00:00:00:00:01", "D0:00:00:00:00:02", "D0:00:00:00:00:03"
    settings = {a: PhoneSettings(address=a) for a in (first, second, third)}

    async def visit(unit: Unit, address: str, pair: bool) -> None:
        if pair:
            unit.server.open_pairing_window()
        phone = await BumblePhone(unit.server.phone_port, settings[address]).start()
        await phone.connect(unit.server.address)
        await (phone.pair() if pair else phone.encrypt())
        await phone.disconnect()
        await phone.close()

    async def scenario(unit: Unit):
        await visit(unit, first, pair=True)
        await visit(unit, second, pair=True)
        await visit(unit, first, pair=False)  # the first phone is in daily use
        await visit(unit, third, pair=True)  # one too many: the second goes
        returning = await BumblePhone(unit.server.phone_port, settings[second]).start()
        await returning.connect(unit.server.address)
        assert await returning.encryption_error() == KEY_MISSING
        await returning.close()
        return sorted(p.address for p in unit.server.bonded_phones())

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario, max_bonds=2)) == [first, third]
    assert unit.executed == []
    stored = json.loads((tmp_path / BONDS_FILE).read_text())
    assert sorted(stored["bonds"]) == [first, third]


def test_forget_drops_the_bond_and_the_connection(tmp_path):
    settings = PhoneSettings()

    async def scenario(unit: Unit):
        phone = await unit.pair_phone(settings)
        disconnected = phone.disconnected()
        assert await unit.server.forget("d0:11:22:33:44:55")  # any case
        try:  # still encrypted for a moment, but no longer a bonded phone
            await phone.send(Status(id=5))
        except att.ATT_Error as exc:
            refused = exc.error_code
        await disconnected
        again = await BumblePhone(unit.server.phone_port, settings).start()
        await again.connect(unit.server.address)
        assert await again.encryption_error() == KEY_MISSING
        await again.close()
        return refused, unit.server.bonded_phones(), await unit.server.forget("D0:11:22:33:44:55")

    unit = Unit(tmp_path)
    refused, phones, forgot_twice = run(unit.serve(scenario))
    assert refused == att.ErrorCode.INSUFFICIENT_AUTHENTICATION
    assert unit.executed == []
    assert phones == [] and forgot_twice is False
    assert json.loads((tmp_path / BONDS_FILE).read_text())["bonds"] == {}


def test_a_phone_forgets_itself_and_still_hears_the_answer(tmp_path):
    """``forget`` with no address from a phone reaches the engine naming that phone."""

    async def forget_through_the_link(command: Command):
        if isinstance(command, Forget):
            await unit.server.forget(command.address)
        return Ok(re=command.id, data={"forgot": getattr(command, "address", "")})

    async def scenario(unit: Unit):
        unit.reply = forget_through_the_link
        phone = await unit.pair_phone()
        disconnected = phone.disconnected()
        reply = await phone.ask(Forget(id=12))
        await asyncio.wait_for(disconnected, 3)
        return reply, unit.server.bonded_phones()

    unit = Unit(tmp_path)
    reply, bonds = run(unit.serve(scenario))
    assert reply == Ok(re=12, data={"forgot": "D0:11:22:33:44:55"})
    assert bonds == []


def test_the_window_reports_opening_and_closing(tmp_path):
    async def scenario(unit: Unit):
        unit.server.open_pairing_window()
        phone = await BumblePhone(unit.server.phone_port).start()
        await phone.ready(unit.server.address)  # one phone paired: closed
        unit.server.open_pairing_window()
        await asyncio.sleep(0.6)  # nobody pairs: its time runs out
        await phone.close()

    unit = Unit(tmp_path)
    run(unit.serve(scenario, pairing_window_s=0.4))
    assert unit.windows == [True, False, True, False]
