"""The wire contract: every message survives encode → frame → deframe → decode unchanged."""

from __future__ import annotations

import contextlib
import random

import pytest

from device.protocol import (
    COMMANDS,
    EVENTS,
    Browse,
    Car,
    Driving,
    Error,
    ErrorCode,
    Favorite,
    Forget,
    FragmentReassembler,
    Join,
    Knob,
    Library,
    Light,
    Mode,
    Next,
    NowPlaying,
    Ok,
    Output,
    Outputs,
    PairConfirm,
    Pairing,
    PairOpen,
    PanelInput,
    Pause,
    Phones,
    PlayerState,
    Power,
    PresetClear,
    PresetPlay,
    PresetSet,
    Previous,
    ProtocolError,
    Queue,
    Relay,
    Resume,
    Search,
    Shuffle,
    Stats,
    Status,
    StreamDeframer,
    Volume,
    Watch,
    decode_message,
    encode_message,
    fragment,
    frame,
)

SAMPLES = [
    Status(id=1),
    Join(id=2, url="http://127.0.0.1:8000/late-night-jazz"),
    Pause(id=3),
    Resume(id=4),
    Volume(id=5, percent=0),
    Volume(id=6, percent=100),
    Mode(id=7, mode="road"),
    Watch(id=65535),
    Search(id=12, q="#jazz artist:beyo", offset=10, limit=5),
    Browse(id=13, what="tags"),
    Favorite(id=14, url="http://127.0.0.1:8000/jazz", on=False),
    PresetSet(id=15, slot=4, kind="artist", target="Daft Punk", label="Daft Punk"),
    PresetPlay(id=16, slot=2),
    PresetClear(id=17, slot=3),
    Library(id=18, what="albums", artist="Sigur Rós"),
    Queue(id=19, kind="album", target="Ágætis byrjun", artist="Sigur Rós", shuffle=True),
    Queue(id=20, offset=10),
    Next(id=21),
    Previous(id=22),
    Shuffle(id=23, on=False),
    PairOpen(id=24),
    PairConfirm(id=25, accept=True),
    Phones(id=26),
    Forget(id=27, address="F0:12:34:56:78:9A/P"),
    Forget(id=28),
    Driving(id=29, on=True),
    Relay(id=30, label="http://127.0.0.1:8000/jazz.opus"),
    Pairing(state="confirm", digits="004217", phone="Pixel 8"),
    Car(driving=True),
    Knob(id=31, focus=True),
    Outputs(id=32),
    Output(id=33, spec="pyaudio:USB Audio"),
    PanelInput(control="knob", action="turn", steps=-3),
    Power(state="off", seconds=27),
    Light(permille=120),
    Ok(re=5, data={"state": "playing", "volume": 40}),
    Error(re=9, code="bad_argument", msg="percent must be 0..100, got 101"),
    PlayerState(state="reconnecting", room="http://x/y", mode="road", volume=70, detail="stalled"),
    NowPlaying(artist="Nina Simone", title="Sinnerman", album="Pastel Blues"),
    NowPlaying(artist="Sigur Rós", title="Hoppípolla ♪ #ísland"),
    Stats(depth_ms=30000, underruns=2, concealed_ms=40, skipped_ms=0, missed_ms=0, lag_ms=-1),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(message):
    assert decode_message(encode_message(message)) == message


def test_every_command_and_event_has_a_sample():
    kinds = {type(m) for m in SAMPLES}
    assert set(COMMANDS.values()) <= kinds
    assert set(EVENTS.values()) <= kinds


def test_commands_are_compact_enough_for_ble():
    # 20-byte GATT values at the minimum MTU: the common commands take at most 3 writes.
    for command in (Status(id=1), Pause(id=2), Volume(id=3, percent=55), Mode(id=4, mode="road")):
        assert len(fragment(encode_message(command))) <= 3, command


def test_wire_bytes_are_the_documented_shape():
    assert encode_message(Volume(id=7, percent=40)) == (
        b'{"v":1,"c":"volume","id":7,"a":{"percent":40}}'
    )
    assert encode_message(Pause(id=1)) == b'{"v":1,"c":"pause","id":1}'


def test_a_byte_stream_of_frames_decodes_in_any_chunking():
    stream = b"".join(frame(encode_message(m)) for m in SAMPLES)
    rng = random.Random(7)
    for _ in range(20):
        deframer, decoded, offset = StreamDeframer(), [], 0
        while offset < len(stream):
            step = rng.randint(1, 9)
            decoded += [decode_message(p) for p in deframer.feed(stream[offset : offset + step])]
            offset += step
        assert decoded == SAMPLES


@pytest.mark.parametrize("mtu", [23, 24, 64, 185, 517])
def test_fragments_fit_the_mtu_and_reassemble(mtu):
    reassembler = FragmentReassembler()
    for message in SAMPLES:
        fragments = fragment(encode_message(message), mtu)
        assert all(len(f) <= mtu - 3 for f in fragments)
        results = [reassembler.feed(f) for f in fragments]
        assert results[:-1] == [None] * (len(fragments) - 1)
        assert decode_message(results[-1]) == message


def test_out_of_sequence_fragment_drops_only_that_message():
    reassembler = FragmentReassembler()
    long_one = fragment(encode_message(SAMPLES[1]))
    assert len(long_one) >= 3
    reassembler.feed(long_one[0])
    with pytest.raises(ProtocolError, match="out of sequence"):
        reassembler.feed(long_one[2])
    with pytest.raises(ProtocolError, match="without a first fragment"):
        reassembler.feed(long_one[1])
    # The next message arrives intact.
    *head, tail = fragment(encode_message(Pause(id=8)))
    assert [reassembler.feed(f) for f in head] == [None] * len(head)
    assert decode_message(reassembler.feed(tail)) == Pause(id=8)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe", ErrorCode.MALFORMED),
        (b"not json", ErrorCode.MALFORMED),
        (b"[1,2]", ErrorCode.MALFORMED),
        (b'{"v":2,"c":"pause","id":1}', ErrorCode.VERSION),
        (b'{"c":"pause","id":1}', ErrorCode.VERSION),
        (b'{"v":1,"c":"eject","id":1}', ErrorCode.UNKNOWN),
        (b'{"v":1,"c":"volume","id":1,"a":{"percent":101}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"volume","id":1,"a":{"percent":"50"}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"volume","id":1,"a":{"percent":true}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"volume","id":1,"a":{"pct":5}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"join","id":1,"a":{"url":"file:///etc/passwd"}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"mode","id":1,"a":{"mode":"turbo"}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"pause","id":70000}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"search","id":1,"a":{"q":"  "}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"search","id":1,"a":{"q":"x","limit":50}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"browse","id":1,"a":{"what":"everything"}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"preset_set","id":1,"a":{"slot":5,"target":"x"}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"preset_set","id":1,"a":{"slot":1}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"favorite","id":1,"a":{"url":"u","on":1}}', ErrorCode.BAD_ARGUMENT),
        (b'{"v":1,"c":"pause","a":[]}', ErrorCode.MALFORMED),
        (b'{"v":1}', ErrorCode.MALFORMED),
        (b"{" + b" " * 5000 + b"}", ErrorCode.TOO_LARGE),
        # Within 4096 bytes, but nested deeper than the JSON parser's recursion allows.
        (b"[" * 2000 + b"]" * 2000, ErrorCode.MALFORMED),
        (b"[" * 4096, ErrorCode.MALFORMED),
        (b'{"v":1,"ok":{"a":' + b"[" * 1500 + b"]" * 1500 + b'},"re":1}', ErrorCode.MALFORMED),
        # Valid JSON text that is not a value any peer could send on.
        (b'{"v":1,"ok":{"x":NaN},"re":1}', ErrorCode.MALFORMED),
        (b'{"v":1,"ok":{"x":-Infinity},"re":1}', ErrorCode.MALFORMED),
        (b'{"v":1,"ok":{"x":1e999},"re":1}', ErrorCode.MALFORMED),
        (b'{"v":1,"e":"now","a":{"title":"\\ud800"}}', ErrorCode.MALFORMED),
        (b'{"v":1,"c":"join","id":1,"a":{"url":"http://h/\\udfff"}}', ErrorCode.MALFORMED),
    ],
)
def test_bad_input_gets_a_clear_error_code(payload, code):
    with pytest.raises(ProtocolError) as caught:
        decode_message(payload)
    assert caught.value.code == code
    assert caught.value.message


def test_a_frame_announcing_too_much_is_refused():
    with pytest.raises(ProtocolError, match="announces"):
        StreamDeframer().feed(b"\xff\xff" + b"x" * 10)


def test_random_garbage_never_escapes_as_another_exception():
    rng = random.Random(3)
    for _ in range(2000):
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        with contextlib.suppress(ProtocolError):
            decode_message(blob)


def test_a_paired_surrogate_escape_is_text_like_any_other():
    message = decode_message(b'{"v":1,"e":"now","a":{"title":"\\ud83c\\udfb5 Tune"}}')
    assert message == NowPlaying(title="\U0001f3b5 Tune")


# Tokens a mutation inserts besides random bytes: the fuzzer reaches the parser's corners
# (nesting, escapes, number forms, constants) instead of dying at the first bad byte.
JSON_TOKENS = [
    b"[",
    b"]",
    b"{",
    b"}",
    b'"',
    b",",
    b":",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\udc00",
    b"\\u0000",
    b"NaN",
    b"Infinity",
    b"1e999",
    b"-0",
    b"1.5",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'"a":',
    b"\xc3",
    b"\xff",
    b"\xf0\x9f\x8e\xb5",
]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randint(0, len(out))
        kind = rng.randrange(6)
        if kind == 0 and out:
            out[min(where, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[where:where] = bytes([rng.randrange(256)])
        elif kind == 2:
            out[where:where] = rng.choice(JSON_TOKENS) * rng.choice((1, 1, 1, 50, 1500))
        elif kind == 3:
            del out[where : where + rng.randint(1, 8)]
        elif kind == 4:
            del out[where:]
        else:  # repeat a slice: duplicated keys, doubled brackets
            start = rng.randint(0, len(out))
            out[where:where] = out[start : start + rng.randint(1, 12)]
    return bytes(out)


def test_mutated_messages_decode_to_a_valid_message_or_a_protocol_error():
    """Thousands of flips, insertions, deletions and truncations of real wire bytes: the
    decoder answers each with a message that can be sent on unchanged, or a ProtocolError."""
    rng = random.Random(2024)
    seeds = [encode_message(m) for m in SAMPLES]
    decoded = refused = 0
    for _ in range(8000):
        blob = _mutate(rng.choice(seeds), rng)
        try:
            message = decode_message(blob)
        except ProtocolError as exc:
            assert exc.code in set(ErrorCode), blob
            refused += 1
            continue
        assert decode_message(encode_message(message)) == message, blob
        decoded += 1
    # Both outcomes were exercised: the mutations are neither all fatal nor all harmless.
    assert decoded > 100 and refused > 2000, (decoded, refused)
