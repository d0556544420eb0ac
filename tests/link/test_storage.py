"""State files survive a power cut at any point: the old file or the new one, never half."""

from __future__ import annotations

import os

import pytest

from device.durable_file import CorruptFile, read_json_object, write_json


def test_a_write_cut_before_the_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "bonds.json"
    write_json(path, {"bonds": {"A": 1}})

    def power_cut(*_):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError, match="power cut"):
        write_json(path, {"bonds": {"A": 1, "B": 2}})
    assert read_json_object(path) == {"bonds": {"A": 1}}


def test_the_new_content_is_on_disk_before_it_replaces_the_old(tmp_path, monkeypatch):
    path = tmp_path / "bonds.json"
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    write_json(path, {"bonds": {}})
    assert len(synced) == 2  # the file, then the directory holding the rename
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b"\xff\xfe", b"{" * 5000])
def test_an_unreadable_file_is_set_aside_not_deleted(tmp_path, content):
    path = tmp_path / "bonds.json"
    path.write_bytes(content)
    with pytest.raises(CorruptFile):
        read_json_object(path)
    (aside,) = tmp_path.glob("bonds.json.corrupt-*")
    assert aside.read_bytes() == content and not path.exists()
