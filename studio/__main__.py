"""Command line: ``python -m studio serve | demo | source | write``.

* ``serve [--port N] [--rooms N] [--json]`` — a private Icecast with the demo rooms live on
  it; prints the room URLs (``--json``: one JSON line with each room's URL, name and pilot
  signature Hz, for the test rig) and runs until Ctrl-C (or SIGTERM).
* ``demo`` — the same, plus the unit (engine + ``ctl watch``) playing the first room.
* ``source MOUNT_URL [--password P] [--room R]`` — feed one mount of any Icecast.
* ``write PATH [--seconds S] [--room R]`` — render a room's programme to a chained .opus file.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from studio.chain import write_file
from studio.demo import demo_seconds, run_unit
from studio.icecast import DEFAULT_BURST_SIZE_BYTES, DEFAULT_SOURCE_PASSWORD, Icecast, IcecastError
from studio.room_source import RoomSource, RoomSourceError
from studio.rooms import DEMO_ROOMS, RoomSpec


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # SIGTERM (make, systemd, a test harness) stops as cleanly as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return args.command(args)
    except KeyboardInterrupt:
        return 0
    except (IcecastError, RoomSourceError, OSError, ValueError) as exc:
        print(f"studio: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def demo(args: argparse.Namespace) -> int:
    args.unit = True
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    rooms = DEMO_ROOMS[: args.rooms]
    with Icecast(
        args.port, source_password=args.password, burst_size_bytes=args.burst_size
    ) as server:
        sources = [_source(server.mount_url(room.mount), args, room) for room in rooms]
        try:
            for source in sources:
                source.start()
            server.wait_for_mounts(*(room.mount for room in rooms))
            if getattr(args, "json", False):
                print(json.dumps(_listing(server, rooms)), flush=True)
            else:
                print(f"Icecast {server.base_url}  (directory: {server.base_url}/status-json.xsl)")
                for room in rooms:
                    print(f"  {server.mount_url(room.mount):48}  {room.name} · {room.genre}")
                print("Ctrl-C to stop.", flush=True)
            if getattr(args, "unit", False):
                first = server.mount_url(rooms[0].mount)
                print(f"Starting the unit on {first}", flush=True)
                return run_unit(first, demo_seconds())
            _wait_for_failure(sources)
            return 1
        finally:
            for source in sources:
                source.stop()


def source(args: argparse.Namespace) -> int:
    room = _room(args.room)
    print(f"Feeding {args.mount_url} with {room.name!r}; Ctrl-C to stop.", flush=True)
    _source(args.mount_url, args, room).run()
    return 0


def write(args: argparse.Namespace) -> int:
    links = write_file(args.path, _room(args.room), args.seconds, song_s=args.song_s)
    print(f"Wrote {args.seconds} s in {len(links)} links to {args.path}")
    return 0


def _source(url: str, args: argparse.Namespace, room: RoomSpec) -> RoomSource:
    return RoomSource(url, args.password, room, bitrate=args.bitrate, song_s=args.song_s)


def _listing(server: Icecast, rooms: Sequence[RoomSpec]) -> dict[str, object]:
    """What a program driving the studio needs: where each room is and how it sounds."""
    return {
        "icecast": server.base_url,
        "rooms": [
            {"url": server.mount_url(r.mount), "name": r.name, "signature_hz": r.signature_hz}
            for r in rooms
        ],
    }


def _wait_for_failure(sources: list[RoomSource]) -> None:
    """Block until a source stops on its own (an error); Ctrl-C ends the wait first."""
    idle = threading.Event()
    while all(source.running for source in sources):
        idle.wait(0.5)
    for failed in (s for s in sources if not s.running):
        print(f"studio: source {failed.mount_url} stopped: {failed.error}", file=sys.stderr)


def _room(key: str) -> RoomSpec:
    """A demo room by 1-based number or by mount (with or without the leading slash)."""
    if key.isdigit() and 1 <= int(key) <= len(DEMO_ROOMS):
        return DEMO_ROOMS[int(key) - 1]
    for room in DEMO_ROOMS:
        if room.mount.lstrip("/") in (key.lstrip("/"), key.lstrip("/") + ".opus"):
            return room
    choices = ", ".join(room.mount for room in DEMO_ROOMS)
    raise ValueError(f"no demo room {key!r}: give 1..{len(DEMO_ROOMS)} or one of {choices}")


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(
        name: str, handler: object, help_text: str, aliases: Sequence[str] = ()
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, aliases=aliases, help=help_text, description=help_text)
        sub.set_defaults(command=handler)
        sub.add_argument("--song-s", type=float, default=8.0, help="song length (default 8)")
        return sub

    serve_cmd = add("serve", serve, "Icecast on 127.0.0.1 with the demo rooms live on it")
    serve_cmd.add_argument(
        "--json", action="store_true", help="list the rooms as one JSON line (URL, signature Hz)"
    )
    demo_cmd = add("demo", demo, "the demo rooms live, and the unit playing the first one")
    for sub in (serve_cmd, demo_cmd):
        sub.add_argument("--port", type=int, default=8000, help="0 picks a free port")
        sub.add_argument(
            "--rooms", type=int, default=len(DEMO_ROOMS), choices=range(1, len(DEMO_ROOMS) + 1)
        )
        sub.add_argument(
            "--burst-size",
            type=int,
            default=DEFAULT_BURST_SIZE_BYTES,
            help="bytes of recent audio a new listener gets at once (0: start at the live edge)",
        )
    source_cmd = add("source", source, "feed one Icecast mount with a demo room, in real time")
    source_cmd.add_argument("mount_url", help="http://host:port/mount")
    source_cmd.add_argument("--room", default="1", help="demo room number or mount")
    write_cmd = add("write", write, "render a demo room's programme to a chained .opus file")
    write_cmd.add_argument("path")
    write_cmd.add_argument("--seconds", type=float, default=30.0)
    write_cmd.add_argument("--room", default="1", help="demo room number or mount")
    for sub in (serve_cmd, demo_cmd, source_cmd):
        sub.add_argument(
            "--password", default=DEFAULT_SOURCE_PASSWORD, help="Icecast source password"
        )
        sub.add_argument("--bitrate", type=int, default=96_000)
    return parser


if __name__ == "__main__":
    sys.exit(main())
