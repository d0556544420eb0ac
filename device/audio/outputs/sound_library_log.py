"""ALSA's and JACK's own messages go to the engine's log at debug level, not to its stderr.

PortAudio probes every host API when it starts. With no sound card (a demo machine, a unit
whose DAC is missing) or no JACK server (a car unit never runs one), libasound and libjack
print a dozen lines such as "cannot find card '0'" and "jack server is not running" at every
engine start: in the terminal of ``make demo``, in the unit's journal. They describe the
probing, not a fault of the unit (a missing device is reported by the output itself, in
words). Both libraries let a program take their messages: ``snd_lib_error_set_handler`` and
``jack_set_error_function`` / ``jack_set_info_function``. ``-v`` shows them.

The libraries are reached by soname, as PortAudio's own dependencies; where one is absent
there is nothing of it to quiet.
"""

from __future__ import annotations

import ctypes
import logging
import threading

log = logging.getLogger(__name__)

ALSA_SONAME = "libasound.so.2"
JACK_SONAME = "libjack.so.0"

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
# The variadic arguments are not read (ctypes cannot, portably): the log has the format string,
# "Unknown PCM %s" rather than the PCM's name, with the function and line that said it.
_AlsaHandler = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_JackHandler = ctypes.CFUNCTYPE(None, ctypes.c_char_p)


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", "replace").strip()


@_AlsaHandler
def _alsa_message(
    file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None
) -> None:
    log.debug("ALSA %s (%s:%d, error %d)", _text(fmt), _text(function), line, err)


@_JackHandler
def _jack_message(message: bytes | None) -> None:
    log.debug("JACK %s", _text(message))


_lock = threading.Lock()
_installed = False


def route_sound_library_messages_to_log() -> None:
    """Install the handlers (once per process; any thread). Call before PortAudio starts."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        # Quieting is a nicety: a library or symbol that is not there never stops the audio.
        try:
            alsa = ctypes.CDLL(ALSA_SONAME)
            alsa.snd_lib_error_set_handler.argtypes = [_AlsaHandler]
            alsa.snd_lib_error_set_handler.restype = ctypes.c_int
            alsa.snd_lib_error_set_handler(_alsa_message)
        except (OSError, AttributeError) as exc:
            log.debug("ALSA's messages stay on stderr: %s", exc)
        try:
            jack = ctypes.CDLL(JACK_SONAME)
            for setter in (jack.jack_set_error_function, jack.jack_set_info_function):
                setter.argtypes = [_JackHandler]
                setter.restype = None
                setter(_jack_message)
        except (OSError, AttributeError) as exc:
            log.debug("JACK's messages stay on stderr: %s", exc)
