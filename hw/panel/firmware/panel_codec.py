"""The panel's wire protocol: one codec for the firmware (MicroPython) and the unit (CPython).

A frame on the serial line is a message in COBS (Consistent Overhead Byte Stuffing) between
two zero bytes. COBS removes every zero from the message, so a zero always ends a frame:
after line noise, a cut cable or a reset mid-frame, the reader drops what it has and starts
clean at the next zero — it never needs to find a length field it can trust. The leading
zero ends whatever noise came before, so the frame after it arrives whole.

A message is ``version · type · seq · body · crc``. ``crc`` is CRC-16/CCITT-FALSE (poly
0x1021, init 0xFFFF) over everything before it, big-endian. A frame whose CRC, version,
type or body length is wrong is dropped whole and counted, so line noise can never become a
button press (a flipped bit in a 16-bit CRC passes once in 65,536 corrupted frames, and the
body must then still have its type's exact length).

Panel → unit events carry ``seq`` (0-255, wrapping); the unit acknowledges each with ``ACK``
of that seq and the panel sends an event again until acknowledged (``RESEND_MS``, at most
``RESENDS`` times); the unit drops a repeat of the seq it last saw, so a lost ACK never
doubles a press. Unit → panel commands (LEDs, backlight) need no ACK: the unit sends its
whole state again on each change and every ``STATE_REFRESH_MS``.

Written for both Pythons: no annotations, dataclasses or f-string specs; ``bytes``,
``bytearray``, ``struct`` only. Documented in docs/panel.md.
"""

import struct

VERSION = 1
MAX_MESSAGE = 32  # bytes before COBS; every message here is far shorter
RESEND_MS = 120
RESENDS = 5
STATE_REFRESH_MS = 2000
HEARTBEAT_MS = 1000

# panel → unit
KNOB = 0x01  # body: int8 steps (clockwise positive) since the last KNOB
PRESS = 0x02  # body: uint8 control, uint8 kind
IGNITION = 0x03  # body: uint8 on (1) / off (0)
LIGHT = 0x04  # body: uint16 ambient light, permille of full scale
HEARTBEAT = 0x05  # body: uint32 uptime ms, uint8 firmware version

# unit → panel
ACK = 0x81  # body: uint8 seq of the event acknowledged
LEDS = 0x82  # body: uint8 bit i lit = preset i+1 (bit 4: back)
BACKLIGHT = 0x83  # body: uint8 level 0-255

# PRESS controls and kinds
CONTROL_KNOB, CONTROL_BACK = 0, 5  # presets are 1-4
SHORT, LONG = 0, 1

BODY_FORMATS = {
    KNOB: ">b",
    PRESS: ">BB",
    IGNITION: ">B",
    LIGHT: ">H",
    HEARTBEAT: ">IB",
    ACK: ">B",
    LEDS: ">B",
    BACKLIGHT: ">B",
}
EVENTS = (KNOB, PRESS, IGNITION, LIGHT, HEARTBEAT)


class FrameError(ValueError):
    pass


def crc16(data, crc=0xFFFF):
    """CRC-16/CCITT-FALSE; ``crc16(b"123456789") == 0x29B1``."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def cobs_encode(data):
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block = bytearray()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out += block
                block = bytearray()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data):
    out = bytearray()
    index = 0
    while index < len(data):
        code = data[index]
        if code == 0:
            raise FrameError("zero inside a frame")
        end = index + code
        if end > len(data):
            raise FrameError("frame cut short")
        out += data[index + 1 : end]
        if code < 255 and end < len(data):
            out.append(0)
        index = end
    return bytes(out)


def encode(kind, seq, *fields):
    """A whole frame for the line: a zero, COBS(message), the zero that ends it."""
    body = struct.pack(BODY_FORMATS[kind], *fields)
    message = bytes((VERSION, kind, seq & 0xFF)) + body
    crc = crc16(message)
    return b"\x00" + cobs_encode(message + bytes((crc >> 8, crc & 0xFF))) + b"\x00"


def decode(frame):
    """(kind, seq, fields) from one frame without its zeros; FrameError when it is not one."""
    message = cobs_decode(frame)
    if len(message) < 5:
        raise FrameError("too short")
    if crc16(message[:-2]) != (message[-2] << 8 | message[-1]):
        raise FrameError("bad CRC")
    version, kind, seq = message[0], message[1], message[2]
    if version != VERSION:
        raise FrameError("protocol version " + str(version))
    body_format = BODY_FORMATS.get(kind)
    if body_format is None:
        raise FrameError("unknown type " + str(kind))
    body = message[3:-2]
    if len(body) != struct.calcsize(body_format):
        raise FrameError("wrong body length for type " + str(kind))
    return kind, seq, struct.unpack(body_format, body)


class FrameReader:
    """Bytes in, decoded messages out; garbage is counted and skipped, never raised."""

    def __init__(self):
        self._pending = bytearray()
        self._overflowed = False
        self.dropped = 0  # frames thrown away (noise, CRC, version, type, length)

    def feed(self, data):
        found = []
        for byte in data:
            if byte != 0:
                if len(self._pending) < 2 * MAX_MESSAGE:
                    self._pending.append(byte)
                else:
                    self._overflowed = True  # runaway noise: drop it at the next zero
                continue
            if self._pending or self._overflowed:
                if self._overflowed:
                    self.dropped += 1
                else:
                    try:
                        found.append(decode(bytes(self._pending)))
                    except FrameError:
                        self.dropped += 1
            self._pending = bytearray()
            self._overflowed = False
        return found
