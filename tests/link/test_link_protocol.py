"""The protocol over GATT on the virtual radio: fragments at the MTU, fuzz, events, audio."""

from __future__ import annotations

import asyncio
import statistics
import time

from bumble import att
from bumble.core import UUID, AdvertisingData

from device.frontends.link.server import advertising_data
from device.protocol import (
    Error,
    NowPlaying,
    Ok,
    PlayerState,
    Status,
    encode_message,
    fragment,
)
from device.protocol.gatt import SERVICE_UUID
from tests.link.conftest import Unit, run
from tests.link.fuzz import expected_replies, fuzzed_values
from tests.link.phone import BumblePhone

LONG_REPLY = Ok(re=9, data={"rooms": [f"https://rooms.example/{n:03d}" for n in range(40)]})


async def paired_phone(unit: Unit, mtu: int | None = None) -> BumblePhone:
    unit.server.open_pairing_window()
    phone = await BumblePhone(unit.server.phone_port).start()
    await phone.connect(unit.server.address)
    if mtu is not None:
        await phone.peer.request_mtu(mtu)
    await phone.pair()
    await phone.discover()
    await phone.subscribe()
    return phone


def test_a_long_reply_is_cut_at_att_mtu_23_and_reassembled(tmp_path):
    async def scenario(unit: Unit):
        unit.reply = lambda command: LONG_REPLY
        phone = await paired_phone(unit)
        reply = await phone.ask(Status(id=9))
        await phone.close()
        return phone.connection_mtu, phone.notifications, reply

    mtu, values, reply = run(Unit(tmp_path).serve(scenario))
    assert mtu == 23
    assert reply == LONG_REPLY
    assert len(encode_message(LONG_REPLY)) > 1000
    assert max(len(v) for v in values) == 20  # ATT MTU 23 - 3: the phone checks, bumble won't
    assert len(values) == len(fragment(encode_message(LONG_REPLY), 23))


def test_a_larger_negotiated_mtu_gives_larger_fragments(tmp_path):
    async def scenario(unit: Unit):
        unit.reply = lambda command: LONG_REPLY
        phone = await paired_phone(unit, mtu=100)
        reply = await phone.ask(Status(id=9))
        await phone.close()
        return phone.notifications, reply

    values, reply = run(Unit(tmp_path).serve(scenario))
    assert reply == LONG_REPLY
    assert max(len(v) for v in values) == 97


def test_fuzzed_writes_over_the_radio_get_one_error_each_and_the_link_survives(tmp_path):
    values = fuzzed_values(seed=7, count=300, max_bytes=20)  # ATT MTU 23
    expected, replies_after = expected_replies(values)

    async def scenario(unit: Unit):
        phone = await paired_phone(unit)
        replies = []
        for index, value in enumerate(values):
            await phone.command.write_value(value, with_response=True)
            if index % 10 == 9:  # a phone that reads its replies as it goes
                while len(replies) < replies_after[index]:
                    replies.append(await phone.next_message())
        while len(replies) < len(expected):
            replies.append(await phone.next_message())
        await phone.send(Status(id=77))
        last = await phone.next_message()
        await phone.close()
        return replies, last

    unit = Unit(tmp_path)
    replies, last = run(unit.serve(scenario, commands_per_s=1e6))
    assert [type(r) for r in replies] == expected
    assert expected.count(Error) > 50
    assert last == Ok(re=77, data={"did": "status"})
    assert len(unit.executed) == expected.count(Ok) + 1


def test_player_events_reach_a_subscribed_bonded_phone_in_order(tmp_path):
    events = [PlayerState(state="playing", volume=v) for v in range(5)]
    events.append(NowPlaying(artist="Nina Simone", title="Sinnerman", album="Pastel Blues"))

    async def scenario(unit: Unit):
        phone = await paired_phone(unit)
        for event in events:
            unit.server.notify_event(event)
        received = [await phone.next_message() for _ in events]
        await phone.close()
        return received

    assert run(Unit(tmp_path).serve(scenario)) == events


def test_relayed_audio_frames_arrive_whole_and_in_order(tmp_path):
    frames = [bytes([n]) * 120 for n in range(50)]

    async def scenario(unit: Unit):
        phone = await paired_phone(unit)
        for frame in frames:
            for value in fragment(frame, 23):
                await phone.audio.write_value(value, with_response=False)
        await phone.ask(Status(id=1))  # after the audio, in the same ATT order
        for _ in range(100):
            if len(unit.audio) == len(frames):
                break
            await asyncio.sleep(0.01)
        await phone.close()

    unit = Unit(tmp_path)
    run(unit.serve(scenario))
    assert unit.audio == frames


def test_unused_directions_answer_not_permitted_at_once(tmp_path):
    """A characteristic without a callback gets no ATT response and the phone waits 30 s."""

    async def scenario(unit: Unit):
        phone = await paired_phone(unit)
        attempts = {
            "read COMMAND": phone.command.read_value(),
            "read EVENTS": phone.events.read_value(),
            "write EVENTS": phone.events.write_value(b"\xc0{}", with_response=True),
            "read AUDIO": phone.audio.read_value(),
        }
        errors = {}
        for name, attempt in attempts.items():
            try:
                await asyncio.wait_for(attempt, 1.0)
            except att.ATT_Error as exc:
                errors[name] = exc.error_code
        await phone.close()
        return errors

    unit = Unit(tmp_path)
    assert run(unit.serve(scenario)) == {
        "read COMMAND": att.ErrorCode.READ_NOT_PERMITTED,
        "read EVENTS": att.ErrorCode.READ_NOT_PERMITTED,
        "write EVENTS": att.ErrorCode.WRITE_NOT_PERMITTED,
        "read AUDIO": att.ErrorCode.READ_NOT_PERMITTED,
    }
    assert unit.executed == []


def test_the_advertisement_itself_carries_the_service_and_the_name(tmp_path):
    async def scenario(unit: Unit):
        phone = await BumblePhone(unit.server.phone_port).start()
        seen = asyncio.get_running_loop().create_future()
        phone.device.on("advertisement", lambda adv: seen.done() or seen.set_result(adv))
        await phone.device.start_scanning()
        advertisement = await asyncio.wait_for(seen, 3)
        await phone.close()
        return advertisement, unit.server.address

    advertisement, address = run(Unit(tmp_path).serve(scenario))
    data = advertisement.data
    assert str(advertisement.address) == address
    assert UUID(SERVICE_UUID) in data.get(
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS
    )
    assert data.get(AdvertisingData.SHORTENED_LOCAL_NAME) == "Drivetim"
    assert len(bytes(data)) <= 31


def test_a_short_name_is_advertised_complete():
    data = AdvertisingData.from_bytes(advertising_data("Car"))
    assert data.get(AdvertisingData.COMPLETE_LOCAL_NAME) == "Car"
    long = AdvertisingData.from_bytes(advertising_data("Drivetimé Ünit"))
    assert len(advertising_data("Drivetimé Ünit")) <= 31
    assert long.get(AdvertisingData.SHORTENED_LOCAL_NAME) == "Drivetim"


def test_timings_on_the_virtual_radio(tmp_path):
    """Not asserted (benchmarks assert speed): printed for the record with -s."""

    async def scenario(unit: Unit):
        unit.server.open_pairing_window()
        phone = await BumblePhone(unit.server.phone_port).start()
        t0 = time.perf_counter()
        await phone.connect(unit.server.address)
        t1 = time.perf_counter()
        await phone.pair()
        t2 = time.perf_counter()
        await phone.discover()
        await phone.subscribe()
        round_trips = []
        for request_id in range(200):
            started = time.perf_counter()
            await phone.ask(Status(id=request_id))
            round_trips.append(time.perf_counter() - started)
        await phone.close()
        return t1 - t0, t2 - t1, round_trips

    unit = Unit(tmp_path)
    connect, pairing, round_trips = run(unit.serve(scenario, commands_per_s=1e6))
    p50 = statistics.median(round_trips) * 1000
    p95 = statistics.quantiles(round_trips, n=20)[-1] * 1000
    print(
        f"connect {connect * 1000:.1f} ms, pairing {pairing * 1000:.1f} ms, "
        f"status round trip p50 {p50:.2f} ms p95 {p95:.2f} ms"
    )
    assert len(round_trips) == 200
