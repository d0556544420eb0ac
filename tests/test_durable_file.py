"""Durable state files: the new bytes or the old, never a mix, with the permissions asked for."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from device.durable_file import is_temporary_name, temporary_name, write_atomically


def test_a_file_is_replaced_whole_with_the_mode_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "state" / "bonds.json"
    write_atomically(path, b"old")
    old_umask = os.umask(0o077)  # a tight umask must not narrow a picture the UI reads
    try:
        write_atomically(path, b"new" * 100_000, mode=0o644)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"new" * 100_000
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["bonds.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    write_atomically(path, b'{"theme": "night"}')
    with pytest.raises(TypeError):
        write_atomically(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b'{"theme": "night"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ui.json"]


def test_temporary_names_are_recognised_and_nothing_else_is() -> None:
    assert is_temporary_name(temporary_name("0123456789abcdef.jpg"))
    assert not is_temporary_name("0123456789abcdef.jpg")
    assert not is_temporary_name("notes.tmp")  # not hidden: not ours
