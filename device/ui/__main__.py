"""``python -m device.ui [--config FILE] [--screenshots DIR]``: the touchscreen, against the
running engine (``drivetime-unit run`` starts both).

With no display to open a window on (no ``DISPLAY`` or ``WAYLAND_DISPLAY``, and no
``SDL_VIDEODRIVER`` chosen) it renders offscreen, as on a headless demo machine;
``--screenshots DIR`` then shows what the screen shows: ``DIR/now.png``, replaced every
``SCREENSHOT_INTERVAL_S`` seconds (in a window too).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from device.startup import pause_collector, resume_collector

if TYPE_CHECKING:  # importing it here would load Kivy before the environment is set
    from device.ui.app import DrivetimeApp

STARTED = time.monotonic()
SCREENSHOT_INTERVAL_S = 2.0

log = logging.getLogger("drivetime.ui")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m device.ui", description=__doc__)
    parser.add_argument("--config", help="TOML config file (default: $DRIVETIME_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--screenshots", metavar="DIR", type=Path, help="save the screen to DIR/now.png every 2 s"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from device.config import ConfigError, load_config

    try:
        config = load_config(args.config or os.environ.get("DRIVETIME_CONFIG"))
    except ConfigError as exc:
        print(f"drivetime-ui: {exc}", file=sys.stderr)
        return 2
    _prepare_kivy(os.environ)  # before Kivy loads
    from kivy.clock import Clock
    from kivy.core.window import Window

    from device.ui.app import DrivetimeApp

    app = DrivetimeApp(config)

    def first_frame(*_args: object) -> None:
        Window.unbind(on_flip=first_frame)
        resume_collector()  # the screens are built
        log.info("first frame %.0f ms after start", (time.monotonic() - STARTED) * 1000)

    Window.bind(on_flip=first_frame)
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
        path = args.screenshots / "now.png"
        Clock.schedule_interval(lambda _dt: save_screenshot(app, path), SCREENSHOT_INTERVAL_S)
        log.info("saving the screen to %s every %.0f s", path, SCREENSHOT_INTERVAL_S)
    # SIGTERM (the supervisor, systemd) closes the App on its own clock, as closing the
    # window would, rather than ending the process in the middle of a frame.
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))
    app.run()
    return 0


def wants_offscreen(environ: Mapping[str, str]) -> bool:
    """No screen to open a window on, and nobody has chosen SDL's video driver."""
    return not any(environ.get(key) for key in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))


def _prepare_kivy(environ: Mapping[str, str]) -> None:
    from device.ui.staging import use_kivy_environment, use_offscreen

    if not wants_offscreen(environ):
        use_kivy_environment()
        return
    # One Kivy home per user, not a new temp dir at each restart by the supervisor.
    use_offscreen(str(Path(tempfile.gettempdir()) / f"drivetime-kivy-{os.getuid()}"))
    log.info("no display: rendering offscreen")


def save_screenshot(app: DrivetimeApp, path: Path) -> None:
    """Write what the screen shows (the pairing dialog covers all of it while open) to
    ``path``, replacing it in one step so a viewer never reads half a PNG."""
    shown = app.pairing_dialog or app.root
    if shown is None:  # not built yet
        return
    partial = path.with_name(f".{path.stem}.partial.png")  # Kivy picks the format by suffix
    try:
        shown.export_to_png(str(partial))
        os.replace(partial, path)
    except OSError as exc:  # a full or read-only disk must not take the screen down
        log.warning("cannot save the screen to %s: %s", path, exc.strerror or exc)


def run() -> int:
    """``drivetime-ui``: ``main`` with the garbage collector paused until the first frame."""
    pause_collector()
    return main()


if __name__ == "__main__":
    sys.exit(run())
