"""The phone's Bluetooth identity and bonds, kept in a private state directory.

A unit stores its bond under the phone's identity address, so the phone must come back with
the same static random address and identity resolving key (IRK) after every restart, or the
unit would no longer recognise it. Both live in ``identity.json``; the bonds (the keys each
unit gave us) live in ``bonds.json``, bumble's JsonKeyStore format.

State directory: the ``state_dir`` argument, else ``$DRIVETIME_HOST_STATE_DIR``, else
``$XDG_STATE_HOME/drivetime-host`` (``~/.local/state/drivetime-host``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bumble import hci
from bumble.keys import JsonKeyStore

STATE_DIR_ENV = "DRIVETIME_HOST_STATE_DIR"
IDENTITY_FILE = "identity.json"
BONDS_FILE = "bonds.json"

logger = logging.getLogger(__name__)


def resolve_state_dir(state_dir: str | os.PathLike[str] | None) -> Path:
    if state_dir is not None:
        return Path(state_dir)
    if from_env := os.environ.get(STATE_DIR_ENV):
        return Path(from_env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "drivetime-host"


@dataclass(frozen=True)
class PhoneIdentity:
    address: hci.Address  # static random
    irk: bytes  # 16 bytes

    @classmethod
    def load_or_create(cls, state_dir: Path) -> PhoneIdentity:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = state_dir / IDENTITY_FILE
        if path.exists():
            try:
                return cls._read(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                # Keep the bad file for inspection; a fresh identity means pairing again.
                logger.warning("unreadable phone identity %s (%s): creating a new one", path, exc)
                path.replace(path.with_suffix(".json.bad"))
        identity = cls(hci.Address.generate_static_address(), secrets.token_bytes(16))
        identity._write(path)
        return identity

    @classmethod
    def _read(cls, path: Path) -> PhoneIdentity:
        body = json.loads(path.read_text())
        address = hci.Address(body["address"], hci.Address.RANDOM_DEVICE_ADDRESS)
        irk = bytes.fromhex(body["irk"])
        if not address.is_static or len(irk) != 16:
            raise ValueError("not a static random address with a 16-byte IRK")
        return cls(address, irk)

    def _write(self, path: Path) -> None:
        text = json.dumps({"address": self.address.to_string(False), "irk": self.irk.hex()})
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        temporary.replace(path)


def open_bond_store(state_dir: Path, identity: PhoneIdentity) -> JsonKeyStore:
    """The bonds of this phone identity; a corrupt file is set aside rather than fatal."""
    path = state_dir / BONDS_FILE
    if path.exists():
        try:
            json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            logger.warning("unreadable bond store %s (%s): starting without bonds", path, exc)
            path.replace(path.with_suffix(".json.bad"))
    return JsonKeyStore(namespace=identity.address.to_string(False), filename=str(path))
