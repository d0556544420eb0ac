"""Records refuse bad values on construction, naming the field."""

from __future__ import annotations

import math

import pytest

from device.catalog import Preset, ResumeState, RoomRecord, TrackRecord
from tests.catalog.factories import room, track


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"url": ""}, ValueError, "url"),
        ({"url": 5}, TypeError, "url"),
        ({"genres": "Jazz"}, TypeError, "genres"),
        ({"genres": ["Jazz"]}, TypeError, "genres"),
        ({"listeners": -1}, ValueError, "listeners"),
        ({"listeners": True}, TypeError, "listeners"),
        ({"bitrate_kbps": 0}, ValueError, "bitrate_kbps"),
        ({"public": 1}, TypeError, "public"),
        ({"source": " "}, ValueError, "source"),
    ],
)
def test_room_record_validation(changes: dict, error: type, field: str) -> None:
    values = {**room("a").__dict__, **changes}
    with pytest.raises(error, match=field):
        RoomRecord(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"path": ""}, "path"),
        ({"duration_s": -1.0}, "duration_s"),
        ({"duration_s": math.nan}, "duration_s"),
        ({"mtime_ns": -5}, "mtime_ns"),
        ({"size": 1.5}, "size"),
    ],
)
def test_track_record_validation(changes: dict, field: str) -> None:
    with pytest.raises((TypeError, ValueError), match=field):
        TrackRecord(**{**track("a.opus").__dict__, **changes})


def test_preset_and_resume_validation() -> None:
    with pytest.raises(ValueError, match=r"1\.\.4"):
        Preset(5, "room", "http://x/", "")
    with pytest.raises(ValueError, match="kind"):
        Preset(1, "station", "http://x/", "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target"):
        Preset(1, "room", "", "")
    good = {"source_kind": "room", "target": "http://x/", "position_s": 0.0, "mode": "live"}
    with pytest.raises(ValueError, match="volume"):
        ResumeState(**good, volume=101)
    with pytest.raises(ValueError, match="mode"):
        ResumeState(**{**good, "mode": "fast"}, volume=50)
    with pytest.raises(ValueError, match="position_s"):
        ResumeState(**{**good, "position_s": math.inf}, volume=50)
