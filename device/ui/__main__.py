"""``python -m device.ui [--config FILE]``: run the touchscreen against the running engine."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

STARTED = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m device.ui", description=__doc__)
    parser.add_argument("--config", help="TOML config file (default: $DRIVETIME_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
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
    from device.ui.staging import use_kivy_environment

    use_kivy_environment()  # before Kivy loads
    from kivy.core.window import Window

    from device.ui.app import DrivetimeApp

    def first_frame(*_args: object) -> None:
        Window.unbind(on_flip=first_frame)
        elapsed_ms = (time.monotonic() - STARTED) * 1000
        logging.getLogger("drivetime.ui").info("first frame %.0f ms after start", elapsed_ms)

    Window.bind(on_flip=first_frame)
    DrivetimeApp(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
