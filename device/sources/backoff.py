"""Retry delays: exponential, capped, jittered, resettable."""

from __future__ import annotations

import random


class Backoff:
    """Delays before successive retries: initial_s, 2x, 4x, ... capped at max_s.

    Each delay is drawn uniformly from ``(base * (1 - jitter), base]``, so it never exceeds the
    cap and a crowd of units that lost the same server does not come back in lockstep.
    ``reset()`` starts again from ``initial_s`` (call it after a connection that worked).
    Not thread-safe; one instance per retry loop.
    """

    def __init__(
        self,
        initial_s: float,
        max_s: float,
        jitter: float,
        rng: random.Random | None = None,
    ) -> None:
        if not initial_s > 0:
            raise ValueError(f"initial backoff must be > 0 s (got {initial_s})")
        if not max_s >= initial_s:
            raise ValueError(f"max backoff {max_s} s is below the initial {initial_s} s")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"backoff jitter is a fraction in [0, 1] (got {jitter})")
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._base_s = initial_s

    def next_delay_s(self) -> float:
        """The next delay; each call doubles the base for the following one, up to max_s."""
        base_s = self._base_s
        self._base_s = min(self.max_s, base_s * 2)
        return base_s * (1.0 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self._base_s = self.initial_s
