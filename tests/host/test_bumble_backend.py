"""The real bleak API over the project's bumble backend, against a fake unit on a virtual radio.

Every scenario drives ``BleakScanner`` / ``BleakClient`` exactly as phone code does; the unit
side records what arrived (digits shown, fragments, subscriptions) for the assertions.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)
from bumble import smp
from bumble.pairing import PairingDelegate

from device.protocol.gatt import (
    ADVERTISED_NAME,
    AUDIO_UUID,
    COMMAND_UUID,
    EVENTS_UUID,
    SERVICE_UUID,
)
from host.bumble_backend import (
    TRANSPORT_ENV,
    BleakPairingError,
    BumbleClient,
    BumbleScanner,
    close_stacks,
    open_stack,
)
from tests.host.fake_unit import UNIT_ADDRESS
from tests.host.virtual_radio import on_virtual_radio

DEVICE_NAME_UUID = "00002a00-0000-1000-8000-00805f9b34fb"
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
STATUS_COMMAND = b'\xc0{"v":1,"c":"status","id":9}'  # one FIRST|LAST fragment
INSUFFICIENT_ENCRYPTION = BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION


async def find_unit(backend_kwargs) -> tuple:
    found = await BleakScanner.find_device_by_filter(
        lambda _, adv: SERVICE_UUID in adv.service_uuids,
        timeout=5,
        service_uuids=[SERVICE_UUID],
        backend=BumbleScanner,
        **backend_kwargs,
    )
    assert found is not None, "the unit was not found by its service UUID"
    return found


class Phone:
    """Collects the digits the phone was asked to compare; answers with ``accept``."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.digits: list[int] = []

    async def confirm(self, digits: int) -> bool:
        self.digits.append(digits)
        return self.accept

    def client(self, device, backend_kwargs, **options) -> BleakClient:
        """A bleak client on the bumble backend that asks this phone to compare digits."""
        return BleakClient(
            device,
            backend=BumbleClient,
            confirm_pairing=self.confirm,
            **backend_kwargs,
            **options,
        )


def bonded_addresses(state_dir) -> set[str]:
    path = state_dir / "bonds.json"
    if not path.exists():
        return set()
    return {peer for peers in json.loads(path.read_text()).values() for peer in peers}


async def command_round_trip(client: BleakClient) -> bytes:
    replies: asyncio.Queue[bytes] = asyncio.Queue()
    await client.start_notify(EVENTS_UUID, lambda _, data: replies.put_nowait(bytes(data)))
    await client.write_gatt_char(COMMAND_UUID, STATUS_COMMAND, response=True)
    return await asyncio.wait_for(replies.get(), 2)


# --- scanning -------------------------------------------------------------------------------


def test_scan_reports_the_unit_with_its_name_service_and_rssi(tmp_path):
    async def scenario(unit, kwargs):
        async with BleakScanner(
            service_uuids=[SERVICE_UUID], backend=BumbleScanner, **kwargs
        ) as scanner:
            device, adv = await anext(scanner.advertisement_data())
        elsewhere = await BleakScanner.discover(
            timeout=0.2,
            service_uuids=["0000180d-0000-1000-8000-00805f9b34fb"],
            backend=BumbleScanner,
            **kwargs,
        )
        return device, adv, elsewhere

    device, adv, elsewhere = on_virtual_radio(tmp_path, scenario)
    assert (device.address, device.name) == (UNIT_ADDRESS, ADVERTISED_NAME)
    assert adv.local_name == ADVERTISED_NAME
    assert adv.service_uuids == [SERVICE_UUID]
    assert adv.rssi == -50  # what the virtual controller reports
    assert elsewhere == []  # a heart-rate scan does not list the unit


def test_the_transport_comes_from_the_environment_when_not_given(tmp_path, monkeypatch):
    async def scenario(unit, kwargs):
        monkeypatch.setenv(TRANSPORT_ENV, unit.transport)
        return await find_unit({"state_dir": kwargs["state_dir"]})

    assert on_virtual_radio(tmp_path, scenario).address == UNIT_ADDRESS


def test_no_transport_at_all_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(TRANSPORT_ENV, raising=False)
    with pytest.raises(BleakError, match=TRANSPORT_ENV):
        asyncio.run(BleakScanner(backend=BumbleScanner).start())


def test_a_controller_that_does_not_answer_means_bluetooth_is_not_available(tmp_path):
    async def scenario():
        await BleakScanner(
            backend=BumbleScanner, transport="tcp-client:127.0.0.1:1", state_dir=tmp_path
        ).start()

    with pytest.raises(BleakBluetoothNotAvailableError, match=r"tcp-client:127\.0\.0\.1:1"):
        asyncio.run(scenario())


# --- connection and GATT ---------------------------------------------------------------------


def test_connect_discovers_the_unit_service_and_reads_the_device_name(tmp_path):
    async def scenario(unit, kwargs):
        async with BleakClient(await find_unit(kwargs), backend=BumbleClient, **kwargs) as client:
            service = client.services.get_service(SERVICE_UUID)
            chars = {c.uuid: c for c in service.characteristics}
            name = await client.read_gatt_char(DEVICE_NAME_UUID)
            stack = await open_stack(unit.transport)
            shared = len(stack.device.connections)
            audio_limit = chars[AUDIO_UUID].max_write_without_response_size
            return chars, name, client.mtu_size, client.is_connected, shared, audio_limit

    chars, name, mtu, connected, shared, audio_limit = on_virtual_radio(tmp_path, scenario)
    assert connected and shared == 1  # the scanner's stack is the client's stack
    assert set(chars) == {COMMAND_UUID, EVENTS_UUID, AUDIO_UUID}
    assert chars[COMMAND_UUID].properties == ["write-without-response", "write"]
    assert chars[EVENTS_UUID].properties == ["notify"]
    assert [d.uuid for d in chars[EVENTS_UUID].descriptors] == [CCCD_UUID]
    assert chars[AUDIO_UUID].properties == ["write-without-response"]
    assert audio_limit == mtu - 3
    assert bytes(name) == ADVERTISED_NAME.encode()
    assert mtu == 247


def test_connect_by_address_string_with_the_minimum_mtu(tmp_path):
    async def scenario(unit, kwargs):
        async with BleakClient(UNIT_ADDRESS, backend=BumbleClient, att_mtu=23, **kwargs) as c:
            return c.mtu_size, c.name

    assert on_virtual_radio(tmp_path, scenario) == (23, ADVERTISED_NAME)


def test_an_address_nobody_advertises_is_device_not_found(tmp_path):
    async def scenario(unit, kwargs):
        await BleakClient(
            "C0:00:00:00:00:01", timeout=0.3, backend=BumbleClient, **kwargs
        ).connect()

    with pytest.raises(BleakDeviceNotFoundError):
        on_virtual_radio(tmp_path, scenario)


def test_connecting_to_a_unit_that_stopped_advertising_times_out(tmp_path):
    async def scenario(unit, kwargs):
        device = await find_unit(kwargs)
        await unit.device.stop_advertising()
        client = BleakClient(device, timeout=0.3, backend=BumbleClient, **kwargs)
        with pytest.raises(TimeoutError):
            await client.connect()
        await unit.device.start_advertising(
            advertising_data=unit.advertising_data(), advertising_interval_min=20
        )
        await client.connect()  # the cancelled attempt left nothing behind
        return client.is_connected

    assert on_virtual_radio(tmp_path, scenario)


def test_disconnected_callback_fires_when_the_unit_drops_the_link_not_on_disconnect(tmp_path):
    async def scenario(unit, kwargs):
        dropped = []
        client = BleakClient(
            await find_unit(kwargs), dropped.append, backend=BumbleClient, **kwargs
        )
        await client.connect()
        await client.disconnect()
        await client.connect()
        await unit.drop_links()
        await asyncio.sleep(0.05)
        return dropped, client

    dropped, client = on_virtual_radio(tmp_path, scenario)
    assert dropped == [client]
    assert not client.is_connected


# --- security -------------------------------------------------------------------------------


def test_before_pairing_protected_access_fails_with_insufficient_encryption(tmp_path):
    async def scenario(unit, kwargs):
        async with BleakClient(await find_unit(kwargs), backend=BumbleClient, **kwargs) as client:
            errors = []
            for attempt in (
                client.write_gatt_char(COMMAND_UUID, STATUS_COMMAND, response=True),
                client.start_notify(EVENTS_UUID, lambda *_: None),
            ):
                with pytest.raises(BleakGATTProtocolError) as caught:
                    await attempt
                errors.append(caught.value.code)
            subscribed = dict(unit.device.gatt_server.subscribers)
            return errors, unit.record.commands, subscribed

    errors, commands, subscribed = on_virtual_radio(tmp_path, scenario)
    assert errors == [INSUFFICIENT_ENCRYPTION, INSUFFICIENT_ENCRYPTION]
    assert commands == [] and not any(subscribed.values())


def test_pairing_compares_the_same_six_digits_on_both_sides_then_opens_the_service(tmp_path):
    async def scenario(unit, kwargs):
        phone = Phone()
        device = await find_unit(kwargs)
        async with phone.client(device, kwargs) as client:
            await client.pair()
            reply = await command_round_trip(client)
            events = client.services.get_characteristic(EVENTS_UUID)
            cccd_on = await client.read_gatt_descriptor(events.descriptors[0].handle)
            await client.stop_notify(EVENTS_UUID)
            cccd_off = await client.read_gatt_descriptor(events.descriptors[0].handle)
            await client.write_gatt_char(AUDIO_UUID, b"\xc0opus", response=False)
            await asyncio.sleep(0.05)
        return phone.digits, unit.record, reply, (cccd_on, cccd_off)

    phone_digits, record, reply, cccd = on_virtual_radio(tmp_path, scenario)
    assert len(phone_digits) == 1 and phone_digits == record.digits
    assert 0 <= phone_digits[0] <= 999_999
    request = record.pairing_requests[0]
    wants = smp.AuthReq.SC | smp.AuthReq.MITM | smp.AuthReq.BONDING
    assert request.auth_req & wants == wants
    assert request.io_capability == smp.IoCapability.DISPLAY_YES_NO
    assert reply == b'\xc0{"v":1,"ok":{"c":"status","a":{}},"re":9}'
    assert cccd == (b"\x01\x00", b"\x00\x00")
    assert record.audio_frames == [b"opus"]
    assert UNIT_ADDRESS in bonded_addresses(tmp_path)


@pytest.mark.parametrize("refused_by", ["driver on the unit", "phone user"])
def test_a_rejected_comparison_fails_with_a_bleak_error_and_leaves_no_bond(tmp_path, refused_by):
    async def scenario(unit, kwargs):
        phone = Phone(accept=refused_by != "phone user")
        unit.accept_pairing = refused_by != "driver on the unit"
        device = await find_unit(kwargs)
        async with phone.client(device, kwargs) as client:
            with pytest.raises(BleakPairingError, match="pairing failed"):
                await client.pair()
            with pytest.raises(BleakGATTProtocolError) as caught:
                await client.write_gatt_char(COMMAND_UUID, STATUS_COMMAND, response=True)
            return caught.value.code

    assert on_virtual_radio(tmp_path, scenario) == INSUFFICIENT_ENCRYPTION
    assert bonded_addresses(tmp_path) == set()


@pytest.mark.parametrize("weakness", ["legacy pairing", "no display (Just Works)"])
def test_a_unit_offering_weaker_pairing_is_refused_without_asking_the_user(tmp_path, weakness):
    async def scenario(unit, kwargs):
        if weakness == "legacy pairing":
            unit.sc = False
        else:
            unit.io_capability = PairingDelegate.NO_OUTPUT_NO_INPUT
        phone = Phone()
        device = await find_unit(kwargs)
        async with phone.client(device, kwargs) as client:
            with pytest.raises(BleakPairingError, match="AUTHENTICATION_REQUIREMENTS"):
                await client.pair()
        return phone.digits

    assert on_virtual_radio(tmp_path, scenario) == []
    assert bonded_addresses(tmp_path) == set()


def test_pairing_without_a_confirm_callback_says_what_is_missing(tmp_path):
    async def scenario(unit, kwargs):
        async with BleakClient(await find_unit(kwargs), backend=BumbleClient, **kwargs) as client:
            await client.pair()

    with pytest.raises(BleakPairingError, match="confirm_pairing"):
        on_virtual_radio(tmp_path, scenario)


def test_a_bonded_phone_reconnects_encrypted_without_a_new_prompt_even_after_a_restart(tmp_path):
    async def scenario(unit, kwargs):
        phone = Phone()
        device = await find_unit(kwargs)
        async with phone.client(device, kwargs, pair=True):
            pass  # bleak's pair=True: paired while connecting
        replies = []
        async with BleakClient(device, backend=BumbleClient, **kwargs) as client:
            await client.pair()  # already bonded: returns at once, no digits
            replies.append(await command_round_trip(client))
        await close_stacks()  # the phone app restarts: identity and bonds come from disk
        async with BleakClient(UNIT_ADDRESS, backend=BumbleClient, **kwargs) as client:
            replies.append(await command_round_trip(client))
        return phone.digits, unit.record.digits, replies

    phone_digits, unit_digits, replies = on_virtual_radio(tmp_path, scenario)
    assert len(phone_digits) == 1 and len(unit_digits) == 1
    assert all(b'"ok"' in reply for reply in replies) and len(replies) == 2


def test_unpair_forgets_the_bond_and_disconnects(tmp_path):
    async def scenario(unit, kwargs):
        phone = Phone()
        device = await find_unit(kwargs)
        client = phone.client(device, kwargs)
        await client.connect()
        await client.pair()
        bonded_before = bonded_addresses(tmp_path)
        await client.unpair()
        connected_after = client.is_connected
        async with BleakClient(device, backend=BumbleClient, **kwargs) as again:
            with pytest.raises(BleakGATTProtocolError) as caught:
                await again.write_gatt_char(COMMAND_UUID, STATUS_COMMAND, response=True)
        return bonded_before, connected_after, caught.value.code

    bonded_before, connected_after, code = on_virtual_radio(tmp_path, scenario)
    assert bonded_before == {UNIT_ADDRESS}
    assert bonded_addresses(tmp_path) == set()
    assert not connected_after
    assert code == INSUFFICIENT_ENCRYPTION
