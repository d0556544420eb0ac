"""DeviceClient, the phone's typed client of the unit, over bleak on the bumble backend.

The fake unit echoes each command it reassembles as ``Ok(data={"c": name, "a": args})``, so
a reply equal to the command's own arguments proves every fragment arrived, in order.
"""

from __future__ import annotations

import asyncio

import pytest

from device.protocol import Join, PlayerState, Status, Volume
from host.bumble_backend import BUMBLE_BACKENDS
from host.client import (
    Backoff,
    CommandFailed,
    DeviceClient,
    NotPaired,
    PairingFailed,
    UnitUnavailable,
)
from tests.host.fake_unit import UNIT_ADDRESS
from tests.host.virtual_radio import on_virtual_radio

LONG_URL = "http://rooms.example.org/" + "a" * 400  # ~450-byte command: 24 fragments at MTU 23
QUICK = Backoff(first_s=0.01, max_s=0.05)


async def always_yes(digits: int) -> bool:
    return True


async def paired_client(unit, kwargs, **options) -> DeviceClient:
    client = DeviceClient(**BUMBLE_BACKENDS, **kwargs, **options)
    await client.connect()
    await client.pair(always_yes)
    return client


def test_connect_finds_the_unit_but_commands_wait_for_pairing(tmp_path):
    async def scenario(unit, kwargs):
        async with DeviceClient(**BUMBLE_BACKENDS, **kwargs) as client:
            await client.connect()
            before = (client.connected, client.ready, client.address)
            with pytest.raises(NotPaired, match="pair"):
                await client.request(Status())
            await client.pair(always_yes)
            reply = await client.request(Volume(percent=40))
            return before, client.ready, reply

    before, ready_after, reply = on_virtual_radio(tmp_path, scenario)
    assert before == (True, False, UNIT_ADDRESS)
    assert ready_after
    assert reply.data == {"c": "volume", "a": {"percent": 40}}


def test_a_long_command_travels_in_many_fragments_at_mtu_23_and_its_reply_comes_back(tmp_path):
    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs, att_mtu=23)
        unit.slow = {"join": 0.05}  # its reply comes after the two that follow it
        replies = await asyncio.gather(
            client.request(Join(url=LONG_URL)), client.request(Status()), client.request(Status())
        )
        mtu = client.mtu
        await client.close()
        return replies, unit.record, mtu

    replies, record, mtu = on_virtual_radio(tmp_path, scenario)
    assert mtu == 23
    assert replies[0].data == {"c": "join", "a": {"url": LONG_URL}}
    assert [r.data["c"] for r in replies[1:]] == ["status", "status"]
    assert len({r.re for r in replies}) == 3  # each reply matched to its own request
    assert len(record.command_fragment_sizes) >= 24 + 2
    assert max(record.command_fragment_sizes) == mtu - 3
    assert max(record.notification_sizes) == mtu - 3


def test_events_reach_every_reader_and_end_on_close(tmp_path):
    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs)
        first, second = [], []

        async def read(into):
            async for event in client.events():
                into.append(event)

        readers = [asyncio.create_task(read(first)), asyncio.create_task(read(second))]
        await asyncio.sleep(0)
        playing = PlayerState(state="playing", room="http://r.example/x", volume=30)
        await unit.broadcast(playing)
        await asyncio.sleep(0.05)
        await client.close()
        await asyncio.wait_for(asyncio.gather(*readers), 1)
        return first, second, playing

    first, second, playing = on_virtual_radio(tmp_path, scenario)
    assert first == second == [playing]


def test_a_refused_command_raises_command_failed_with_the_unit_code(tmp_path):
    async def scenario(unit, kwargs):
        unit.refuse = {"volume"}
        client = await paired_client(unit, kwargs)
        with pytest.raises(CommandFailed) as caught:
            await client.request(Volume(percent=5))
        await client.close()
        return caught.value.error

    error = on_virtual_radio(tmp_path, scenario)
    assert (error.code, error.msg) == ("refused", "refused")


def test_a_silent_unit_times_out_with_a_clear_message(tmp_path):
    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs)
        unit.silent = True
        with pytest.raises(UnitUnavailable, match=r"did not reply to status within 0\.2 s"):
            await client.request(Status(), timeout_s=0.2)
        await client.close()

    on_virtual_radio(tmp_path, scenario)


def test_a_rejected_comparison_is_pairing_failed(tmp_path):
    async def scenario(unit, kwargs):
        unit.accept_pairing = False
        async with DeviceClient(**BUMBLE_BACKENDS, **kwargs) as client:
            await client.connect()
            with pytest.raises(PairingFailed, match="pairing failed"):
                await client.pair(always_yes)
            return client.ready

    assert on_virtual_radio(tmp_path, scenario) is False


def test_keep_connected_brings_a_dropped_link_back_ready_without_pairing_again(tmp_path):
    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs)
        runner = asyncio.create_task(client.keep_connected(QUICK))
        pending = asyncio.create_task(client.request(Status(), timeout_s=2))
        unit.silent = True  # the request is in flight when the car drives out of range
        await asyncio.sleep(0.02)
        await unit.drop_links()
        with pytest.raises(UnitUnavailable, match="dropped"):
            await pending
        unit.silent = False
        while not client.ready:
            await asyncio.sleep(0.01)
        reply = await client.request(Status())
        await client.close()
        await asyncio.wait_for(runner, 1)
        return client.link_drops, reply, len(unit.record.digits)

    drops, reply, comparisons = on_virtual_radio(tmp_path, scenario)
    assert drops == 1
    assert reply.data["c"] == "status"
    assert comparisons == 1  # the bond re-encrypted the new link


def test_a_unit_that_forgot_the_phone_connects_unpaired_and_pairing_again_restores_it(tmp_path):
    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs)
        await client.close()
        await unit.forget_bonds()
        async with DeviceClient(**BUMBLE_BACKENDS, **kwargs) as client:
            await client.connect(UNIT_ADDRESS)
            ready_before = client.ready
            await client.pair(always_yes)
            reply = await client.request(Status())
        return ready_before, reply

    ready_before, reply = on_virtual_radio(tmp_path, scenario)
    assert not ready_before
    assert reply.data["c"] == "status"


def test_relay_writes_opus_frames_in_order_without_response(tmp_path):
    frames = [bytes([n]) * 120 for n in range(50)]  # 120-byte Opus frames: 7 fragments each

    async def scenario(unit, kwargs):
        client = await paired_client(unit, kwargs, att_mtu=23)
        sent = await client.relay(frames)
        await client.request(Status())  # a round trip: everything before it has arrived
        await client.close()
        return sent, unit.record.audio_frames

    sent, received = on_virtual_radio(tmp_path, scenario)
    assert sent == 50
    assert received == frames


def test_scan_lists_the_units_in_range(tmp_path):
    async def scenario(unit, kwargs):
        return await DeviceClient(**BUMBLE_BACKENDS, **kwargs).scan(timeout_s=0.1)

    found = on_virtual_radio(tmp_path, scenario)
    assert [(d.address, d.name) for d in found] == [(UNIT_ADDRESS, "Drivetime")]


def test_no_unit_in_range_is_unit_unavailable(tmp_path):
    async def scenario(unit, kwargs):
        await unit.device.stop_advertising()
        client = DeviceClient(**BUMBLE_BACKENDS, scan_timeout_s=0.2, **kwargs)
        with pytest.raises(UnitUnavailable, match="no Drivetime unit advertised"):
            await client.connect()

    on_virtual_radio(tmp_path, scenario)
