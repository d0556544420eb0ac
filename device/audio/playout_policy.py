"""Playout policies: how deep the playout buffer runs, when it starts and when it skips.

A policy is a frozen value the player picks per room (``live`` or ``road``) and may switch
while playing; the buffer (``device.audio.playout``) applies it. All durations are in
milliseconds of audio at 48 kHz; :func:`ms_to_samples` converts them to timeline samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from device.audio.pcm import OPUS_RATE

SAMPLES_PER_MS = OPUS_RATE // 1000

HARD_CAP_HEADROOM_MS = 10_000
"""Depth beyond a policy's target at which the oldest audio is dropped whatever the policy:
the bound on memory (road: 40 s ≈ 2000 packets ≈ 0.5 MB at 96 kb/s)."""


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""


def ms_to_samples(ms: float) -> int:
    return round(ms * SAMPLES_PER_MS)


def samples_to_ms(samples: int) -> float:
    return samples / SAMPLES_PER_MS


class PolicyError(ValueError):
    """A policy whose numbers contradict each other."""


@dataclass(frozen=True)
class LivePolicy:
    """Stay close to the live edge: for shows with call-ins and reactions.

    Playing starts once ``start_ms`` is buffered. Whenever the depth exceeds
    ``target_ms + max_excess_ms`` (a stall delivered stale backlog, or the server's burst on
    join), the oldest audio is skipped down to ``target_ms``. A smaller surplus that never
    drains — the depth stayed above target by more than a frame for ``trim_after_ms`` (a burst
    that arrived over several pulls, or latency added by rebuffering) — is skipped the same way.
    """

    target_ms: int = 120
    start_ms: int = 60
    max_excess_ms: int = 300
    trim_after_ms: int = 5_000

    def __post_init__(self) -> None:
        _check_start_and_target(self)
        if self.max_excess_ms < 0:
            raise PolicyError(f"max_excess_ms must be >= 0, got {self.max_excess_ms}")
        if self.trim_after_ms <= 0:
            raise PolicyError(f"trim_after_ms must be > 0, got {self.trim_after_ms}")

    @property
    def cap_ms(self) -> int:
        return self.target_ms + HARD_CAP_HEADROOM_MS


@dataclass(frozen=True)
class RoadPolicy:
    """Keep a deep buffer so tunnels and dead zones are inaudible.

    Playing starts once ``start_ms`` is buffered (never waits for ``target_ms``). Everything
    the server bursts is kept up to ``cap_ms``; nothing is skipped otherwise. With ``grow``,
    the buffer asks the renderer to stretch quiet frames while it is below ``target_ms``.
    """

    target_ms: int = 30_000
    start_ms: int = 200
    grow: bool = True

    def __post_init__(self) -> None:
        _check_start_and_target(self)

    @property
    def cap_ms(self) -> int:
        return self.target_ms + HARD_CAP_HEADROOM_MS


def check_policy(policy: object) -> LivePolicy | RoadPolicy:
    if not isinstance(policy, LivePolicy | RoadPolicy):
        raise TypeError(f"expected a LivePolicy or RoadPolicy, got {policy!r}")
    return policy


def _check_start_and_target(policy: LivePolicy | RoadPolicy) -> None:
    name = type(policy).__name__
    if policy.start_ms < 0 or policy.target_ms <= 0:
        raise PolicyError(f"{name}: start_ms must be >= 0 and target_ms > 0, got {policy}")
    if policy.start_ms > policy.target_ms:
        raise PolicyError(
            f"{name}: start_ms ({policy.start_ms}) must not exceed target_ms ({policy.target_ms})"
        )


class SurplusWatch:
    """Live mode: tells when the depth has stayed above target for a whole window.

    Fed once per pull. A surplus that held for the window is not needed to ride out the
    network's jitter (the buffer never dipped into it), so skipping it costs nothing but one
    short skip and brings the player back to the live edge.
    """

    def __init__(self) -> None:
        self._since: float | None = None

    def reset(self) -> None:
        self._since = None

    def held(self, now: float, above: bool, window_s: float) -> bool:
        """Record one observation; True (once, then restarts) when ``above`` held ``window_s``."""
        if not above:
            self._since = None
            return False
        if self._since is None:
            self._since = now
        if now - self._since < window_s:
            return False
        self._since = None
        return True
