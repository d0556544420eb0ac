"""The Android build description asks for what the app needs (Bluetooth LE permissions for
Android 12+ and older, portrait, an API level with those permissions) and names an entry
point that exists. The APK itself is not built here: no Android SDK on this machine."""

from __future__ import annotations

import configparser
from pathlib import Path

import host.app

SPEC = Path(host.app.__file__).with_name("android") / "buildozer.spec"


def _app_section() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SPEC)
    return parser["app"]


def test_bluetooth_permissions_for_every_android_the_app_supports():
    app = _app_section()
    permissions = {p.strip() for p in app["android.permissions"].split(",")}
    assert {"BLUETOOTH_SCAN", "BLUETOOTH_CONNECT"} <= permissions  # Android 12+
    assert {"BLUETOOTH", "BLUETOOTH_ADMIN", "ACCESS_FINE_LOCATION"} <= permissions  # before 12
    assert "INTERNET" in permissions  # the relay fetches the room
    assert int(app["android.api"]) >= 31  # where BLUETOOTH_SCAN/CONNECT exist
    assert int(app["android.minapi"]) <= 26


def test_the_build_is_the_phone_app():
    app = _app_section()
    assert app["orientation"] == "portrait"
    requirements = {r.split("==")[0] for r in app["requirements"].split(",")}
    assert {"python3", "kivy", "bleak", "pyjnius"} <= requirements
    assert "bumble" not in requirements  # the platform's Bluetooth on a phone
    pins = dict(r.split("==") for r in app["requirements"].split(",") if "==" in r)
    project = Path(host.app.__file__).parents[2] / "pyproject.toml"
    for name, version in pins.items():  # the same versions the project tests with
        assert f'"{name}=={version}"' in project.read_text()
    entry = SPEC.with_name("main.py").read_text()
    assert "from host.app.__main__ import main" in entry
