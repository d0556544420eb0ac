"""Pairing a phone from the touchscreen, and forgetting it, over the virtual radio.

The engine runs its Bluetooth link on bumble's virtual radio; the phone is the host's
``DeviceClient`` with the real bleak API on the bumble backend, in a thread of its own (its
``pair`` waits for the driver, whose taps the test makes on the main thread). Nothing here
is a stand-in: the digits the phone is shown are the digits on the screen, and the bond the
driver forgets is gone from the engine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

from host.bumble_backend import BUMBLE_BACKENDS, close_stacks
from host.client import DeviceClient
from tests.ui.screen import showing, tap, task, tiles, wait_until


class PhoneThread:
    """A phone on its own asyncio loop: ``submit`` runs a coroutine there."""

    def __init__(self, state_dir: str, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="phone", daemon=True)
        self._thread.start()
        self.client = DeviceClient(
            **BUMBLE_BACKENDS, transport=f"tcp-client:127.0.0.1:{port}", state_dir=state_dir
        )

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def close(self) -> None:
        async def closing() -> None:
            await self.client.close()
            await close_stacks()

        self.submit(closing()).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


def test_the_driver_pairs_a_phone_from_the_screen_and_forgets_it(ui, engines, tmp_path):
    runner = engines(link={"transport": "virtual", "phone_port": 0})
    engine = runner.start()
    assert engine.link is not None, "the virtual radio did not start"
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    phone = PhoneThread(str(tmp_path / "phone"), engine.link.phone_port)
    shown_on_phone: list[int] = []

    async def phone_compares(digits: int) -> bool:
        shown_on_phone.append(digits)
        return True

    async def pair() -> bool:
        await phone.client.connect()
        await phone.client.pair(phone_compares)
        return phone.client.ready

    try:
        with task("pair a phone"):
            tap(app.root.ids.nav_more)
            tap(showing(app, "more").ids.open_bluetooth)
            bluetooth = showing(app, "bluetooth")
            wait_until(lambda: bluetooth.ids.listing.note == "No phone paired yet", "no phones")
            tap(bluetooth.ids.pair)
            wait_until(lambda: app.pairing_state == "open", "the pairing window open")
            assert bluetooth.ids.pairing_label.text.startswith("Pairing is open")

            paired = phone.submit(pair())
            wait_until(lambda: app.pairing_dialog is not None, "the digits to compare", 15)
            digits = app.pairing_dialog.ids.digits_label.text.replace(" ", "")
            tap(app.pairing_dialog.ids.confirm)
            assert paired.result(15) is True
        assert [f"{number:06d}" for number in shown_on_phone] == [digits]

        wait_until(lambda: len(tiles(bluetooth)) == 1, "the phone in the list")
        bonded = runner.call(engine.link.bonded_phones)
        assert len(bonded) == 1
        phone_tile = tiles(bluetooth)[0]
        assert phone_tile.subtitle == bonded[0].address

        tap(phone_tile)
        wait_until(lambda: bluetooth.forgetting is not None, "asked whether to forget it")
        assert bluetooth.ids.forget_question.text == f"Forget {phone_tile.title}?"
        tap(bluetooth.ids.keep)  # changed their mind: nothing happens
        wait_until(lambda: bluetooth.forgetting is None, "the question gone")
        assert len(runner.call(engine.link.bonded_phones)) == 1

        tap(app.root.ids.nav_now_playing)
        with task("forget a phone"):
            tap(app.root.ids.nav_more)
            tap(showing(app, "more").ids.open_bluetooth)
            wait_until(lambda: len(tiles(bluetooth)) == 1, "the phone listed")
            tap(tiles(showing(app, "bluetooth"))[0])
            wait_until(lambda: bluetooth.forgetting is not None, "asked again")
            tap(bluetooth.ids.forget)
            wait_until(lambda: runner.call(engine.link.bonded_phones) == [], "the bond gone")
        wait_until(lambda: bluetooth.ids.listing.note == "No phone paired yet", "list emptied")
    finally:
        phone.close()
