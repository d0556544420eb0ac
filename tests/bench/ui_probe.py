"""Child process of the ``ui`` benchmark (:mod:`tests.bench.ui`): the touchscreen timed frame
by frame against a real engine playing a real room. Prints one JSON object on stdout.

Usage: ``python -m tests.bench.ui_probe ROOM_URL WORKDIR [--taps N] [--events N]``

This process is laid out as the UI tests are (``tests/ui/conftest.py``): Kivy renders
offscreen (SDL's EGL driver on Mesa llvmpipe) in the main thread, at 800x480, and a real
engine (``null`` output: it plays in real time with no sound card) runs on a thread of its
own (``tests.ui.engine_thread``), reached by the App only through its control socket. The
engine joins ROOM_URL before the App is mounted.

**What a frame is here.** This process pumps ``EventLoop.idle()`` itself: the call that
``App.run()`` repeats for as long as the App runs (it also polls SDL's window events, which
offscreen has none of). Each call ticks Kivy's clock — which first sleeps until 1/maxfps
(60 fps) has passed since the previous tick, woken early only by a callback scheduled from
another thread (the ``interrupt`` clock the touchscreen sets) — then dispatches input, runs
the triggers queued for before the frame (the App's coalesced engine events, label
textures), and, if anything on the canvas changed, dispatches ``on_draw`` (the frame's GL
calls) and ``on_flip``. Handlers bound to them run before the window's own. A sample's
**frame** time is taken in ``on_flip``, before the swap, in the first frame whose drawing
includes the change (the button's fill ``Color`` instruction, the label's text): the frame
is complete on the CPU side and handed to GL. ``draw`` is that frame's ``on_draw`` →
``on_flip``.

Offscreen there is no GPU and no screen: Mesa's llvmpipe rasterises on this VM's two CPUs,
and the swap of SDL's offscreen (pbuffer) surface presents nothing. llvmpipe then
rasterises a frame only when something needs its pixels: a read-back, or a later frame
that changes a texture (a label's new text), whose ``on_draw`` waits for it — 60-90 ms on
this VM, even a second after that frame — while a frame that changes only colours (the
pressed button) does not wait. That is how the UI runs offscreen here, so the samples
start from that state: the baseline pixels are read in a redraw, then one more frame is
drawn and not read (:meth:`Frames.capture`). Under Xvfb, where every swap presents (and so
rasterises) its frame, that cost moves into each frame's swap instead.

So that every figure is backed by pixels, the frame found is then read back
(``glReadPixels``) in the same ``on_flip``, after its time is taken: it must show the
change (or the next frames are read until one does: ``frames_until_pixels`` counts them,
expected 0). The end of that read is the sample's **pixels** time: the frame rasterised on
the CPU, an upper bound where a unit has a GPU. Neither time includes vsync, scan-out or
the panel's response (up to one refresh, 16.7 ms at 60 Hz, plus the panel's).

Three series, after :data:`WARM_UP` unrecorded samples of each:

* **tap → pressed**: a finger goes down on the centre of the "+" (volume up) button; the
  frame is the first whose fill ``Color`` instruction has the theme's pressed colour, the
  pixels a point inside the button (clear of the glyph and the outline) in that colour.
* **tap → new volume**: the same finger lifts :data:`HOLD_FRAMES` loop turns later
  (``on_release`` sends ``Volume`` to the engine); the frame is the first in which the
  volume label's text is the new volume, the pixels the label's, differing from those
  before the tap. The engine applies the command and confirms it with a state event: the
  label never moves on the tap alone.
* **engine event → screen**: ``player.set_volume(v)`` is called on the engine's own loop (as
  the phone or the knob would change it), timed from just before that call; frame and
  pixels as for the tap. The **song changes** of the room (every 8 s) are timed alongside,
  from the engine's now-playing call (``Recorder.now_playing``) to the first frame whose
  headline text is the new title (frame time only: reads would change the other series'
  frames).

A finger (:class:`Finger`) is a touch provider as a touchscreen's is: the touch is queued
from another thread and Kivy takes it when its loop next reads input, after the clock's
sleep; a tap's time is when it was queued. Real taps and engine events come at any moment
of the frame period, so each sample's action runs on a thread at a random moment (uniform
over one frame period) after a plain turn of the loop. The touch is a ``UnitTestTouch``;
Kivy's input post-processing (double-tap detection and the like) runs on it as on any.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from device.ui.staging import use_offscreen

use_offscreen()  # before Kivy is imported; KIVY_HOME from the environment when it is set

from kivy.base import EventLoop  # noqa: E402  (after the environment above)
from kivy.config import Config as KivyConfig  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.graphics import Color  # noqa: E402
from kivy.graphics.opengl import (  # noqa: E402
    GL_RENDERER,
    GL_RGBA,
    GL_UNSIGNED_BYTE,
    glGetString,
    glReadPixels,
)
from kivy.input.provider import MotionEventProvider  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from device.ui import presenters  # noqa: E402
from device.ui.app import DrivetimeApp  # noqa: E402
from device.ui.staging import mount, unmount  # noqa: E402
from tests.bench.rig import summary_ms  # noqa: E402
from tests.ui.engine_thread import EngineThread  # noqa: E402

PANEL = (800, 480)
WARM_UP = 5  # first samples of each series, not recorded: glyph caches, shader compiles
HOLD_FRAMES = 3  # the finger stays down this many frames (≈50 ms) before it lifts
LOW_VOLUME = 20  # where the volume goes back to when "+" would reach the top
COLOUR_TOLERANCE = 3  # per 8-bit channel: blending and dithering differences
FRAME_TIMEOUT_S = 5.0
JOIN_TIMEOUT_S = 15.0
SEED = 5


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ui_probe")
    parser.add_argument("room_url")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--taps", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(measure(args.room_url, args.workdir, args.taps, args.events)))
    return 0


def measure(room_url: str, workdir: Path, taps: int, events: int) -> dict[str, Any]:
    runner = EngineThread(
        workdir, catalog={"path": str(workdir / "catalog.sqlite"), "resume": False}
    )
    try:
        engine = runner.start()
        runner.run(engine.player.join(room_url))
        runner.run(runner.recorder.wait_for_state("playing", JOIN_TIMEOUT_S), JOIN_TIMEOUT_S + 1)
        EventLoop.ensure_window()
        Window.size = PANEL
        app = mount(DrivetimeApp(runner.config, settings_path=workdir / "ui-settings.json"))
        try:
            return _measure_on_screen(app, runner, taps, events)
        finally:
            unmount(app)
    finally:
        runner.close()


def _measure_on_screen(
    app: DrivetimeApp, runner: EngineThread, taps: int, events: int
) -> dict[str, Any]:
    frames = Frames()
    screen = app.root.ids.screens.get_screen("now_playing").ids
    frames.wait_for(
        lambda: app.engine_connected and app.player_state == "playing", "the room playing"
    )
    rng = random.Random(SEED)
    songs = SongWatch(runner, screen.title_label)
    frames.every_frame.append(songs.check)
    return {
        "renderer": glGetString(GL_RENDERER).decode(errors="replace"),
        "maxfps": frame_rate(),
        "window": list(Window.size),
        "theme": app.theme_name,
        "warm_up_samples": WARM_UP,
        **_tap_series(app, runner, frames, rng, taps),
        "engine_volume": _engine_series(app, runner, frames, rng, events),
        "engine_song": {**summary_ms(songs.samples_s), "missed": songs.missed},
    }


# ---- the three series -----------------------------------------------------------------------


def _tap_series(
    app: DrivetimeApp, runner: EngineThread, frames: Frames, rng: random.Random, n: int
) -> dict[str, Any]:
    screen = app.root.ids.screens.get_screen("now_playing").ids
    button, label = screen.volume_up, screen.volume_label
    fill = next(i for i in button.canvas.before.children if isinstance(i, Color))
    spot = _inside(button, 0.2, 0.5)  # left of the "+" glyph, inside the outline
    pressed, released = tuple(app.theme.control_pressed), tuple(app.theme.control)
    on_press, on_release = Series(), Series()
    finger = Finger()
    for index in range(WARM_UP + n):
        if app.volume + presenters.VOLUME_STEP > 100:
            _engine_volume(runner, frames, app, LOW_VOLUME)
        want = f"{presenters.stepped_volume(int(app.volume), +1)}%"
        colour, label_before = frames.capture(lambda: (_read_rgb(spot), _read_widget(label)))
        if not _near(colour, _rgb(released)):
            raise RuntimeError(f"the + button shows {colour} before the tap, not {released}")
        touch = UnitTestTouch(*button.to_window(*button.center))
        down = frames.begin_sample(rng, partial(finger.put, "begin", touch))
        shown = frames.wait_for(
            lambda: _same_colour(fill.rgba, pressed),
            "the + drawn pressed",
            pixels=lambda: _near(_read_rgb(spot), _rgb(pressed)),
        )
        frames.run(HOLD_FRAMES)
        up = frames.begin_sample(rng, partial(finger.put, "end", touch))
        confirmed = frames.wait_for(
            _text_is(label, want), f"the volume label at {want}", _changed(label, label_before)
        )
        down.join()
        up.join()
        if index >= WARM_UP:
            on_press.add(shown, down)
            on_release.add(confirmed, up)
    return {"tap_pressed": on_press.summary(), "tap_volume": on_release.summary()}


def _engine_series(
    app: DrivetimeApp, runner: EngineThread, frames: Frames, rng: random.Random, n: int
) -> dict[str, Any]:
    label = app.root.ids.screens.get_screen("now_playing").ids.volume_label
    series = Series()
    for index in range(WARM_UP + n):
        percent = LOW_VOLUME + index % 50  # a new value each time: 20, 21, … 69, 20, …
        if percent == app.volume:
            percent += 1
        label_before = frames.capture(lambda: _read_widget(label))
        called = frames.begin_sample(rng, partial(_set_volume_on_engine, runner, percent))
        want = f"{percent}%"
        shown = frames.wait_for(
            _text_is(label, want), f"the engine's volume {want}", _changed(label, label_before)
        )
        called.join()
        if index >= WARM_UP:
            series.add(shown, called)
    return series.summary()


def _engine_volume(runner: EngineThread, frames: Frames, app: DrivetimeApp, percent: int) -> None:
    """Set the volume from the engine and wait until the App has it (not timed)."""
    assert runner.engine is not None
    runner.call(runner.engine.player.set_volume, percent)
    frames.wait_for(lambda: app.volume == percent, f"the volume back at {percent}%")


def _set_volume_on_engine(runner: EngineThread, percent: int) -> float:
    """``player.set_volume`` on the engine's own loop, as the phone or the knob would change
    it; when (monotonic) the engine made the call."""
    called_at: list[float] = []

    def on_engine_loop() -> None:
        assert runner.engine is not None
        called_at.append(time.monotonic())
        runner.engine.player.set_volume(percent)

    runner.call(on_engine_loop)
    return called_at[0]


class Later:
    """Runs ``start`` on a thread of its own after ``delay_s`` while the frames go on.
    ``at`` is the time ``start`` returns (when what it started began, monotonic) and
    ``frame`` the number of the last frame drawn before it ran."""

    def __init__(self, frames: Frames, delay_s: float, start: Callable[[], float]) -> None:
        self.at, self.frame = 0.0, 0
        self._frames, self._start = frames, start
        self._timer = threading.Timer(delay_s, self._run)
        self._timer.start()

    def _run(self) -> None:
        self.frame = self._frames.count
        self.at = self._start()

    def join(self) -> None:
        self._timer.join(FRAME_TIMEOUT_S)
        if not self.at:
            raise RuntimeError("the timed action never ran")


class Finger(MotionEventProvider):
    """The panel's touches as Kivy's input providers deliver them: queued from another
    thread (a touchscreen's reader thread), handed to Kivy when its loop next reads input,
    after the clock's sleep — nothing here wakes the clock."""

    def __init__(self) -> None:
        super().__init__("bench-finger", None)
        self._queue: deque[tuple[str, UnitTestTouch]] = deque()
        EventLoop.add_input_provider(self)

    def put(self, kind: str, touch: UnitTestTouch) -> float:
        """Queue a touch ``kind`` ("begin", "end"); when it was queued (monotonic)."""
        queued_at = time.monotonic()
        self._queue.append((kind, touch))
        return queued_at

    def update(self, dispatch_fn: Callable[[str, UnitTestTouch], None]) -> None:
        while self._queue:
            dispatch_fn(*self._queue.popleft())


class SongWatch:
    """Each frame: is the newest song the engine announced shown yet? (First sight only.)"""

    def __init__(self, runner: EngineThread, headline: Widget) -> None:
        assert runner.recorder is not None
        self._announced = runner.recorder.now_playing  # appended to on the engine's thread
        self._headline = headline
        self._since = time.monotonic()  # songs announced before the watch are not timed
        self._done: set[float] = set()
        self.samples_s: list[float] = []

    def check(self) -> None:
        if not self._announced:
            return
        at, _artist, title, _album = self._announced[-1]
        if at > self._since and at not in self._done and self._headline.text == title:
            self._done.add(at)
            self.samples_s.append(time.monotonic() - at)

    @property
    def missed(self) -> int:
        """Songs announced since the watch began (and a second before now, time enough to be
        shown) that never reached the screen."""
        until = time.monotonic() - 1.0
        announced = {entry[0] for entry in self._announced if self._since < entry[0] < until}
        return len(announced - self._done)


# ---- frames ---------------------------------------------------------------------------------


@dataclass
class Shown:
    frame_at: float  # monotonic, at the on_flip of the first frame drawing the change
    frame: int  # that frame's number
    draw_s: float  # from its on_draw to its on_flip: the GL calls, and what llvmpipe waits on
    pixels_at: float  # after the read-back that found the change in the pixels
    frames_until_pixels: int  # frames after ``frame`` whose pixels did not show it yet


@dataclass
class Series:
    to_frame_s: list[float] = field(default_factory=list)
    to_pixels_s: list[float] = field(default_factory=list)
    draw_s: list[float] = field(default_factory=list)
    frames_after: Counter[int] = field(default_factory=Counter)
    frames_until_pixels: Counter[int] = field(default_factory=Counter)

    def add(self, shown: Shown, began: Later) -> None:
        self.to_frame_s.append(shown.frame_at - began.at)
        self.to_pixels_s.append(shown.pixels_at - began.at)
        self.draw_s.append(shown.draw_s)
        self.frames_after[shown.frame - began.frame] += 1
        self.frames_until_pixels[shown.frames_until_pixels] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "frame": summary_ms(self.to_frame_s),
            "pixels": summary_ms(self.to_pixels_s),
            "draw": summary_ms(self.draw_s),
            "frames_after": _counts(self.frames_after),
            "frames_until_pixels": _counts(self.frames_until_pixels),
        }


class Frames:
    """Runs checks at each frame's ``on_flip``: the frame is drawn, not yet swapped."""

    def __init__(self) -> None:
        self.count = 0  # frames drawn since this watch began
        self.every_frame: list[Callable[[], None]] = []
        self._drawn: Callable[[], bool] | None = None
        self._pixels: Callable[[], bool] | None = None
        self._shown: Shown | None = None
        self._draw_at = 0.0
        # Bound handlers run before the window's own: on_draw's then draws the frame, and
        # on_flip's swaps it.
        Window.bind(on_draw=self._on_draw, on_flip=self._on_flip)

    def _on_draw(self, *_args: object) -> None:
        self._draw_at = time.monotonic()

    def _on_flip(self, *_args: object) -> None:
        self.count += 1
        if self._drawn is not None and self._drawn():
            now = time.monotonic()
            self._shown = Shown(now, self.count, now - self._draw_at, 0.0, 0)
            self._drawn = None
        if self._shown is not None and self._pixels is not None:
            if self._pixels():
                self._shown.pixels_at = time.monotonic()
                self._pixels = None
            else:
                self._shown.frames_until_pixels += 1
        for check in self.every_frame:
            check()

    def wait_for(
        self, drawn: Callable[[], bool], what: str, pixels: Callable[[], bool] | None = None
    ) -> Shown:
        """Run the loop until a frame is drawn with ``drawn`` true, then until a frame's
        ``pixels`` (read in its ``on_flip``) show it too."""
        self._drawn, self._pixels, self._shown = drawn, pixels, None
        deadline = time.monotonic() + FRAME_TIMEOUT_S
        while self._drawn is not None or self._pixels is not None:
            if time.monotonic() > deadline:
                self._drawn = self._pixels = None
                raise TimeoutError(f"no frame showed {what} within {FRAME_TIMEOUT_S:g} s")
            EventLoop.idle()
        assert self._shown is not None
        if pixels is None:
            self._shown.pixels_at = self._shown.frame_at
        return self._shown

    def capture(self, read: Callable[[], Any]) -> Any:
        """Redraw now and return what ``read`` sees in that frame; then draw one frame more
        without reading it. The UI never reads its frames back, and llvmpipe leaves an
        unread frame to be rasterised when a later one needs it (one that changes a
        texture waits for it): a sample starts from that state, not from a read's."""
        seen: list[Any] = []
        Window.canvas.ask_update()
        self.wait_for(lambda: seen.append(read()) is None, "a redraw")
        Window.canvas.ask_update()
        self.wait_for(lambda: True, "a redraw")
        return seen[0]

    def begin_sample(self, rng: random.Random, start: Callable[[], float]) -> Later:
        """One plain turn of the loop (a ``capture`` frame runs long: the clock then sleeps
        its usual frame period again), then ``start`` at a random moment of that period."""
        EventLoop.idle()
        return Later(self, rng.uniform(0, 1 / frame_rate()), start)

    def run(self, count: int) -> None:
        """Pump ``count`` turns of the loop (frames drawn or not)."""
        for _ in range(count):
            EventLoop.idle()


def frame_rate() -> int:
    return KivyConfig.getint("graphics", "maxfps")


def _inside(widget: Widget, fx: float, fy: float) -> tuple[int, int]:
    x, y = widget.to_window(widget.x + widget.width * fx, widget.y + widget.height * fy)
    return int(x), int(y)


def _read_rgb(spot: tuple[int, int]) -> tuple[int, ...]:
    return tuple(glReadPixels(spot[0], spot[1], 1, 1, GL_RGBA, GL_UNSIGNED_BYTE)[:3])


def _read_widget(widget: Widget) -> bytes:
    x, y = widget.to_window(widget.x, widget.y)
    return bytes(
        glReadPixels(int(x), int(y), int(widget.width), int(widget.height), GL_RGBA,
                     GL_UNSIGNED_BYTE)
    )  # fmt: skip


def _rgb(colour: Sequence[float]) -> tuple[int, ...]:
    return tuple(round(channel * 255) for channel in colour[:3])


def _text_is(label: Widget, text: str) -> Callable[[], bool]:
    return lambda: label.text == text


def _changed(widget: Widget, before: bytes) -> Callable[[], bool]:
    """Whether the widget's pixels, read now, differ from ``before``."""
    return lambda: _read_widget(widget) != before


def _same_colour(drawn: Sequence[float], theme: Sequence[float]) -> bool:
    return all(abs(a - b) < 1e-6 for a, b in zip(drawn, theme, strict=True))


def _near(seen: Sequence[int], want: Sequence[int]) -> bool:
    return all(abs(a - b) <= COLOUR_TOLERANCE for a, b in zip(seen, want, strict=True))


def _counts(counter: Counter[int]) -> dict[str, int]:
    return {str(key): counter[key] for key in sorted(counter)}


if __name__ == "__main__":
    sys.exit(main())
