"""A pairing prompt from the engine opens the dialog with its six digits, and the driver's
answer reaches the engine's Bluetooth link as ``pair_confirm``."""

from __future__ import annotations

from dataclasses import dataclass, field

from device.protocol import Pairing
from tests.ui.screen import tap, wait_until


@dataclass
class RecordingLink:
    """Stands in for the Bluetooth link (there is no radio here): records what the
    touchscreen asked of it through the engine's command dispatcher."""

    answers: list[bool] = field(default_factory=list)

    def open_pairing_window(self) -> None:
        pass

    def confirm_pairing(self, accept: bool) -> None:
        self.answers.append(accept)

    def bonded_phones(self) -> list:
        return []

    async def forget(self, address: str) -> None:
        pass


def _engine_with_link(engines):
    runner = engines()
    engine = runner.start()
    link = RecordingLink()
    engine.services.link = link
    return runner, engine, link


def test_confirm_on_the_dialog_reaches_the_engine(ui, engines):
    runner, engine, link = _engine_with_link(engines)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")
    assert app.pairing_dialog is None

    prompt = Pairing(state="confirm", digits="123456", phone="Pixel 8")
    runner.call(engine.events.publish, prompt)  # as the link does when a phone pairs
    wait_until(lambda: app.pairing_dialog is not None, "the pairing dialog")
    dialog = app.pairing_dialog.ids
    assert dialog.digits_label.text.replace(" ", "") == "123456"
    assert dialog.question_label.text == "Pair with Pixel 8?"

    tap(dialog.confirm)
    wait_until(lambda: link.answers == [True], "pair_confirm accept=true at the engine")
    wait_until(lambda: app.pairing_dialog is None, "the dialog gone after the answer")


def test_reject_answers_no_and_a_closed_window_takes_the_dialog_away(ui, engines):
    runner, engine, link = _engine_with_link(engines)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    runner.call(engine.events.publish, Pairing(state="confirm", digits="000042"))
    wait_until(lambda: app.pairing_dialog is not None, "the pairing dialog")
    assert app.pairing_dialog.ids.digits_label.text == "000 042"  # zero-padded, grouped
    tap(app.pairing_dialog.ids.reject)
    wait_until(lambda: link.answers == [False], "pair_confirm accept=false at the engine")

    # The phone gave up: the window closes without an answer from the driver.
    runner.call(engine.events.publish, Pairing(state="confirm", digits="654321"))
    wait_until(lambda: app.pairing_dialog is not None, "the second prompt")
    runner.call(engine.events.publish, Pairing(state="closed"))
    wait_until(lambda: app.pairing_dialog is None, "the dialog gone with the window")
    assert link.answers == [False]
