"""The studio: the broadcast side a Drivetime unit listens to.

A private Icecast on loopback (:class:`Icecast`), live room sources that feed its mounts with
chained Ogg Opus in real time (:class:`RoomSource`), the synthesised programme they play
(:class:`Programme`: music and talk, with a pilot for checking captures, see
:mod:`studio.pilot`) and the demo line-up (:data:`DEMO_ROOMS`). Used by ``make demo``, the
end-to-end tests, the benchmarks and the hardware test rig; ``python -m studio --help``.
"""

from studio.chain import ChainEncoder, write_file
from studio.icecast import Icecast, IcecastError, MountSettings
from studio.program import Programme
from studio.room_source import MountBusyError, RoomSource, RoomSourceError, SourceAuthError
from studio.rooms import DEMO_ROOMS, RoomSpec, Song

__all__ = [
    "DEMO_ROOMS",
    "ChainEncoder",
    "Icecast",
    "IcecastError",
    "MountBusyError",
    "MountSettings",
    "Programme",
    "RoomSource",
    "RoomSourceError",
    "RoomSpec",
    "Song",
    "SourceAuthError",
    "write_file",
]
