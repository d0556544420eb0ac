"""The phone's identity and bond files: stable across restarts, private, never fatal."""

from __future__ import annotations

import json
import stat

from host.bumble_backend.identity import (
    BONDS_FILE,
    IDENTITY_FILE,
    STATE_DIR_ENV,
    PhoneIdentity,
    open_bond_store,
    resolve_state_dir,
)


def test_the_identity_is_created_once_privately_and_reused(tmp_path):
    first = PhoneIdentity.load_or_create(tmp_path / "phone")
    again = PhoneIdentity.load_or_create(tmp_path / "phone")
    assert again == first
    assert first.address.is_static and len(first.irk) == 16 and first.irk != bytes(16)
    assert stat.S_IMODE((tmp_path / "phone" / IDENTITY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "phone").stat().st_mode) == 0o700


def test_an_unreadable_identity_is_set_aside_and_replaced(tmp_path):
    (tmp_path / IDENTITY_FILE).write_text('{"address": "not an address"')
    identity = PhoneIdentity.load_or_create(tmp_path)
    assert identity.address.is_static
    assert (tmp_path / "identity.json.bad").read_text() == '{"address": "not an address"'
    assert PhoneIdentity.load_or_create(tmp_path) == identity


def test_an_unreadable_bond_store_is_set_aside(tmp_path):
    (tmp_path / BONDS_FILE).write_text("{{{")
    store = open_bond_store(tmp_path, PhoneIdentity.load_or_create(tmp_path))
    assert (tmp_path / "bonds.json.bad").exists() and not (tmp_path / BONDS_FILE).exists()
    assert store.filename.name == BONDS_FILE


def test_the_state_dir_comes_from_the_argument_then_the_environment_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    assert resolve_state_dir(None) == tmp_path / "xdg" / "drivetime-host"
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "env"))
    assert resolve_state_dir(None) == tmp_path / "env"
    assert resolve_state_dir(tmp_path / "arg") == tmp_path / "arg"


def test_identity_file_is_plain_json_naming_address_and_key(tmp_path):
    identity = PhoneIdentity.load_or_create(tmp_path)
    body = json.loads((tmp_path / IDENTITY_FILE).read_text())
    assert body == {"address": identity.address.to_string(False), "irk": identity.irk.hex()}
