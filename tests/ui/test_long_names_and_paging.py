"""Names the catalog may hold that the protocol refuses must not take the screen down, and a
list paged faster than the engine answers asks for each page once."""

from __future__ import annotations

import pytest
from kivy.core.window import Window

from device.config import Config
from device.protocol.catalog_messages import MAX_QUERY_CHARS
from device.ui.app import DrivetimeApp
from device.ui.item_list import ItemList
from device.ui.presenters import Item
from device.ui.staging import mount, settle, unmount
from tests.ui.screen import showing


@pytest.fixture
def app(window, tmp_path):
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=tmp_path / "ui.json"))
    yield app
    unmount(app)
    Window.size = (800, 480)


def test_an_artist_name_longer_than_a_query_searches_by_its_beginning(app):
    app.show_screen("search")
    search = showing(app, "search")
    long_name = "Orchestra " * 40  # 400 characters of performers, as classical tags have
    search.choose(Item(long_name, "Artist", "search", f"artist:{long_name} "))
    settle()
    assert search.view_key == "results"  # searched, did not fall over
    for key in "abcdefghij" * 15:  # typing on past the limit
        search.typing = True
        search.press_key(key)
    assert len(search.query) == MAX_QUERY_CHARS


def test_playing_a_name_the_protocol_refuses_says_why(app):
    app.play_item(Item("x", "", "album", "A" * 5000))  # longer than any target may be
    settle()
    assert "target" in app.notice, app.notice  # the protocol's own words: what was too long


def test_paging_down_twice_before_the_engine_answers_asks_once(window):
    listing = ItemList(size=(700, 300), size_hint=(None, None))
    asked: list[int] = []
    listing.bind(on_need_more=lambda _list, offset: asked.append(offset))
    Window.add_widget(listing)
    try:
        settle()
        items = [Item(f"Room {n}", "", "room", f"http://x/{n}") for n in range(10)]
        listing.show(items, total=25)
        settle()
        for _ in range(6):  # taps faster than the engine answers, past what is here
            listing.page_down()
        assert asked == [10]  # the next page once, not once per tap
        shown = listing.first
        listing.extend([Item(f"Room {n}", "", "room", f"http://x/{n}") for n in range(10, 20)], 25)
        listing.page_down()  # the page arrived: paging goes on
        assert listing.first > shown
    finally:
        Window.remove_widget(listing)
