"""Audio outputs, chosen by spec string.

=========================  ==========================================================
``null``                   discards the audio, at a sound card's pace
``file:<path>``            raw 48 kHz stereo s16le into a file (paced or as fast as possible)
``pyaudio``                PortAudio's default output device
``pyaudio:<name>``         the PortAudio output device whose name contains ``<name>``
=========================  ==========================================================

PortAudio (pyaudio) is imported only when a ``pyaudio`` spec is opened.
"""

from __future__ import annotations

import logging
from typing import Any

from device.audio.outputs.base import (
    AudioOutput,
    BlockSource,
    OutputError,
    OutputSpecError,
)

__all__ = [
    "AudioOutput",
    "BlockSource",
    "OutputError",
    "OutputSpecError",
    "open_output",
    "output_choices",
]

log = logging.getLogger(__name__)

KINDS = ("null", "file", "pyaudio")
SPEC_HELP = "expected 'null', 'file:<path>', 'pyaudio' or 'pyaudio:<device name>'"


def output_choices() -> list[str]:
    """Specs a driver could choose among now: each PortAudio output device by name, then
    ``null``. PortAudio that cannot start (no sound system at all) offers only ``null``."""
    try:
        from device.audio.outputs.pyaudio_output import output_device_names

        names = output_device_names()
    except (OSError, ImportError) as exc:
        names = []
        log.info("no PortAudio devices to offer: %s", exc)
    return [f"pyaudio:{name}" for name in names] + ["null"]


def open_output(
    spec: str,
    *,
    frames_per_block: int | None = None,
    volume: int = 100,
    **options: Any,
) -> AudioOutput:
    """Open the output ``spec`` names, ready to ``start``.

    ``frames_per_block`` (the source's block size) defaults to 960 (20 ms).
    ``volume`` is the initial volume in percent. Other keyword options are output-specific
    (pyaudio: ``device_rate``, ``device_buffer_ms``, ``ahead_blocks``). Raises
    ``OutputSpecError`` for a malformed spec, an unknown option or a device that does not
    exist, ``OutputError`` when the device or file cannot be opened.
    """
    kind, _, argument = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise OutputSpecError(f"unknown output {spec!r}{_did_you_mean(kind)}; {SPEC_HELP}")
    if not isinstance(volume, int) or not 0 <= volume <= 100:
        raise OutputSpecError(f"volume must be an integer 0..100, got {volume!r}")
    common: dict[str, Any] = {"volume": volume}
    if frames_per_block is not None:
        if not isinstance(frames_per_block, int) or frames_per_block <= 0:
            raise OutputSpecError(
                f"frames_per_block must be a positive integer, got {frames_per_block!r}"
            )
        common["frames_per_block"] = frames_per_block
    if kind == "pyaudio":
        _reject_unknown(spec, options, allowed=("device_rate", "device_buffer_ms", "ahead_blocks"))
        from device.audio.outputs.pyaudio_output import PyAudioOutput  # lazy: loads PortAudio

        return PyAudioOutput(argument.strip() or None, **common, **options)
    _reject_unknown(spec, options, allowed=())
    if kind == "file":
        path = argument.strip()
        if not path:
            raise OutputSpecError(f"output {spec!r} needs a path, e.g. 'file:/tmp/out.raw'")
        from device.audio.outputs.file import FileOutput

        return FileOutput(path, **common)
    if argument.strip():
        raise OutputSpecError(f"output 'null' takes no argument, got {spec!r}")
    from device.audio.outputs.null import NullOutput

    return NullOutput(**common)


def _did_you_mean(kind: str) -> str:
    import difflib  # only a mistyped spec needs it, not every start

    close = difflib.get_close_matches(kind, KINDS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _reject_unknown(spec: str, options: dict[str, Any], *, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise OutputSpecError(f"output {spec!r} does not take option(s) {', '.join(unknown)}")
