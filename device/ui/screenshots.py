"""``python -m device.ui.screenshots OUTDIR``: every view, both themes, three sizes, as PNGs.

Writes ``OUTDIR/<view>-<theme>-<width>x<height>.png`` rendered offscreen from the real
widgets (``export_to_png`` draws into a framebuffer, so it never catches a stale frame),
with a sample engine state fed through the App's own event path. No engine is needed.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from device.ui.staging import SIZES, VIEWS, use_offscreen


def render_all(outdir: Path) -> list[Path]:
    from device.config import Config
    from device.ui.app import DrivetimeApp
    from device.ui.sample import (
        SAMPLE_EVENTS,
        SAMPLE_LISTS,
        SAMPLE_PAIRING,
        SAMPLE_PRESETS,
        SAMPLE_ROOM_NAMES,
        write_sample_cover,
    )
    from device.ui.staging import mount, settle, stage, unmount
    from device.ui.theme import THEMES

    outdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="drivetime-screenshots-"))
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=scratch / "ui.json"))
    app.learn_room_names(SAMPLE_ROOM_NAMES)
    for event in SAMPLE_EVENTS:
        app.receive_event(event)
    settle()
    app.art_path = str(write_sample_cover(scratch / "cover.png"))  # as the engine's art cache
    app.presets = list(SAMPLE_PRESETS)
    written = []
    try:
        for view in VIEWS:
            for theme in THEMES:
                for width, height in SIZES:
                    widget = stage(app, view, theme, (width, height), SAMPLE_PAIRING, SAMPLE_LISTS)
                    path = outdir / f"{view}-{theme}-{width}x{height}.png"
                    widget.export_to_png(str(path))
                    written.append(path)
    finally:
        unmount(app)
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m device.ui.screenshots", description=__doc__)
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    use_offscreen()
    for path in render_all(args.outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
