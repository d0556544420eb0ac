"""Session-wide fixtures: a real Icecast on loopback and live room sources feeding it."""

from tests.support.icecast_fixture import icecast, room_source  # noqa: F401
