"""Process start-up with the cyclic garbage collector paused while a program loads.

Loading the engine (numpy, asyncio, the project's modules) creates some hundred thousand
objects that live as long as the process; with the collector on, CPython walks them again and
again while they are being made: 33 ms of the 245 ms an engine start cost on the 2-core VM,
paid at every ignition. So the entry points pause the collector before importing their
program, and the program resumes it once loaded, freezing what exists then (``gc.freeze``:
moved to a generation no collection scans, which also keeps later full collections short).

Only a pause made here is resumed: a test that calls a program's ``main`` in its own process
never has its objects frozen.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collector() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """The program is loaded: keep what exists out of the collector's way, and collect again."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False
