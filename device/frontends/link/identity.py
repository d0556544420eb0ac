"""The unit's own Bluetooth identity: a random static address and an identity resolving key.

Both are generated once from the system's CSPRNG and kept in the state directory, so bonded
phones find the same unit after every restart. bumble's default IRK is sixteen zero bytes,
which would let anyone resolve the unit's private addresses: it is never used.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from device.durable_file import CorruptFile, read_json_object, set_aside, write_json

log = logging.getLogger(__name__)

IDENTITY_FILE = "link_identity.json"
IRK_BYTES = 16


@dataclass(frozen=True)
class UnitIdentity:
    address: str  # random static: the two top bits set, "C5:12:...", most significant first
    irk: bytes


def load_or_create_identity(state_dir: Path) -> UnitIdentity:
    path = state_dir / IDENTITY_FILE
    try:
        stored = read_json_object(path)
        if stored is not None:
            return _parse(stored)
    except CorruptFile as exc:
        log.error("link identity unreadable, phones must pair again: %s", exc)
    except (KeyError, TypeError, ValueError) as exc:
        log.error("link identity invalid (%s), phones must pair again", exc)
        set_aside(path)
    identity = UnitIdentity(address=_random_static_address(), irk=secrets.token_bytes(IRK_BYTES))
    write_json(path, {"address": identity.address, "irk": identity.irk.hex()})
    return identity


def _parse(stored: dict) -> UnitIdentity:
    irk = bytes.fromhex(stored["irk"])
    address = stored["address"]
    octets = address.split(":")
    if len(irk) != IRK_BYTES or len(octets) != 6 or int(octets[0], 16) < 0xC0:
        raise ValueError("not a 16-byte IRK and a random static address")
    return UnitIdentity(address=address.upper(), irk=irk)


def _random_static_address() -> str:
    octets = bytearray(secrets.token_bytes(6))
    octets[0] |= 0xC0  # random static (Core Vol 6 Part B 1.3.2.1)
    return ":".join(f"{octet:02X}" for octet in octets)
