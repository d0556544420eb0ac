"""The driver's own state: favorites, the four presets, what was played, where to resume.

These are the writes a power cut must never lose: each public Catalog method that calls one
of these commits before it returns. Writers run inside the caller's transaction.
"""

from __future__ import annotations

import json
import math
import sqlite3

from device.catalog import index
from device.catalog.records import Preset, ResumeState

__all__ = [
    "clear_preset",
    "load_resume",
    "note_played",
    "presets",
    "save_resume",
    "set_favorite",
    "set_preset",
]

_RESUME_KEY = "resume"


def _check_target(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    return value


def _check_time(at: object) -> float:
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise ValueError(f"time must be finite seconds, not {at!r}")
    return float(at)


def set_favorite(conn: sqlite3.Connection, url: str, favorite: bool, at: float) -> None:
    """Follow (or stop following) the room at ``url``; it need not be in any directory."""
    _check_target("url", url)
    if not isinstance(favorite, bool):
        raise TypeError(f"favorite must be a bool, not {favorite!r}")
    if favorite:
        conn.execute(
            "INSERT OR IGNORE INTO favorites(url, added_at) VALUES (?, ?)", (url, _check_time(at))
        )
    else:
        conn.execute("DELETE FROM favorites WHERE url = ?", (url,))
    room = conn.execute("SELECT id FROM rooms WHERE url = ?", (url,)).fetchone()
    if room is not None:  # favorites rank higher: the room's search key changes
        index.index_room(conn, room[0], text_changed=False)


def set_preset(conn: sqlite3.Connection, preset: Preset) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO presets(slot, kind, target, label) VALUES (?, ?, ?, ?)",
        (preset.slot, preset.kind, preset.target, preset.label),
    )


def clear_preset(conn: sqlite3.Connection, slot: int) -> None:
    if isinstance(slot, bool) or slot not in range(1, 5):
        raise ValueError(f"preset slot must be 1..4, got {slot!r}")
    conn.execute("DELETE FROM presets WHERE slot = ?", (slot,))


def presets(conn: sqlite3.Connection) -> list[Preset | None]:
    """Slots 1..4 in order; None for an empty slot."""
    slots: list[Preset | None] = [None] * 4
    for slot, kind, target, label in conn.execute("SELECT slot, kind, target, label FROM presets"):
        slots[slot - 1] = Preset(slot, kind, target, label)
    return slots


def note_played(conn: sqlite3.Connection, target: str, at: float) -> None:
    """Remember that ``target`` (a room URL or a track path) was played at ``at``."""
    conn.execute(
        "INSERT INTO played(target, at) VALUES (?, ?)"
        " ON CONFLICT(target) DO UPDATE SET at = excluded.at",
        (_check_target("target", target), _check_time(at)),
    )


def save_resume(conn: sqlite3.Connection, state: ResumeState) -> None:
    if not isinstance(state, ResumeState):
        raise TypeError(f"expected a ResumeState, not {type(state).__name__}")
    value = json.dumps(
        {
            "source_kind": state.source_kind,
            "target": state.target,
            "position_s": state.position_s,
            "mode": state.mode,
            "volume": state.volume,
        }
    )
    conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (_RESUME_KEY, value))


def load_resume(conn: sqlite3.Connection) -> ResumeState | None:
    """The saved state, or None if there is none or it no longer makes sense."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_RESUME_KEY,)).fetchone()
    if row is None:
        return None
    try:
        return ResumeState(**json.loads(row[0]))
    except (TypeError, ValueError):  # written by other software, or hand-edited: start idle
        return None
