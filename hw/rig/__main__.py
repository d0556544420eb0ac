"""``drivetime-rig``: test a Drivetime unit end to end from the outside, as its world.

    drivetime-rig local [--junit PATH] [--workdir DIR] [--steps boot,preset,...]
    drivetime-rig remote --panel /dev/ttyGS0 --audio-in hw:1 \\
        --unit-ctl "ssh unit drivetime-unit ctl" --power-on CMD --power-off CMD \\
        --powered-off CMD [--rooms-tunnel "ssh -N -R {port}:127.0.0.1:{port} unit"] ...

``local`` builds the whole world on this machine (the studio's rooms, a pty for the panel's
serial line, the unit's PortAudio output captured, the virtual radio for the phone) around
a unit it starts itself. ``remote`` is a second Pi wired to a real unit (docs/rig.md).
Prints a summary table; ``--junit`` also writes JUnit XML. Exit status: 0 every step
passed, 1 a step failed, 2 the world could not be set up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hw.rig.report import summary, write_junit
from hw.rig.rooms import RoomsError
from hw.rig.suite import STEPS, Step, run_suite
from hw.rig.world import (
    LocalOptions,
    RemoteOptions,
    UnitSettings,
    local_world,
    remote_world,
)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        steps = _steps(args.steps)
    except ValueError as exc:
        print(f"drivetime-rig: {exc}", file=sys.stderr)
        return 2
    settings = UnitSettings(args.volume_step, args.fade_s, args.shutdown_delay_s)
    with tempfile.TemporaryDirectory(prefix="drivetime-rig-") as scratch:
        workdir = args.workdir or Path(scratch)
        try:
            if args.where == "local":
                world = local_world(workdir, LocalOptions(settings=settings))
            else:
                world = remote_world(workdir, _remote_options(args, settings))
            with world as ready:
                results = run_suite(ready, steps)
        except (RoomsError, OSError) as exc:
            print(f"drivetime-rig: the world could not be set up: {exc}", file=sys.stderr)
            return 2
    print(summary(results), flush=True)
    if args.junit:
        write_junit(results, args.junit)
    if all(r.passed for r in results):
        return 0
    if not args.workdir:
        print("(--workdir DIR keeps the unit's and the studio's logs for a look)")
    return 1


def _steps(names: str) -> list[Step]:
    if not names:
        return STEPS
    by_name = {step.name: step for step in STEPS}
    unknown = [name for name in names.split(",") if name not in by_name]
    if unknown:
        raise ValueError(f"no step {', '.join(unknown)}; the steps are {', '.join(by_name)}")
    return [by_name[name] for name in names.split(",")]


def _remote_options(args: argparse.Namespace, settings: UnitSettings) -> RemoteOptions:
    return RemoteOptions(
        panel=args.panel,
        audio_in=args.audio_in,
        unit_ctl=args.unit_ctl,
        power_on=args.power_on,
        power_off=args.power_off,
        powered_off=args.powered_off,
        phone=args.phone,
        phone_transport=args.phone_transport,
        rooms_port=args.rooms_port,
        rooms_tunnel=args.rooms_tunnel,
        settings=settings,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drivetime-rig", description=__doc__.split("\n")[0])
    where = parser.add_subparsers(dest="where", required=True, metavar="WHERE")
    local = where.add_parser("local", help="the whole world and the unit on this machine")
    remote = where.add_parser("remote", help="a second Pi wired to a real unit (docs/rig.md)")
    for sub in (local, remote):
        sub.add_argument("--junit", type=Path, help="write JUnit XML here")
        sub.add_argument("--workdir", type=Path, help="keep logs and configs here")
        sub.add_argument("--steps", default="", help="comma-separated subset, in order")
        defaults = UnitSettings()
        # The unit's own config values the pass criteria use (local: written into it).
        sub.add_argument(
            "--volume-step", type=int, default=defaults.volume_step, help="panel.volume_step"
        )
        sub.add_argument("--fade-s", type=float, default=defaults.fade_s, help="power.fade_s")
        sub.add_argument(
            "--shutdown-delay-s",
            type=float,
            default=defaults.shutdown_delay_s,
            help="power.shutdown_delay_s",
        )
    remote.add_argument("--panel", required=True, help="serial port to the unit: /dev/ttyGS0")
    remote.add_argument("--audio-in", required=True, help="ALSA capture device: hw:1")
    remote.add_argument("--unit-ctl", required=True, help='"ssh unit drivetime-unit ctl"')
    remote.add_argument("--power-on", default="", help="switches the unit on (a relay)")
    remote.add_argument("--power-off", default="", help="switches the unit off")
    remote.add_argument("--powered-off", default="false", help="exit 0 once it shut down")
    remote.add_argument("--phone", default="drivetime-host", help="the phone's command")
    remote.add_argument("--phone-transport", default="", help='"" (BlueZ) or "usb:0"')
    remote.add_argument("--rooms-port", type=int, default=8000)
    remote.add_argument("--rooms-tunnel", default="", help="makes the rooms reachable")
    return parser


if __name__ == "__main__":
    sys.exit(main())
