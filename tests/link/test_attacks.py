"""Every way in that must stay shut: each attack fails and the engine runs nothing.

Each attacker is a real bumble central on the unit's virtual radio. After every attack the
fake engine has executed no command, the unit holds no bond, and the attacker could not get
through the service.
"""

from __future__ import annotations

import asyncio

import pytest
from bumble import att, hci, smp
from bumble.keys import MemoryKeyStore, PairingKeys

from device.protocol import Ok, PlayerState, Status, encode_message, fragment
from tests.link.conftest import Unit, run
from tests.link.phone import NO_IO, BumblePhone, PhoneSettings, smp_error

KEYBOARD_ONLY = smp.IoCapability.KEYBOARD_ONLY
DISPLAY_ONLY = smp.IoCapability.DISPLAY_ONLY


async def attempt_pairing(unit: Unit, settings: PhoneSettings) -> tuple[BumblePhone, int | None]:
    """Connect and pair; returns the phone and the SMP reason it was refused with."""
    phone = await BumblePhone(unit.server.phone_port, settings).start()
    await phone.connect(unit.server.address)
    try:
        await phone.pair()
    except Exception as exc:
        return phone, smp_error(exc)
    return phone, None


async def cannot_use_the_service(phone: BumblePhone) -> list[int]:
    """Read, write, subscribe, write without response: the ATT error of each try, or -1 when
    the unit had already hung up on the phone (as it does soon after a failed pairing)."""
    errors = []
    command = fragment(encode_message(Status(id=1)))[0]
    try:
        await phone.discover()
    except (Exception, asyncio.CancelledError):
        return [-1]
    for attempt in (
        lambda: phone.command.write_value(command, with_response=True),
        lambda: phone.command.read_value(),
        lambda: phone.events.subscribe(phone._on_notification),
        lambda: phone.audio.write_value(b"\xc0frame", with_response=True),
        lambda: phone.command.write_value(command, with_response=False),
        lambda: phone.audio.write_value(b"\xc0frame", with_response=False),
    ):
        try:
            await asyncio.wait_for(attempt(), 3)
        except att.ATT_Error as exc:
            errors.append(int(exc.error_code))
        except (Exception, asyncio.CancelledError):
            errors.append(-1)
    await asyncio.sleep(0.05)  # writes without response: give the unit time to (not) act
    return errors


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (PhoneSettings(sc=False), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),  # legacy pairing
        (PhoneSettings(io_capability=NO_IO), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),
        (PhoneSettings(mitm=False), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),  # Just Works
        (PhoneSettings(bonding=False), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),
        (PhoneSettings(io_capability=KEYBOARD_ONLY), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),
        (PhoneSettings(io_capability=DISPLAY_ONLY), smp.ErrorCode.AUTHENTICATION_REQUIREMENTS),
    ],
    ids=["legacy", "no-input-no-output", "no-mitm", "no-bonding", "passkey", "display-only"],
)
def test_weak_pairing_is_refused_before_any_digits(tmp_path, settings, reason):
    async def scenario(unit: Unit):
        unit.server.open_pairing_window()
        phone, refused = await attempt_pairing(unit, settings)
        errors = await cannot_use_the_service(phone)
        await phone.close()
        return refused, errors, unit.server.bonded_phones()

    unit = Unit(tmp_path)
    refused, errors, bonds = run(unit.serve(scenario))
    assert refused == reason
    assert unit.prompts == [] and bonds == [] and unit.executed == [] and unit.audio == []
    assert unit.results == [("D0:11:22:33:44:55", False)]
    assert errors and set(errors) <= {att.ErrorCode.INSUFFICIENT_ENCRYPTION, -1}


def test_pairing_is_refused_while_the_window_is_closed(tmp_path):
    async def scenario(unit: Unit):
        phone, refused = await attempt_pairing(unit, PhoneSettings())
        await phone.close()
        return refused

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario)) == smp.ErrorCode.PAIRING_NOT_SUPPORTED
    assert unit.prompts == [] and unit.executed == []


def test_the_window_closes_after_its_time(tmp_path):
    clock = FakeClock()

    async def scenario(unit: Unit):
        unit.server.open_pairing_window()
        clock.now += 61.0
        phone, refused = await attempt_pairing(unit, PhoneSettings())
        await phone.close()
        return refused

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario, clock=clock)) == smp.ErrorCode.PAIRING_NOT_SUPPORTED
    assert unit.prompts == [] and unit.executed == []


def test_the_window_closes_after_one_phone_paired(tmp_path):
    async def scenario(unit: Unit):
        first = await unit.pair_phone()
        second, refused = await attempt_pairing(unit, PhoneSettings(address="D0:00:00:00:00:99"))
        await first.close()
        await second.close()
        return refused, [p.address for p in unit.server.bonded_phones()]

    unit = Unit(tmp_path)
    refused, bonded = run(unit.serve(scenario))
    assert refused == smp.ErrorCode.PAIRING_NOT_SUPPORTED
    assert bonded == ["D0:11:22:33:44:55"] and len(unit.prompts) == 1


def test_a_rejected_comparison_leaves_no_bond_and_no_access(tmp_path):
    async def scenario(unit: Unit):
        unit.answer = False  # the digits differ: the driver says no
        unit.server.open_pairing_window()
        phone, refused = await attempt_pairing(unit, PhoneSettings())
        errors = await cannot_use_the_service(phone)
        await phone.close()
        return refused, errors, unit.server.bonded_phones()

    unit = Unit(tmp_path)
    refused, errors, bonds = run(unit.serve(scenario))
    assert refused is not None
    assert len(unit.prompts) == 1 and bonds == [] and unit.executed == []
    assert unit.results == [("D0:11:22:33:44:55", False)]
    assert errors and set(errors) <= {att.ErrorCode.INSUFFICIENT_ENCRYPTION, -1}


def test_an_unanswered_comparison_is_refused_when_the_window_closes(tmp_path):
    async def scenario(unit: Unit):
        unit.answer = None  # nobody at the screen
        unit.server.open_pairing_window()
        phone, refused = await attempt_pairing(unit, PhoneSettings())
        await phone.close()
        return refused, unit.server.bonded_phones()

    unit = Unit(tmp_path)
    refused, bonds = run(unit.serve(scenario, pairing_window_s=0.3))
    assert refused is not None and bonds == [] and unit.executed == []
    assert len(unit.prompts) == 1 and 0 < unit.prompts[0].expires_in_s <= 0.3


def test_an_unpaired_phone_can_neither_read_write_nor_subscribe(tmp_path):
    async def scenario(unit: Unit):
        owner = await BumblePhone(unit.server.phone_port).start()
        unit.server.open_pairing_window()
        await owner.ready(unit.server.address)
        stranger = await BumblePhone(
            unit.server.phone_port, PhoneSettings("D0:0B:AD:0B:AD:00")
        ).start()
        await stranger.connect(unit.server.address)
        errors = await cannot_use_the_service(stranger)
        unit.server.notify_event(PlayerState(volume=33))
        owner_event = await owner.next_message()
        await asyncio.sleep(0.05)
        await owner.close()
        await stranger.close()
        return errors, owner_event, stranger.notifications

    unit = Unit(tmp_path)
    errors, owner_event, stranger_heard = run(unit.serve(scenario))
    assert errors == [att.ErrorCode.INSUFFICIENT_ENCRYPTION] * 4
    assert owner_event == PlayerState(volume=33)
    assert stranger_heard == []
    assert unit.executed == [] and unit.audio == []


def test_a_stranger_posing_as_a_bonded_phone_cannot_encrypt(tmp_path):
    """Same address as the bonded phone, but made-up keys: the link never encrypts."""

    async def scenario(unit: Unit):
        owner = await unit.pair_phone()
        await owner.disconnect()
        await owner.close()
        forged = MemoryKeyStore()
        await forged.update(
            unit.server.address,
            PairingKeys(ltk=PairingKeys.Key(value=bytes(range(16)), authenticated=True)),
        )
        impostor = await BumblePhone(unit.server.phone_port, PhoneSettings(keystore=forged)).start()
        await impostor.connect(unit.server.address)
        gone = impostor.disconnected()
        with pytest.raises(asyncio.CancelledError):  # bumble aborts on the disconnection
            await impostor.encrypt()
        reason = await asyncio.wait_for(gone, 3)
        await impostor.close()
        return reason

    unit = Unit(tmp_path)
    assert (
        run(unit.serve(scenario))
        == hci.HCI_ErrorCode.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE_ERROR
    )
    assert unit.executed == []


def test_a_phone_that_neither_pairs_nor_bonds_is_disconnected(tmp_path):
    async def scenario(unit: Unit):
        stranger = await BumblePhone(unit.server.phone_port).start()
        await stranger.connect(unit.server.address)
        reason = await asyncio.wait_for(stranger.disconnected(), 3)
        await stranger.close()
        return reason

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario, unbonded_grace_s=0.2)) is not None


def test_a_bonded_phone_is_not_hung_up_on(tmp_path):
    async def scenario(unit: Unit):
        phone = await unit.pair_phone()
        await asyncio.sleep(0.4)
        reply = await phone.ask(Status(id=4))
        await phone.close()
        return reply

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario, unbonded_grace_s=0.2)) == Ok(re=4, data={"did": "status"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now
