"""Session-wide fixtures: a real Icecast on loopback and live room sources feeding it."""

import pytest

from tests.support.icecast_fixture import icecast, room_source  # noqa: F401


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory, monkeypatch):
    """Engines started by tests (in process or as subprocesses) keep their catalog here,
    never in the developer's ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
