"""The unit this phone paired with: its address (to connect without a scan) and the name the
driver gave it. One small JSON file, replaced whole; unreadable means "no unit yet"."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class RememberedUnit:
    address: str
    name: str = ""


def default_memory_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "drivetime-host" / "unit.json"


def load_unit(path: Path) -> RememberedUnit | None:
    try:
        data = json.loads(path.read_text())
        return RememberedUnit(str(data["address"]), str(data.get("name", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_unit(path: Path, unit: RememberedUnit | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(asdict(unit) if unit else {}))
    os.replace(temporary, path)
