"""One stream of events for every remote: the player's and the unit's own.

The control socket's watchers (the touchscreen, ``ctl watch``) and the Bluetooth link's
subscribed phones all see the same events, in the same order: the player's state,
now-playing and stats turned into protocol events here, once, and the unit's own events
(the pairing prompt, the car's moving state) published alongside. A subscriber is a
callable that MUST NOT block: each remote queues and sends at its own pace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from device.core.car_state import CarState
from device.core.listener import NowPlayingInfo, PlayerListener, PlayerSnapshot, PlayoutStats
from device.core.player import Player
from device.frontends.events import now_playing_event, state_event, stats_event
from device.protocol import Car, Event

log = logging.getLogger(__name__)
Subscriber = Callable[[Event], None]


class EventHub(PlayerListener):
    def __init__(self, player: Player, car: CarState | None = None) -> None:
        self._player = player
        self._car = car if car is not None else CarState()
        self._subscribers: list[Subscriber] = []
        self._kept: dict[str, Event] = {}  # the newest of each kept kind, for new screens
        player.add_listener(self)
        self._car.on_change(lambda driving: self.publish(Car(driving=driving)))

    def subscribe(self, subscriber: Subscriber, *, replay: bool = False) -> Callable[[], None]:
        """Add ``subscriber``; with ``replay``, it first gets the player's state, whether the
        car is moving and what is playing, as a new screen needs. Returns the function that
        unsubscribes it."""
        self._subscribers.append(subscriber)
        if replay:
            subscriber(state_event(self._player.snapshot()))
            subscriber(Car(driving=self._car.driving))
            if self._player.now_playing is not None:
                subscriber(_song_event(self._player.now_playing))
            for event in list(self._kept.values()):
                subscriber(event)
        return lambda: (
            self._subscribers.remove(subscriber) if subscriber in self._subscribers else None
        )

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # one broken remote must not silence the others
                log.exception("event subscriber %r failed", subscriber)

    def publish_kept(self, event: Event) -> None:
        """Publish ``event`` and replay it to every later subscriber until the next of its
        kind (the ambient light, the ignition-off countdown)."""
        self._kept[event.name] = event
        self.publish(event)

    def close(self) -> None:
        self._player.remove_listener(self)
        self._subscribers.clear()

    # --- player listener ------------------------------------------------------------------

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        self.publish(state_event(snapshot))

    def on_now_playing_info(self, song: NowPlayingInfo) -> None:
        self.publish(_song_event(song))

    def on_stats(self, stats: PlayoutStats) -> None:
        self.publish(stats_event(stats))


def _song_event(song: NowPlayingInfo) -> Event:
    return now_playing_event(song.artist, song.title, song.album, song.host, song.art)
