"""The unit's GATT service: the UUIDs and roles both sides agree on.

One primary service, advertised with the short name so a phone finds the unit by scanning:

* ``COMMAND`` — the phone writes command fragments here (write, or write without response);
* ``EVENTS`` — the unit notifies reply and event fragments here (replies to this phone's
  commands, and player events once subscribed: a subscription is a ``watch``);
* ``AUDIO`` — the phone writes relayed Opus audio here (write without response), one
  fragment stream of relay frames, when the unit has no network of its own.

Every characteristic and its client configuration descriptor needs an encrypted link with a
bonded, MITM-authenticated phone (LE Secure Connections, numeric comparison). Messages are
the protocol's compact JSON split by :func:`device.protocol.framing.fragment` at the link's
ATT MTU - 3 (20 bytes at the 23-byte minimum).
"""

from __future__ import annotations

SERVICE_UUID = "6d3e0001-2b1c-4f6a-9d2e-5c0a1e4b7d10"
COMMAND_UUID = "6d3e0002-2b1c-4f6a-9d2e-5c0a1e4b7d10"
EVENTS_UUID = "6d3e0003-2b1c-4f6a-9d2e-5c0a1e4b7d10"
AUDIO_UUID = "6d3e0004-2b1c-4f6a-9d2e-5c0a1e4b7d10"
ADVERTISED_NAME = "Drivetime"
