"""The rig's suite: five steps a driver would notice, each timed, each pass or fail with why.

1. **boot** — the unit, last playing room A, is switched on: room A is heard again.
2. **preset** — preset 2 (room B) is pressed on the panel: room B is heard, LED 2 lit.
3. **knob** — five detents up: room B's signature tone rises by 5 detents x
   ``panel.volume_step`` % x 0.6 dB/% (the unit's 60 dB volume curve), within ±1 dB.
4. **phone** — the phone pairs by numeric comparison (the digits shown on both sides
   match; the rig confirms on the unit as the driver would), then ``volume 30`` from the
   phone changes the heard level by the curve's amount, and ``status`` says playing.
5. **ignition** — ignition off: silent within ``fade_s`` + 1 s; back on before
   ``shutdown_delay_s``: heard again and not powered off; off again: the unit runs its
   power-off.

Levels are the signature tone's, measured at its frequency (:mod:`hw.rig.tones`), never a
broadband RMS: the music around it changes all the time, the tone does not.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from hw.rig import tones
from hw.rig.panel_line import PanelNotAcknowledged
from hw.rig.rooms import Room
from hw.rig.unit import UnitError
from hw.rig.world import World

DB_PER_PERCENT = 0.6  # the unit's volume curve: 60 dB over 0..100 % (device/audio/volume.py)
LEVEL_TOLERANCE_DB = 1.0
LISTEN_S = 1.0  # audio looked at to say which room plays
MEASURE_S = 1.5  # audio a level is measured over
SETTLE_S = 0.4  # a volume change's ramp (30 ms) and the output's queue, heard through


class StepFailed(AssertionError):
    pass


@dataclass(frozen=True)
class StepResult:
    number: int
    name: str
    title: str
    passed: bool
    seconds: float
    detail: str  # what was measured when passed; why not when failed


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[World], str]  # returns what it measured; raises StepFailed


def run_suite(world: World, steps: list[Step] | None = None) -> list[StepResult]:
    """Run ``steps`` (default: all five) in order; a failed step does not stop the next."""
    results = []
    for number, step in enumerate(steps or STEPS, start=1):
        started = time.monotonic()
        try:
            detail, passed = step.run(world), True
        except (StepFailed, UnitError, PanelNotAcknowledged) as exc:
            detail, passed = str(exc), False
        except Exception as exc:  # a rig reports every step; one that broke is a failure too
            detail, passed = f"{type(exc).__name__}: {exc}", False
        results.append(
            StepResult(number, step.name, step.title, passed, time.monotonic() - started, detail)
        )
    return results


# -- the steps ---------------------------------------------------------------------------


def boot(world: World) -> str:
    room = world.rooms[0]
    # The resume state: room A played when the unit was last switched off.
    world.power.on()
    world.ctl.wait_until_answering(world.settings.boot_timeout_s)
    mark = world.audio.frames
    world.ctl("join", room.url)
    wait_for_room(world, room, mark, timeout_s=10, what="room A joined before the restart")
    world.power.off()
    mark = world.audio.frames
    world.power.on()
    heard_after = wait_for_room(
        world, room, mark, timeout_s=world.settings.boot_timeout_s, what="after power-on"
    )
    return f"{room.label} heard {heard_after:.1f} s after power-on"


def preset(world: World) -> str:
    room = world.rooms[1]
    world.ctl("preset", "set", "2", room.url)
    mark = world.audio.frames
    acked = world.panel.press_preset(2)
    heard_after = wait_for_room(world, room, mark, timeout_s=5, what="after preset 2")
    if not _eventually(lambda: world.panel.leds == 0b0010, 2.0, world.panel.poll):
        raise StepFailed(
            f"{room.label} heard, but the panel's LEDs are {world.panel.leds:#07b}, not preset 2's"
        )
    return f"{room.label} heard {heard_after:.1f} s after the press (ACK {acked * 1000:.1f} ms)"


def knob(world: World) -> str:
    room = world.rooms[1]
    world.ctl("volume", "60")
    before = measure_level(world, room)
    detents = 5
    world.panel.turn_knob(detents)
    after = measure_level(world, room)
    expected = detents * world.settings.volume_step * DB_PER_PERCENT
    return _check_change("knob +5", before, after, expected)


def phone(world: World) -> str:
    room = world.rooms[1]
    watch = world.ctl.watch()
    try:
        world.ctl("pair", "open")
        pairing = world.phone.pair_confirming()
        shown = watch.wait_for(lambda line: "pairing: confirm" in line, timeout_s=20)
        if shown is None:
            pairing.kill()
            output = pairing.communicate()[0]
            raise StepFailed(f"the unit never showed pairing digits; the phone said: {output}")
        digits = shown.split("compare")[1].split()[0]
        world.ctl("pair", "yes")
        try:
            output = pairing.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            pairing.kill()
            said = pairing.communicate()[0]
            raise StepFailed(f"`drivetime-host pair` did not finish: {said}") from None
    finally:
        watch.close()
    if pairing.returncode != 0 or f"Does the unit show {digits}?" not in output:
        raise StepFailed(f"pairing: the unit showed {digits}; the phone said: {output.strip()}")
    volume = _volume(world.ctl("status"))
    before = measure_level(world, room)
    reply = world.phone("volume", "30")
    if not reply.ok:
        raise StepFailed(f"`drivetime-host volume 30` failed: {reply.output.strip()}")
    after = measure_level(world, room)
    change = _check_change("phone volume 30", before, after, (30 - volume) * DB_PER_PERCENT)
    status = world.phone("status")
    if not status.ok or "state: playing" not in status.output:
        raise StepFailed(f"`drivetime-host status` did not report playing: {status.output.strip()}")
    return f"paired ({digits} on both); {change}; status: playing"


def ignition(world: World) -> str:
    room, settings = world.rooms[1], world.settings
    mark = world.audio.frames
    world.panel.ignition(False)
    off_at = time.monotonic()
    silent_after = wait_for_silence(world, mark, timeout_s=settings.fade_s + 1.0)
    mark = world.audio.frames
    world.panel.ignition(True)
    if time.monotonic() - off_at >= settings.shutdown_delay_s:
        raise StepFailed("ignition back on too late to test the cancel (shutdown_delay_s short)")
    back_after = wait_for_room(world, room, mark, timeout_s=5, what="after ignition back on")
    time.sleep(max(0.0, off_at + settings.shutdown_delay_s + 1.0 - time.monotonic()))
    if world.power.powered_off():
        raise StepFailed("the unit powered off although the ignition came back in time")
    world.panel.ignition(False)
    off_at = time.monotonic()
    if not _eventually(world.power.powered_off, settings.shutdown_delay_s + 5.0):
        raise StepFailed(
            f"no power-off within {settings.shutdown_delay_s + 5.0:g} s of ignition off"
        )
    powered_off_after = time.monotonic() - off_at
    return (
        f"silent {silent_after:.2f} s after off; back on: heard in {back_after:.1f} s, "
        f"no power-off; off: power-off ran after {powered_off_after:.1f} s"
    )


STEPS = [
    Step("boot", "boot → the last room resumes", boot),
    Step("preset", "preset 2 → room B heard", preset),
    Step("knob", "knob +5 → level up by the curve", knob),
    Step("phone", "phone pairs; volume 30; status", phone),
    Step("ignition", "ignition off → silent, power-off", ignition),
]


# -- listening -----------------------------------------------------------------------------


def wait_for_room(world: World, room: Room, mark: int, *, timeout_s: float, what: str) -> float:
    """Seconds from position ``mark`` until ``room``'s signature sounds; StepFailed naming
    what is heard instead after ``timeout_s`` (of recorded audio)."""
    listen = int(LISTEN_S * tones.RATE_HZ)
    end = mark + int(timeout_s * tones.RATE_HZ)
    position = mark
    while position < end:
        position = min(position + tones.RATE_HZ // 10, end)  # a look every 0.1 s of audio
        if not world.audio.wait_for(position, timeout_s=5):
            raise StepFailed("the rig's audio input stopped recording")
        start = max(mark, position - listen)
        window = world.audio.since(start)[: (position - start) * tones.BYTES_PER_FRAME]
        if tones.heard_signature(window, world.rooms.signatures_hz) == room.signature_hz:
            recorded = world.audio.since(mark)[: (position - mark) * tones.BYTES_PER_FRAME]
            return tones.onset_s(recorded, room.signature_hz)
    heard = describe(world, world.audio.since(max(mark, end - 2 * listen)))
    raise StepFailed(f"{what}: expected {room.label}, heard {heard} for {timeout_s:g} s")


def describe(world: World, pcm: bytes) -> str:
    """What the rig hears, in words: a room by its tone, another frequency, or silence."""
    if tones.silent_from_s(pcm) == 0.0:
        return "silence"
    hz = tones.heard_signature(pcm, world.rooms.signatures_hz)
    if hz is not None:
        return world.rooms.by_hz(hz).label
    return f"no room's signature (strongest tone {tones.dominant_frequency(pcm):.0f} Hz)"


def wait_for_silence(world: World, mark: int, *, timeout_s: float) -> float:
    """Seconds from position ``mark`` until the output went silent (and stayed so 0.3 s)."""
    quiet = int(0.3 * tones.RATE_HZ) * tones.BYTES_PER_FRAME
    limit = int((timeout_s + 0.3) * tones.RATE_HZ) * tones.BYTES_PER_FRAME
    while True:
        time.sleep(0.05)
        recorded = world.audio.since(mark)[:limit]
        if len(recorded) >= quiet and tones.silent_from_s(recorded[-quiet:]) == 0.0:
            silent_from = tones.silent_from_s(recorded)
            if silent_from is not None and silent_from <= timeout_s:
                return silent_from
        if len(recorded) >= limit:
            peak = tones.dbfs(float(abs(tones.mono(recorded[-quiet:])).max(initial=0)))
            raise StepFailed(f"not silent within {timeout_s:g} s (peak {peak:.1f} dBFS at the end)")


def measure_level(world: World, room: Room) -> float:
    """The room's signature level (dBFS) over :data:`MEASURE_S` from :data:`SETTLE_S` on."""
    start = world.audio.frames + int(SETTLE_S * tones.RATE_HZ)
    world.audio.wait_for(start + int(MEASURE_S * tones.RATE_HZ), timeout_s=MEASURE_S + 5)
    pcm = world.audio.since(start)[: int(MEASURE_S * tones.RATE_HZ) * tones.BYTES_PER_FRAME]
    if tones.heard_signature(pcm, world.rooms.signatures_hz) != room.signature_hz:
        raise StepFailed(f"measuring {room.label}'s level, but heard {describe(world, pcm)}")
    return tones.tone_level_dbfs(pcm, room.signature_hz)


def _check_change(what: str, before: float, after: float, expected: float) -> str:
    change = after - before
    summary = (
        f"{what}: {before:.1f} → {after:.1f} dBFS, {change:+.1f} dB "
        f"(expected {expected:+.1f} ± {LEVEL_TOLERANCE_DB:g})"
    )
    if abs(change - expected) > LEVEL_TOLERANCE_DB:
        raise StepFailed(summary)
    return summary


def _volume(status_line: str) -> int:
    found = re.search(r"volume: (\d+)", status_line)
    if found is None:
        raise StepFailed(f"no volume in the unit's status: {status_line.strip()}")
    return int(found.group(1))


def _eventually(
    condition: Callable[[], bool], timeout_s: float, poll: Callable[[], None] = lambda: None
) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        poll()
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
