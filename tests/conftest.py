"""Session-wide fixtures: a real Icecast on loopback and live room sources feeding it."""

import pytest

from tests.support.icecast_fixture import icecast, room_source  # noqa: F401


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory, monkeypatch):
    """Engines started by tests (in process or as subprocesses) keep their catalog here,
    never in the developer's ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def engines(tmp_path):
    """``engines(**config_sections)``: a thread ready to run a real engine ("null" output),
    for screens (the touchscreen's, the phone's) that reach it over a socket or the radio."""
    from tests.ui.engine_thread import EngineThread

    runners: list[EngineThread] = []

    def make(**sections: dict) -> EngineThread:
        runners.append(EngineThread(tmp_path, **sections))
        return runners[-1]

    yield make
    for runner in runners:
        runner.close()
