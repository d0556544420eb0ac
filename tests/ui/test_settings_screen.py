"""Settings: the driver's theme and language choices take effect at once, survive a restart
(and a power cut: the file is written whole or not at all), and a broken file never keeps
the screen from starting."""

from __future__ import annotations

import gettext
import json

from device.config import Config
from device.ui.app import DrivetimeApp
from device.ui.i18n import DOMAIN, LOCALE_DIR, tr
from device.ui.settings_store import UiSettings, load_settings
from device.ui.staging import mount, unmount
from device.ui.theme import DAY, NIGHT
from tests.ui.screen import showing, tap, task, wait_until

ROOMS_IN_ITALIAN = gettext.translation(DOMAIN, LOCALE_DIR, languages=["it"]).gettext("Rooms")


def _open_settings(app: DrivetimeApp):
    tap(app.root.ids.nav_more)
    tap(showing(app, "more").ids.open_settings)
    return showing(app, "settings")


def test_night_and_italian_are_chosen_in_three_taps_and_kept(window, tmp_path):
    path = tmp_path / "ui.json"
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=path))
    assert ROOMS_IN_ITALIAN != "Rooms"
    try:
        with task("switch to night"):
            settings = _open_settings(app)
            tap(settings.ids.theme_night)
            wait_until(lambda: app.theme is NIGHT, "the night colours")
        assert settings.ids.theme_night.accent and not settings.ids.theme_auto.accent
        assert app.root.bg_color == list(NIGHT.background)  # drawn, not only chosen

        tap(settings.ids.language_it)
        wait_until(
            lambda: app.root.ids.nav_rooms.text == ROOMS_IN_ITALIAN, "the nav bar in Italian"
        )
        assert settings.ids.output_label.text.startswith("Audio:")  # re-rendered, translated
        assert load_settings(path) == UiSettings(theme="night", language="it")
    finally:
        unmount(app)

    restarted = mount(DrivetimeApp(Config(), connect=False, settings_path=path))
    try:
        assert restarted.theme is NIGHT
        assert restarted.language == "it"
        assert restarted.root.ids.nav_rooms.text == ROOMS_IN_ITALIAN
        restarted.choose_language("en")
        restarted.choose_theme("day")
        assert restarted.root.ids.nav_rooms.text == "Rooms"
        assert restarted.theme is DAY
    finally:
        unmount(restarted)
        tr.switch("en")


def test_a_broken_settings_file_is_set_aside_and_the_defaults_apply(window, tmp_path):
    path = tmp_path / "ui.json"
    path.write_bytes(b'{"theme": "night", "lang')  # cut off by a power cut mid-write (old unit)
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=path))
    try:
        assert app.theme_choice == "auto"
        assert not path.exists()  # set aside for inspection, not deleted
        assert [p.name.startswith("ui.json.corrupt-") for p in tmp_path.iterdir()] == [True]
        app.choose_theme("night")
        assert json.loads(path.read_text()) == {"language": app.language, "theme": "night"}
    finally:
        unmount(app)


def test_unknown_values_fall_back_to_the_defaults(window, tmp_path):
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"theme": "purple", "language": "tlh", "future": 1}))
    assert load_settings(path) == UiSettings()


def test_the_driver_moves_the_audio_to_another_output_from_settings(
    ui, engines, tmp_path, monkeypatch
):
    from device.ui.screens.settings import output_label
    from tests.audio.conftest_outputs import ALSA_FILE_CONF, CAPTURE_ENV

    monkeypatch.setenv("ALSA_CONFIG_PATH", str(ALSA_FILE_CONF))  # PortAudio without a card
    monkeypatch.setenv(CAPTURE_ENV, str(tmp_path / "heard.raw"))
    runner = engines(audio={"output": "auto"})
    engine = runner.start()
    assert engine.output.spec == "pyaudio"  # the default device
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")
    settings = _open_settings(app)
    wait_until(lambda: settings.outputs != [], "the engine's outputs on screen")
    ids = settings.ids
    assert ids.output_1.text == "Default" and ids.output_1.accent  # the one in use, first
    labels = [ids.output_2.text, ids.output_3.text]
    target = ids.output_2 if labels[0] != "Silent" else ids.output_3
    chosen = settings.outputs[[ids.output_1, ids.output_2, ids.output_3].index(target)][0]
    tap(target)
    wait_until(lambda: engine.output.spec == chosen, "the engine plays there now", 10)
    wait_until(lambda: settings.current_output == chosen and ids.output_1.accent, "shown")
    assert ids.output_1.text == output_label(chosen)  # now the one in use comes first
