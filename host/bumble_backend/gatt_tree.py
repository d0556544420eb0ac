"""bumble's discovered GATT proxies as bleak's BleakGATTServiceCollection.

Each bleak object keeps its bumble proxy in ``obj``; handles are the value handles that reads,
writes and subscriptions address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bumble import core
from bumble.gatt_client import ServiceProxy

ATT_HEADER_BYTES = 3


def uuid_text(bumble_uuid: core.UUID) -> str:
    """bleak's spelling: the full 128-bit form, lower case."""
    return str(uuid.UUID(bytes=bytes(reversed(bumble_uuid.to_bytes(force_128=True)))))


def property_names(properties: int) -> list[CharacteristicPropertyName]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if properties & bit]


def service_collection(
    services: Iterable[ServiceProxy], mtu: Callable[[], int], wanted: set[str] | None = None
) -> BleakGATTServiceCollection:
    """``wanted``: bleak's optional service filter (normalised UUID strings)."""
    collection = BleakGATTServiceCollection()
    for proxy in services:
        service = BleakGATTService(proxy, proxy.handle, uuid_text(proxy.uuid))
        if wanted is not None and service.uuid not in wanted:
            continue
        collection.add_service(service)
        for char_proxy in proxy.characteristics:
            characteristic = BleakGATTCharacteristic(
                char_proxy,
                char_proxy.handle,
                uuid_text(char_proxy.uuid),
                property_names(char_proxy.properties),
                lambda: mtu() - ATT_HEADER_BYTES,
                service,
            )
            collection.add_characteristic(characteristic)
            for descriptor in char_proxy.descriptors:
                collection.add_descriptor(
                    BleakGATTDescriptor(
                        descriptor, descriptor.handle, uuid_text(descriptor.type), characteristic
                    )
                )
    return collection
