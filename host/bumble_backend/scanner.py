"""bleak's scanner interface on the shared bumble stack.

``BleakScanner(backend=BumbleScanner, transport="tcp-client:127.0.0.1:9000")``: every
advertisement the controller reports becomes bleak ``AdvertisementData`` (local name, service
UUIDs, service and manufacturer data, TX power, RSSI); ``BLEDevice.details`` is the bumble
``Address`` (with its type) that :class:`~host.bumble_backend.client.BumbleClient` connects to.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bumble.core import AdvertisingData
from bumble.device import Advertisement

from host.bumble_backend.gatt_tree import uuid_text
from host.bumble_backend.stack import HostStack, open_stack

T = AdvertisingData.Type
SERVICE_UUID_LISTS = (
    T.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    T.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    T.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    T.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    T.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    T.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)
SERVICE_DATA = (T.SERVICE_DATA_16_BIT_UUID, T.SERVICE_DATA_32_BIT_UUID, T.SERVICE_DATA_128_BIT_UUID)


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    data = advertisement.data
    tx_power = data.get(T.TX_POWER_LEVEL)
    return AdvertisementData(
        local_name=data.get(T.COMPLETE_LOCAL_NAME) or data.get(T.SHORTENED_LOCAL_NAME),
        manufacturer_data=dict(data.get_all(T.MANUFACTURER_SPECIFIC_DATA)),
        service_data={
            uuid_text(uuid): value for kind in SERVICE_DATA for uuid, value in data.get_all(kind)
        },
        service_uuids=[
            uuid_text(uuid)
            for kind in SERVICE_UUID_LISTS
            for uuids in data.get_all(kind)
            for uuid in uuids
        ],
        # The AD field is a signed byte; bumble reads it unsigned.
        tx_power=None if tx_power is None else (tx_power - 256 if tx_power > 127 else tx_power),
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        transport: str | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        **kwargs: Any,  # bleak's bluez=/cb=, and client-only options passed to both backends
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._transport = transport
        self._state_dir = state_dir
        self._stack: HostStack | None = None

    async def start(self) -> None:
        stack = await open_stack(self._transport, self._state_dir)
        self.seen_devices = {}
        stack.device.on(stack.device.EVENT_ADVERTISEMENT, self._on_advertisement)
        try:
            await stack.start_scanning(self._active)
        except BaseException:
            stack.device.remove_listener(stack.device.EVENT_ADVERTISEMENT, self._on_advertisement)
            raise
        self._stack = stack

    async def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.device.remove_listener(stack.device.EVENT_ADVERTISEMENT, self._on_advertisement)
            await stack.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        key = str(advertisement.address)
        known = self.seen_devices.get(key)
        # A scan response may carry the name while the advertisement does not: keep it.
        name = adv.local_name or (known[0].name if known else None)
        device = self.create_or_update_device(
            key, advertisement.address.to_string(False), name, advertisement.address, adv
        )
        self.call_detection_callbacks(device, adv)
