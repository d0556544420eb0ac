"""Opus decode and encode: the one adapter module that calls libopus.

libopus is reached through ctypes, not through opuslib's wrapper classes: they allocate output
buffers on every call (~100x real time on this machine against ~400x for a direct call into a
preallocated buffer) and some of their setters are broken. Function objects are taken with
``lib[name]`` so that our argument types never clash with the ones opuslib sets when its
handle is the one used (see ``_load_libopus``).

Threading: a codec object belongs to one thread (the decode stage, the room source); libopus
state is not thread-safe. Nothing here blocks or allocates per packet.
"""

from __future__ import annotations

import ctypes
import weakref

from device.audio.packets import StreamInfo
from device.audio.pcm import OPUS_RATE

MAX_FRAME_SAMPLES = 5760  # 120 ms, the longest packet
PLC_GRANULE_SAMPLES = 120  # libopus conceals in multiples of 2.5 ms
_OUT_CHANNELS = 2
_SAMPLE_BYTES = 2
_MAX_PACKET_BYTES = 4000  # libopus' recommended encode buffer

_OPUS_APPLICATIONS = {"voip": 2048, "audio": 2049, "restricted_lowdelay": 2051}
_OPUS_SET_BITRATE = 4002
_OPUS_GET_LOOKAHEAD = 4027
_OPUS_RESET_STATE = 4028
_OPUS_SET_GAIN = 4034

LIBOPUS_SONAME = "libopus.so.0"


def _load_libopus() -> ctypes.CDLL:
    """libopus by its soname (stable since libopus 1.0); opuslib's lookup where that fails.

    opuslib finds the library with ``ctypes.util.find_library``, which runs ``ldconfig -p`` in
    a child process: 19 ms of CPU at every engine start on the 2-core VM (more on a Pi), for a
    name the dynamic loader resolves itself.
    """
    try:
        return ctypes.CDLL(LIBOPUS_SONAME)
    except OSError:
        import opuslib.api

        return opuslib.api.libopus


_lib = _load_libopus()


def _function(name: str, restype: type | None, argtypes: list[type] | None) -> ctypes._CFuncPtr:
    function = _lib[name]  # a fresh function object, not the one opuslib configured
    function.restype = restype
    if argtypes is not None:
        function.argtypes = argtypes
    return function


_c_int_p = ctypes.POINTER(ctypes.c_int)
_strerror = _function("opus_strerror", ctypes.c_char_p, [ctypes.c_int])
_decoder_create = _function(
    "opus_decoder_create", ctypes.c_void_p, [ctypes.c_int32, ctypes.c_int, _c_int_p]
)
_decode = _function(
    "opus_decode",
    ctypes.c_int,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int, ctypes.c_int],
)
_decoder_ctl = _function("opus_decoder_ctl", ctypes.c_int, None)  # variadic: no argtypes
_decoder_destroy = _function("opus_decoder_destroy", None, [ctypes.c_void_p])
_encoder_create = _function(
    "opus_encoder_create",
    ctypes.c_void_p,
    [ctypes.c_int32, ctypes.c_int, ctypes.c_int, _c_int_p],
)
_encode = _function(
    "opus_encode",
    ctypes.c_int32,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int32],
)
_encoder_ctl = _function("opus_encoder_ctl", ctypes.c_int, None)
_encoder_destroy = _function("opus_encoder_destroy", None, [ctypes.c_void_p])


def opus_error_text(code: int) -> str:
    return _strerror(code).decode()


class OpusDecodeError(ValueError):
    """libopus refused a packet (``code`` is its negative error number). Conceal instead."""

    def __init__(self, code: int, what: str = "opus_decode") -> None:
        super().__init__(f"{what} failed: {opus_error_text(code)} ({code})")
        self.code = code


class OpusEncodeError(ValueError):
    def __init__(self, code: int, what: str = "opus_encode") -> None:
        super().__init__(f"{what} failed: {opus_error_text(code)} ({code})")
        self.code = code


def _check_ctl(result: int, what: str) -> None:
    if result < 0:
        raise OpusDecodeError(result, what)


def _byte_view(out: bytearray | memoryview) -> memoryview:
    view = memoryview(out)
    if view.readonly:
        raise TypeError("output buffer must be writable (bytearray or writable memoryview)")
    return view.cast("B") if view.format != "B" else view


class OpusDecoder:
    """Decodes one mono or stereo Opus stream to 48 kHz interleaved stereo s16le.

    Mono streams are decoded mono and copied to both channels, as ``opusdec --force-stereo``
    does. The stream's output gain (OpusHead, Q7.8 dB) is applied inside libopus, so decoded
    PCM is ready to play. Output goes into a caller-owned buffer; a renderer that decodes
    into the same buffer every time binds it once (``bind_output``) so the per-packet path
    allocates nothing but the call itself. Not thread-safe.
    """

    def __init__(self, channels: int = 2, output_gain_q8: int = 0) -> None:
        if channels not in (1, 2):
            raise ValueError(f"OpusDecoder handles mono or stereo streams, not {channels} channels")
        self._open(channels)
        self._output_gain_q8 = 0
        self._set_gain(output_gain_q8)

    @classmethod
    def for_stream(cls, info: StreamInfo) -> OpusDecoder:
        return cls(info.channels, info.output_gain_q8)

    @property
    def channels(self) -> int:
        """Channels of the stream being decoded (the output is always stereo)."""
        return self._channels

    @property
    def output_gain_q8(self) -> int:
        return self._output_gain_q8

    def _open(self, channels: int) -> None:
        error = ctypes.c_int()
        state = _decoder_create(OPUS_RATE, channels, ctypes.byref(error))
        if error.value != 0 or not state:
            raise OpusDecodeError(error.value, "opus_decoder_create")
        self._channels = channels
        self._state = state
        self._finalizer = weakref.finalize(self, _decoder_destroy, state)
        self._mono = (ctypes.c_int16 * MAX_FRAME_SAMPLES)() if channels == 1 else None
        self._mono_view = memoryview(self._mono).cast("B").cast("h") if self._mono else None

    def _set_gain(self, output_gain_q8: int) -> None:
        if not -32768 <= output_gain_q8 <= 32767:
            raise ValueError(f"output gain {output_gain_q8} does not fit Q7.8")
        _check_ctl(
            _decoder_ctl(
                ctypes.c_void_p(self._state),
                ctypes.c_int(_OPUS_SET_GAIN),
                ctypes.c_int(output_gain_q8),
            ),
            "OPUS_SET_GAIN",
        )
        self._output_gain_q8 = output_gain_q8

    def start_stream(self, info: StreamInfo) -> None:
        """Get ready for a new logical stream (chained link): fresh state, its channels/gain."""
        if info.channels not in (1, 2):
            raise ValueError(f"OpusDecoder handles mono or stereo streams, not {info.channels}")
        if info.channels != self._channels:
            self.close()
            self._open(info.channels)
        else:
            self.reset()
        self._set_gain(info.output_gain_q8)

    def decode_into(self, packet: bytes, out: bytearray | memoryview) -> int:
        """Decode one packet into ``out``; returns stereo frames written (4 bytes each).

        Raises OpusDecodeError for a packet libopus rejects (the state is untouched: conceal
        and go on), ValueError if ``out`` cannot hold the packet.
        """
        if not packet:
            raise OpusDecodeError(-4, "opus_decode of an empty packet")
        return self._run(bytes(packet), out, None)

    def conceal_into(self, frames: int, out: bytearray | memoryview) -> int:
        """Packet-loss concealment for ``frames`` (a multiple of 120, at most 5760)."""
        if frames <= 0 or frames % PLC_GRANULE_SAMPLES or frames > MAX_FRAME_SAMPLES:
            raise ValueError(
                f"can conceal 120..5760 frames in steps of {PLC_GRANULE_SAMPLES}, not {frames}"
            )
        return self._run(None, out, frames)

    def bind_output(self, out: bytearray | memoryview) -> None:
        """Pin ``out`` as the usual output buffer: decodes into that very object skip the
        per-call ctypes view. ``out`` cannot be resized while bound."""
        view = _byte_view(out)
        self._bound = (out, view, (ctypes.c_char * len(view)).from_buffer(view))

    _bound: tuple[object, memoryview, ctypes.Array[ctypes.c_char]] | None = None

    def _run(self, packet: bytes | None, out: bytearray | memoryview, frames: int | None) -> int:
        if not self._finalizer.alive:
            raise ValueError("OpusDecoder is closed")
        bound = self._bound
        view = bound[1] if bound is not None and bound[0] is out else _byte_view(out)
        capacity = min(len(view) // (_OUT_CHANNELS * _SAMPLE_BYTES), MAX_FRAME_SAMPLES)
        if frames is not None and frames > capacity:
            raise ValueError(f"output buffer holds {capacity} frames; {frames} requested")
        frame_size = frames if frames is not None else capacity
        length = len(packet) if packet is not None else 0
        if self._mono is None and bound is not None and bound[0] is out:
            written = _decode(self._state, packet, length, bound[2], frame_size, 0)
        elif self._mono is None:
            target = (ctypes.c_char * len(view)).from_buffer(view)
            written = _decode(self._state, packet, length, target, frame_size, 0)
            del target  # release the export so the caller may resize its bytearray
        else:
            written = _decode(self._state, packet, length, self._mono, frame_size, 0)
        if written < 0:
            if written == -2:  # OPUS_BUFFER_TOO_SMALL
                raise ValueError(f"output buffer of {capacity} frames is too small: {written}")
            raise OpusDecodeError(written)
        if self._mono_view is not None:
            stereo = view[: written * _OUT_CHANNELS * _SAMPLE_BYTES].cast("h")
            stereo[0::2] = self._mono_view[:written]
            stereo[1::2] = self._mono_view[:written]
        return written

    def reset(self) -> None:
        """Forget decoder history (OPUS_RESET_STATE): call at a chained link or after a seek."""
        if not self._finalizer.alive:
            raise ValueError("OpusDecoder is closed")
        _check_ctl(
            _decoder_ctl(ctypes.c_void_p(self._state), ctypes.c_int(_OPUS_RESET_STATE)),
            "OPUS_RESET_STATE",
        )

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> OpusDecoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class OpusEncoder:
    """Encodes 48 kHz interleaved s16le PCM, one frame per call (the room source's encoder).

    Not thread-safe. ``lookahead`` is the pre-skip to write in OpusHead.
    """

    def __init__(
        self,
        channels: int = 2,
        bitrate: int = 96_000,
        application: str = "audio",
        frame_ms: float = 20,
    ) -> None:
        if channels not in (1, 2):
            raise ValueError(f"OpusEncoder takes mono or stereo, not {channels} channels")
        if application not in _OPUS_APPLICATIONS:
            raise ValueError(f"application {application!r}: one of {sorted(_OPUS_APPLICATIONS)}")
        if frame_ms not in (2.5, 5, 10, 20, 40, 60):
            raise ValueError(f"frame_ms {frame_ms}: Opus frames are 2.5, 5, 10, 20, 40 or 60 ms")
        self.channels = channels
        self.frame_samples = int(OPUS_RATE * frame_ms / 1000)
        self.frame_bytes = self.frame_samples * channels * _SAMPLE_BYTES
        error = ctypes.c_int()
        state = _encoder_create(
            OPUS_RATE, channels, _OPUS_APPLICATIONS[application], ctypes.byref(error)
        )
        if error.value != 0 or not state:
            raise OpusEncodeError(error.value, "opus_encoder_create")
        self._state = state
        self._finalizer = weakref.finalize(self, _encoder_destroy, state)
        self._packet = (ctypes.c_char * _MAX_PACKET_BYTES)()
        result = _encoder_ctl(
            ctypes.c_void_p(state), ctypes.c_int(_OPUS_SET_BITRATE), ctypes.c_int32(bitrate)
        )
        if result < 0:
            raise OpusEncodeError(result, f"OPUS_SET_BITRATE({bitrate})")

    @property
    def lookahead(self) -> int:
        """Samples of encoder delay: the OpusHead pre-skip for this encoder's stream."""
        value = ctypes.c_int32()
        result = _encoder_ctl(
            ctypes.c_void_p(self._state), ctypes.c_int(_OPUS_GET_LOOKAHEAD), ctypes.byref(value)
        )
        if result < 0:
            raise OpusEncodeError(result, "OPUS_GET_LOOKAHEAD")
        return value.value

    def encode(self, pcm: bytes) -> bytes:
        """One frame of s16le PCM (exactly ``frame_bytes``) to one Opus packet."""
        if not self._finalizer.alive:
            raise ValueError("OpusEncoder is closed")
        if len(pcm) != self.frame_bytes:
            raise ValueError(f"encode takes one {self.frame_bytes}-byte frame, got {len(pcm)}")
        length = _encode(
            self._state, bytes(pcm), self.frame_samples, self._packet, _MAX_PACKET_BYTES
        )
        if length < 0:
            raise OpusEncodeError(length)
        return ctypes.string_at(self._packet, length)

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> OpusEncoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
