"""``drivetime-unit``: run the unit (engine and touchscreen, supervised) or the engine alone,
control a running engine, or play a room or file directly."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

# Before numpy loads: the unit uses numpy only for element-wise work on 20 ms blocks, never
# BLAS, and OpenBLAS's default thread pool (one thread per core, started at import) cost
# 80 ms of CPU at every start on the 2-core VM. An explicit setting from outside still wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from device.config import Config, ConfigError, load_config
from device.startup import resume_collector


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(verbose=args.verbose, tracebacks=args.verbose or args.run is _engine)
    try:
        config = load_config(args.config or os.environ.get("DRIVETIME_CONFIG"))
    except ConfigError as exc:
        print(f"drivetime-unit: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(args.run(args, config))
    except KeyboardInterrupt:
        return 130


class _NoTracebackFormatter(logging.Formatter):
    """Log lines without the traceback: at a terminal the message says what failed, and
    ``-v`` shows the rest. The engine keeps tracebacks: its log is what a field report sends."""

    def formatException(self, ei: object) -> str:
        return ""


def _configure_logging(*, verbose: bool, tracebacks: bool) -> None:
    formatter_class = logging.Formatter if tracebacks else _NoTracebackFormatter
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_class("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drivetime-unit", description=__doc__)
    parser.add_argument("--config", help="TOML config file (default: $DRIVETIME_CONFIG)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, with tracebacks"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run the engine and the touchscreen UI, restarting either if it exits"
    )
    run.add_argument("--no-ui", action="store_true", help="the engine only (no screen)")
    run.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="the UI saves what it shows to DIR/now.png every 2 s (handy offscreen)",
    )
    run.set_defaults(run=_run)

    engine = commands.add_parser("engine", help="run the engine (audio, rooms, control socket)")
    engine.add_argument("--join", metavar="ROOM_URL", help="select this room at start")
    engine.set_defaults(run=_engine)

    ctl = commands.add_parser("ctl", help="send a command to a running engine")
    ctl.add_argument("--socket", help="control socket (default: from the config)")
    ctl.add_argument("words", nargs="+", metavar="COMMAND", help=CTL_HELP)
    ctl.set_defaults(run=_ctl)

    play = commands.add_parser("play", help="play a room URL or music file in this process")
    play.add_argument(
        "target", help="http://… room URL, or a .opus, .ogg, .flac, .mp3 or .wav file"
    )
    play.add_argument("--output", help="output spec: pyaudio[:name], file:PATH, null, auto")
    play.add_argument("--mode", choices=("live", "road"))
    play.add_argument(
        "--volume",
        type=_percent,
        help="0-100 (default: 100 into a file: output, else the configured volume)",
    )
    play.set_defaults(run=_play)
    return parser


def _percent(text: str) -> int:
    if not text.isdigit() or int(text) > 100:
        raise argparse.ArgumentTypeError(f"volume must be 0-100, got {text!r}")
    return int(text)


CTL_HELP = (
    "status | join URL | pause | resume | volume 0-100 | mode live|road | watch | "
    "search QUERY | rooms | browse live|tags|genres|favorites|recent|presets | "
    "favorite URL [on|off] | preset set N [KIND] TARGET | preset play N | preset clear N | "
    "library [artists | albums [ARTIST] | tracks ALBUM] | "
    "queue [track|album|artist|playlist TARGET [shuffle]] | next | previous | shuffle on|off | "
    "pair open|yes|no | phones | forget ADDRESS | driving on|off"
)


async def _run(args: argparse.Namespace, config: Config) -> int:
    from device.cli.supervise import run_supervisor

    resume_collector()

    return await run_supervisor(
        args.config,  # None: the children read $DRIVETIME_CONFIG from the inherited environment
        config.engine.socket_path,
        ui=not args.no_ui,
        screenshots=args.screenshots,
        verbose=args.verbose,
    )


async def _engine(args: argparse.Namespace, config: Config) -> int:
    from device.engine import EngineError, run_engine

    resume_collector()

    try:
        await run_engine(config, join=args.join)
    except EngineError as exc:
        print(f"drivetime-unit: {exc}", file=sys.stderr)
        return 2
    return 0


async def _ctl(args: argparse.Namespace, config: Config) -> int:
    from device.cli.ctl import run_ctl

    resume_collector()

    return await run_ctl(args.words, args.socket, config)


async def _play(args: argparse.Namespace, config: Config) -> int:
    from device.cli.play import run_play

    resume_collector()

    return await run_play(args.target, args.output, args.mode, args.volume, config)


if __name__ == "__main__":
    sys.exit(main())
