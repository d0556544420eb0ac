"""The import direction of docs/architecture.md, checked on every test run.

Layering is checked by import-linter (contracts in pyproject.toml); this file runs it and
adds what import-linter cannot say: each outside library that touches hardware or the OS is
imported in its one adapter module only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("device", "host", "hw", "studio")

# library → the places allowed to import it (path prefixes relative to the repository)
ADAPTERS = {
    "pyaudio": ("device/audio/outputs/pyaudio_output.py",),
    "opuslib": ("device/audio/opus_codec.py",),
    "kivy": ("device/ui/", "host/app/"),
    "bumble": ("device/frontends/link/", "host/bumble_backend/", "tests/"),
    "bleak": ("host/",),
    "serial": ("hw/panel/serial_link.py", "tests/"),
    "mutagen": ("device/sources/library/tags.py", "tests/"),
    "miniaudio": ("device/audio/music_decoder.py", "device/audio/mp3_stream.py", "tests/"),
}


def imported_top_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def adapter_violations(files: dict[str, str]) -> list[str]:
    """``files`` maps a repository-relative path to its source; returns one line per breach."""
    found = []
    for path, source in sorted(files.items()):
        for library in imported_top_modules(source) & ADAPTERS.keys():
            if not path.startswith(ADAPTERS[library]):
                found.append(f"{path} imports {library} (allowed only in {ADAPTERS[library]})")
    return found


def project_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }


def test_outside_libraries_are_imported_only_in_their_adapters():
    assert adapter_violations(project_sources()) == []


def test_the_adapter_check_catches_a_stray_import():
    stray = {"device/core/player.py": "import os\nfrom pyaudio import PyAudio\n"}
    assert adapter_violations(stray) == [
        "device/core/player.py imports pyaudio "
        "(allowed only in ('device/audio/outputs/pyaudio_output.py',))"
    ]


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.fail("lint-imports is missing: install the dev extra (make test does)")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Loaded by an engine that only plays a room, they would cost start-up CPU at every ignition
# (docs/performance.md): the other message families and the codec's tables, the TOML parser
# without a config file, and ctypes.util, whose library lookup runs ``ldconfig -p``.
NOT_NEEDED_TO_PLAY = (
    "device.protocol.registry",
    "device.protocol.link_messages",
    "device.protocol.catalog_messages",
    "device.protocol.panel_messages",
    "ctypes.util",
    "tomllib",
    "difflib",
)


def test_playing_a_room_loads_only_what_playing_needs():
    probe = "import sys, device.cli.unit, device.cli.play; print(' '.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert "device.core.player" in loaded  # the probe did load the play path
    assert sorted(loaded.intersection(NOT_NEEDED_TO_PLAY)) == []
