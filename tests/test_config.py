from __future__ import annotations

import pytest

from device.config import Config, ConfigError, config_from_dict, load_config


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
