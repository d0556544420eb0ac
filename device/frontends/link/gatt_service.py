"""The unit's GATT service (UUIDs in ``device.protocol.gatt``) as bumble attributes, guarded.

Every characteristic value and the EVENTS client configuration descriptor (CCCD) carry
bumble's "requires encryption" permission, so an unencrypted phone gets ATT 0x0F
(insufficient encryption) and its OS starts pairing. bumble's own "authenticated" flag is
set by any encryption, even Just Works, so each callback also asks the link server's
``guard``, which raises ATT 0x05 (insufficient authentication) unless the link is encrypted
by a bonded phone's keys. bumble would add an unguarded CCCD by itself: a guarded one is
supplied instead. Each attribute has both callbacks, the unused one answering "not
permitted": without a callback bumble sends no ATT response at all and the phone waits 30 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bumble import att, gatt

from device.protocol.gatt import AUDIO_UUID, COMMAND_UUID, EVENTS_UUID, SERVICE_UUID

ENCRYPTED_ACCESS = (
    att.Attribute.READABLE
    | att.Attribute.WRITEABLE
    | att.Attribute.READ_REQUIRES_ENCRYPTION
    | att.Attribute.WRITE_REQUIRES_ENCRYPTION
)
Properties = gatt.Characteristic.Properties

Guard = Callable[[Any], None]  # raises att.ATT_Error when the connection may not use the service
Writer = Callable[[Any, bytes], None]  # (connection, value); must not raise


@dataclass
class LinkService:
    service: gatt.Service
    events: gatt.Characteristic


def build_service(server: Any, guard: Guard, on_command: Writer, on_audio: Writer) -> LinkService:
    """``server`` is the device's bumble GATT server, which keeps the subscription state."""
    command = _characteristic(
        COMMAND_UUID, Properties.WRITE | Properties.WRITE_WITHOUT_RESPONSE, guard, write=on_command
    )
    audio = _characteristic(
        AUDIO_UUID, Properties.WRITE_WITHOUT_RESPONSE | Properties.WRITE, guard, write=on_audio
    )
    events = _characteristic(EVENTS_UUID, Properties.NOTIFY, guard)
    events.descriptors = [_guarded_cccd(server, events, guard)]
    return LinkService(gatt.Service(SERVICE_UUID, [command, events, audio]), events)


def _characteristic(
    uuid: str, properties: Properties, guard: Guard, write: Writer | None = None
) -> gatt.Characteristic:
    def read_value(connection: Any) -> bytes:
        guard(connection)
        raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)

    def write_value(connection: Any, value: bytes) -> None:
        guard(connection)
        if write is None:
            raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)
        write(connection, value)

    value = gatt.CharacteristicValue(read=read_value, write=write_value)
    return gatt.Characteristic(uuid, properties, ENCRYPTED_ACCESS, value)


def _guarded_cccd(
    server: Any, characteristic: gatt.Characteristic, guard: Guard
) -> gatt.Descriptor:
    def read_cccd(bearer: Any) -> bytes:
        guard(_connection_of(bearer))
        return server.read_cccd(bearer, characteristic)

    def write_cccd(bearer: Any, value: bytes) -> None:
        guard(_connection_of(bearer))
        if len(value) != 2:
            raise att.ATT_Error(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH)
        server.write_cccd(bearer, characteristic, value)

    return gatt.Descriptor(
        gatt.GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
        ENCRYPTED_ACCESS,
        att.AttributeValueV2(read=read_cccd, write=write_cccd),
    )


def _connection_of(bearer: Any) -> Any:
    return bearer.connection if att.is_enhanced_bearer(bearer) else bearer


def is_subscribed(server: Any, connection: Any, characteristic: gatt.Characteristic) -> bool:
    """Has this connection enabled notifications of ``characteristic``?"""
    cccd = server.subscribers.get(connection, {}).get(characteristic.handle)
    return bool(cccd) and len(cccd) == 2 and bool(cccd[0] & 0x01)
