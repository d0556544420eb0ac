"""A phone in its own process: ``python -m tests.link.phone_process PORT UNIT_ADDRESS``.

Connects to the unit through the virtual radio's phone port, prints ``connected`` and waits
to be killed, as a phone app that crashes or a phone that leaves the car would.
"""

from __future__ import annotations

import asyncio
import sys

from tests.link.phone import BumblePhone


async def main(port: int, unit_address: str) -> None:
    phone = await BumblePhone(port).start()
    await phone.connect(unit_address)
    print("connected", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
