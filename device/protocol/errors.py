"""Protocol errors: one exception type carrying a stable, machine-readable code."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    MALFORMED = "malformed"  # not a decodable message at all
    VERSION = "version"  # sender speaks another protocol version
    UNKNOWN = "unknown"  # unknown command or event name
    BAD_ARGUMENT = "bad_argument"  # known command, invalid argument
    TOO_LARGE = "too_large"  # frame or message exceeds the limit
    REFUSED = "refused"  # valid, but not possible now (e.g. resume with no room)
    INTERNAL = "internal"  # the engine failed; the message says how


class ProtocolError(ValueError):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
