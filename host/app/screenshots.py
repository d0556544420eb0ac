"""``python -m host.app.screenshots OUTDIR``: the phone app's screens as PNGs.

Writes ``OUTDIR/phone-<view>.png`` at 1080x2340 px (a 6.1" phone at 2.625 px per dp; the
pairing view is the digits dialog alone),
rendered offscreen from the real widgets with a sample car state set on the App; no radio
is needed. In tests the same views render at the window's size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

VIEWS = ("car", "pairing", "now", "search", "presets", "offline")
PHONE_PX = (1080, 2340)
DENSITY = 2.625


def _sample(app: Any) -> None:
    from host.app.items import grouped_results

    app.unit_name = "Family car"
    app.units_found = [("C0:98:E5:49:00:01", "Drivetime")]
    app.room = "http://rooms.example.net:8000/late-jazz.opus"
    app.room_name, app.song_title, app.song_artist = (
        "Late Jazz with Mara",
        "Night Bus",
        "The Blue Ring Trio",
    )
    app.player_state, app.volume, app.mode = "playing", 65, "live"
    app.presets = ["Late Jazz with Mara", "Morning Commute Café", "", "Lanterns"]
    app.results = grouped_results(
        {
            "live": {"items": [
                {"u": "http://x/late-jazz.opus", "n": "Late Jazz with Mara", "l": 42,
                 "a": "The Blue Ring Trio", "t": "Night Bus"},
                {"u": "http://x/folk.opus", "n": "Folk Roads", "l": 3},
            ]},
            "recent": {"items": [{"u": "http://x/commute.opus", "n": "Morning Commute Café"}]},
            "tracks": {"items": [{"p": "/media/usb0/a.flac", "t": "Night Bus",
                                  "a": "The Blue Ring Trio", "b": "Lanterns"}]},
        }
    )  # fmt: skip


def render_all(outdir: Path) -> list[Path]:
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.lang.parser import global_idmap

    from host.app.app import PhoneApp

    outdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="drivetime-phone-shots-"))
    EventLoop.ensure_window()
    object.__setattr__(global_idmap["app"], "_obj", None)
    app = PhoneApp(lambda: None, scratch / "unit.json", connect=False)  # type: ignore[arg-type]
    app.root = app.build()
    Window.add_widget(app.root)
    written = []
    try:
        for view in VIEWS:
            _sample(app)
            online = view != "offline"
            app.ready = online and view not in ("car", "pairing")
            app.link_state = "ready" if app.ready else ("not_paired" if online else "out_of_range")
            app.link_words = {
                "ready": "Connected",
                "not_paired": "Not paired yet: pair with the car",
                "out_of_range": "Your car is out of range: retrying by itself",
            }[app.link_state]
            app.current_screen = {"pairing": "car", "offline": "now"}.get(view, view)
            app.digits = "482 913" if view == "pairing" else ""
            for _ in range(4):
                Window.canvas.ask_update()
                EventLoop.idle()
            path = outdir / f"phone-{view}.png"
            # Drawn into a framebuffer of its own, so a window resized offscreen (whose
            # back buffer may keep its first size) cannot leave part of the picture black.
            shown = app.root.digits_dialog if view == "pairing" else app.root
            shown.export_to_png(str(path))
            written.append(path)
    finally:
        app.digits = ""
        for child in list(Window.children):
            Window.remove_widget(child)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host.app.screenshots", description=__doc__)
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("KIVY_METRICS_DENSITY", str(DENSITY))
    os.environ.setdefault("KCFG_GRAPHICS_WIDTH", str(PHONE_PX[0]))
    os.environ.setdefault("KCFG_GRAPHICS_HEIGHT", str(PHONE_PX[1]))
    from host.app.__main__ import kivy_environment

    kivy_environment(offscreen=True)
    from kivy.core.window import Window

    Window.size = PHONE_PX
    for path in render_all(args.outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
