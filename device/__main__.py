"""``drivetime-unit`` and ``python -m device``: the program is ``device.cli.unit``, loaded with
the garbage collector paused (``device.startup``)."""

import sys

from device.startup import pause_collector


def run() -> int:
    pause_collector()
    from device.cli.unit import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
