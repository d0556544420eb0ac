from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import device.config
from device.audio.outputs import open_output
from device.config import _RANGES, Config, ConfigError, config_from_dict, load_config
from device.core.player_setup import build_player


def test_no_file_means_defaults():
    assert load_config(None) == Config()
    assert Config().audio.volume == 50
    assert Config().road.target_ms == 30_000


def test_a_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "unit.toml"
    path.write_text('[audio]\noutput = "null"\nmode = "road"\n[network]\nstall_timeout_s = 2\n')
    config = load_config(path)
    assert config.audio.output == "null"
    assert config.audio.mode == "road"
    assert config.network.stall_timeout_s == 2.0
    assert config.audio.volume == Config().audio.volume


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"audio": {"volum": 3}}, "unknown key audio.volum (did you mean audio.volume?)"),
        ({"audoi": {}}, "unknown section [audoi] (did you mean audio?)"),
        ({"audio": {"volume": 300}}, "audio.volume must be between 0 and 100, got 300"),
        ({"audio": {"volume": "loud"}}, "audio.volume must be int, got str 'loud'"),
        ({"audio": {"volume": True}}, "audio.volume must be int, got bool True"),
        ({"audio": {"mode": "turbo"}}, "audio.mode must be one of live, road"),
        ({"road": {"grow": 1}}, "road.grow must be bool"),
        ({"audio": 5}, "[audio] must be a table"),
    ],
)
def test_bad_config_names_the_key(data, message):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    assert message in str(caught.value)


def test_broken_toml_and_missing_file_are_clear(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[audio\nvolume = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"live": {"start_ms": 500, "target_ms": 120}},
            "live.start_ms (500) must not exceed live.target_ms (120)",
        ),
        (
            {"live": {"start_ms": 500}},
            "live.start_ms (500) must not exceed live.target_ms (120, the default)",
        ),
        (
            {"road": {"target_ms": 1000, "start_ms": 5000}},
            "road.start_ms (5000) must not exceed road.target_ms (1000)",
        ),
        (
            {"network": {"backoff_initial_s": 20}},
            "network.backoff_initial_s (20) must not exceed network.backoff_max_s (4, the default)",
        ),
        (
            {"network": {"backoff_initial_s": 2.5, "backoff_max_s": 1}},
            "network.backoff_initial_s (2.5) must not exceed network.backoff_max_s (1)",
        ),
    ],
)
def test_keys_that_contradict_each_other_are_refused_naming_both(data, message):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data, source="unit.toml")
    assert str(caught.value) == f"unit.toml: {message}"


def test_equal_start_and_target_are_allowed():
    config = config_from_dict(
        {"live": {"start_ms": 200, "target_ms": 200}, "network": {"backoff_max_s": 0.25}}
    )
    assert config.live.start_ms == config.live.target_ms == 200


def _config_values(ranged):
    """Hypothesis: every key that has a range, drawn anywhere inside it (edges included)."""
    return st.fixed_dictionaries(
        {section: st.fixed_dictionaries(keys) for section, keys in ranged.items()}
    )


def _in_range(low, high):
    if isinstance(low, int) and isinstance(high, int):
        return st.integers(low, high) | st.sampled_from((low, high))
    return st.floats(low, high) | st.sampled_from((float(low), float(high)))


RANGED = {}
for _full, (_low, _high) in _RANGES.items():
    _section, _key = _full.split(".")
    if _section in ("live", "road", "network"):
        RANGED.setdefault(_section, {})[_key] = _in_range(_low, _high)


@settings(max_examples=300, deadline=None)
@given(_config_values(RANGED))
def test_a_config_that_loads_builds_a_player(data):
    """Whatever the playout policies or the room client would refuse, the config refuses
    first: an engine never crashes on a config that loaded."""
    try:
        config = config_from_dict(data)
    except ConfigError:
        return
    build_player(config, open_output("null"))  # raises on anything they refuse


def test_a_file_that_is_not_utf8_is_refused_with_the_place(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[audio]\noutput = "pyaudio:Café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"config file {path} is not UTF-8 text (byte 0xe9 on line 2)"


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"config file {tmp_path} is a directory, not a file"


def test_an_unreadable_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "secret.toml"
    path.write_text("[audio]\nvolume = 10\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: make open() answer as for a user
        monkeypatch.setattr(device.config, "open", _denied, raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"config file {path} cannot be read: permission denied"


def _denied(path, *args, **kwargs):
    raise PermissionError(13, "Permission denied", str(path))
