"""Bonded phones: their keys, their names, when they paired; on the card, atomically.

This is bumble's key store (the host looks up a reconnecting phone's key here), with two
differences that make it the unit's security boundary:

* keys that bumble hands over after a pairing are only *staged* (:meth:`BondStore.update`);
  they become a bond through :meth:`BondStore.commit`, which the link server calls only for a
  Secure Connections pairing whose six digits the driver confirmed. A pairing that slipped
  through any other way leaves nothing a later connection could use.
* at most ``max_bonds`` bonds are kept: when one more phone pairs, the one unused for the
  longest time (paired or last connected longest ago) is forgotten. The driver just confirmed
  the new phone on the screen; refusing it would leave them in a settings menu while driving.

A file that cannot be read is set aside (``link_bonds.json.corrupt-<time>``) and logged; the
unit starts with no bonds rather than not at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bumble.keys import KeyStore, PairingKeys

from device.durable_file import CorruptFile, read_json_object, set_aside, write_json

log = logging.getLogger(__name__)

BONDS_FILE = "link_bonds.json"
FORMAT_VERSION = 1
MAX_NAME_CHARS = 64


@dataclass(frozen=True)
class Phone:
    address: str  # identity address as bumble writes it: "D0:11:..:55", "/P" when public
    name: str | None  # the phone's own GAP name, when it let the unit read it
    bonded_at: float  # wall clock, seconds since the epoch
    last_seen: float  # paired or last connected, same clock


@dataclass
class _Bond:
    keys: PairingKeys
    name: str | None
    bonded_at: float
    last_seen: float


class BondStore(KeyStore):
    def __init__(
        self, path: Path, max_bonds: int, wall_clock: Callable[[], float] = time.time
    ) -> None:
        if max_bonds < 1:
            raise ValueError(f"max_bonds must be at least 1, got {max_bonds}")
        self._path = path
        self._max_bonds = max_bonds
        self._wall_clock = wall_clock
        self._bonds: dict[str, _Bond] = {}
        self._staged: dict[str, PairingKeys] = {}
        self._load()

    # --- bumble's KeyStore ---------------------------------------------------------------

    async def get(self, name: str) -> PairingKeys | None:
        bond = self._bonds.get(name)
        return bond.keys if bond else None

    async def get_all(self) -> list[tuple[str, PairingKeys]]:
        return [(address, bond.keys) for address, bond in self._bonds.items()]

    async def update(self, name: str, keys: PairingKeys) -> None:
        """Stage a pairing's keys; nothing is a bond until :meth:`commit`."""
        self._staged[name] = keys

    async def delete(self, name: str) -> None:
        self.remove(name)

    # --- the unit's side -----------------------------------------------------------------

    def commit(self, address: str) -> list[str]:
        """Turn the staged keys of ``address`` into a bond; returns the addresses evicted."""
        keys = self._staged.pop(address, None)
        if keys is None or keys.ltk is None or not keys.ltk.authenticated:
            raise ValueError(f"no authenticated keys staged for {address}")
        now = self._wall_clock()
        self._bonds[address] = _Bond(keys, None, now, now)  # pairing again replaces a bond
        evicted = []
        while len(self._bonds) > self._max_bonds:
            unused = min(self._bonds, key=lambda a: self._bonds[a].last_seen)
            del self._bonds[unused]
            evicted.append(unused)
            log.info("forgot %s: more than %d bonded phones", unused, self._max_bonds)
        self._save()
        return evicted

    def touch(self, address: str) -> None:
        """A bonded phone is back: it moves to the end of the eviction line."""
        bond = self._bonds.get(address)
        if bond is not None:
            bond.last_seen = max(self._wall_clock(), bond.last_seen)
            self._save()

    def discard_staged(self, address: str) -> None:
        self._staged.pop(address, None)

    def remove(self, address: str) -> bool:
        if self._bonds.pop(address, None) is None:
            return False
        self._save()
        return True

    def set_name(self, address: str, name: str) -> None:
        bond = self._bonds.get(address)
        if bond is not None and bond.name != name:
            bond.name = name[:MAX_NAME_CHARS]
            self._save()

    def is_bonded(self, address: str) -> bool:
        return address in self._bonds

    def find(self, address: str) -> str | None:
        """The stored form of ``address``: any case, with or without the "/P" suffix."""
        wanted = address.upper().removesuffix("/P")
        for stored in self._bonds:
            if stored.upper().removesuffix("/P") == wanted:
                return stored
        return None

    def phones(self) -> list[Phone]:
        return [Phone(a, b.name, b.bonded_at, b.last_seen) for a, b in self._bonds.items()]

    # --- the file ------------------------------------------------------------------------

    def _save(self) -> None:
        bonds = {
            address: {
                "keys": bond.keys.to_dict(),
                "name": bond.name,
                "bonded_at": bond.bonded_at,
                "last_seen": bond.last_seen,
            }
            for address, bond in self._bonds.items()
        }
        write_json(self._path, {"version": FORMAT_VERSION, "bonds": bonds})

    def _load(self) -> None:
        try:
            stored = read_json_object(self._path)
        except CorruptFile as exc:
            log.error("starting with no bonded phones: %s", exc)
            return
        if stored is None:
            return
        try:
            if stored.get("version") != FORMAT_VERSION:
                raise ValueError(f"unknown format version {stored.get('version')!r}")
            bonds = {str(address): _parse_bond(entry) for address, entry in stored["bonds"].items()}
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            aside = set_aside(self._path)
            log.error(
                "starting with no bonded phones: %s invalid (%s), kept as %s",
                self._path,
                exc,
                aside,
            )
            return
        self._bonds = dict(sorted(bonds.items(), key=lambda item: item[1].bonded_at))


def _parse_bond(entry: dict) -> _Bond:
    keys = PairingKeys.from_dict(entry["keys"])
    if keys.ltk is None or not keys.ltk.authenticated:
        raise ValueError("a bond without an authenticated long-term key")
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise TypeError("name must be text")
    bonded_at = float(entry["bonded_at"])
    return _Bond(keys, name, bonded_at, float(entry.get("last_seen", bonded_at)))
