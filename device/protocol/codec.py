"""One codec for every transport: compact UTF-8 JSON objects.

Wire shapes (``v`` is the protocol version):

* command ``{"v":1,"c":"volume","id":7,"a":{"percent":40}}``
* reply   ``{"v":1,"ok":{...},"re":7}`` or ``{"v":1,"err":{"code":..,"msg":..},"re":7}``
* event   ``{"v":1,"e":"now","a":{"artist":..,"title":..}}``

JSON keeps the protocol inspectable with ``drivetime-unit ctl watch`` and any BLE sniffer;
defaults are left out and keys are short, so a typical command fits in one or two 20-byte
BLE fragments.
"""

from __future__ import annotations

import json
import math
from typing import Any

from device.protocol.errors import ErrorCode, ProtocolError
from device.protocol.framing import MAX_MESSAGE_BYTES
from device.protocol.messages import (
    PROTOCOL_VERSION,
    Command,
    Error,
    Event,
    Message,
    Ok,
)
from device.protocol.registry import COMMANDS, EVENTS


def encode_message(message: Message) -> bytes:
    body: dict[str, Any] = {"v": PROTOCOL_VERSION}
    if isinstance(message, Command):
        body["c"] = message.name
        body["id"] = message.id
    elif isinstance(message, Event):
        body["e"] = message.name
    elif isinstance(message, Ok):
        body["ok"] = message.data
        body["re"] = message.re
    elif isinstance(message, Error):
        body["err"] = {"code": message.code, "msg": message.msg}
        body["re"] = message.re
    else:
        raise TypeError(f"not a protocol message: {message!r}")
    args = message.args() if isinstance(message, Command | Event) else {}
    if args:
        body["a"] = args
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message is {len(data)} bytes")
    return data


def decode_message(data: bytes) -> Message:
    """Decode one message; raise ProtocolError with a clear code and text on any defect."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message is {len(data)} bytes")
    try:
        text = data.decode("utf-8")
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"not a JSON message: {exc}") from None
    except RecursionError:
        # Thousands of nested brackets fit in 4096 bytes; the parser recurses per level.
        raise ProtocolError(ErrorCode.MALFORMED, "JSON nested too deeply") from None
    if "\\ud" in text.lower():
        _refuse_lone_surrogates(body)
    if not isinstance(body, dict):
        raise ProtocolError(ErrorCode.MALFORMED, "a message must be a JSON object")
    version = body.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.VERSION, f"protocol version {version!r} is not {PROTOCOL_VERSION}"
        )
    args = body.get("a", {})
    if not isinstance(args, dict):
        raise ProtocolError(ErrorCode.MALFORMED, "'a' must be an object")
    if "c" in body:
        return _build(COMMANDS, body["c"], {**args, "id": body.get("id", 0)})
    if "e" in body:
        return _build(EVENTS, body["e"], args)
    if "ok" in body:
        return _build({"ok": Ok}, "ok", {"data": body["ok"], "re": body.get("re", 0)})
    if "err" in body:
        err = body["err"]
        if not isinstance(err, dict):
            raise ProtocolError(ErrorCode.MALFORMED, "'err' must be an object")
        return _build({"err": Error}, "err", {**err, "re": body.get("re", 0)})
    raise ProtocolError(ErrorCode.MALFORMED, "message has none of c, e, ok, err")


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(ErrorCode.MALFORMED, f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolError(ErrorCode.MALFORMED, f"number {text[:20]} is out of range")
    return value


def _refuse_lone_surrogates(body: Any) -> None:
    """A \\ud800-style escape without its pair decodes to text that is not Unicode: it could
    never be sent on (UTF-8 cannot encode it), so it is refused here rather than later."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(ErrorCode.MALFORMED, "text with an unpaired surrogate escape") from None
    except RecursionError:
        raise ProtocolError(ErrorCode.MALFORMED, "JSON nested too deeply") from None


def _build(kinds: dict[str, type[Message]], name: Any, args: dict[str, Any]) -> Message:
    kind = kinds.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ProtocolError(ErrorCode.UNKNOWN, f"unknown message {name!r}")
    try:
        return kind(**args)
    except TypeError as exc:
        # Unknown or misspelt argument names surface here.
        raise ProtocolError(ErrorCode.BAD_ARGUMENT, f"{name}: {exc}") from None
