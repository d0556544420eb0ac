"""Fixtures for the link tests: a unit on the virtual radio with a fake engine behind it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device.frontends.link import LinkServer, PairingPrompt
from device.protocol import Command, Message, Ok
from tests.link.phone import BumblePhone, PhoneSettings

RUN_TIMEOUT_S = 20.0


def run(scenario: Awaitable[Any], timeout: float = RUN_TIMEOUT_S) -> Any:
    return asyncio.run(asyncio.wait_for(scenario, timeout))


@dataclass
class Unit:
    """A link server with a fake engine: executed commands and shown prompts are recorded."""

    state_dir: Path
    executed: list[Command] = field(default_factory=list)
    prompts: list[PairingPrompt] = field(default_factory=list)
    results: list[tuple[str, bool]] = field(default_factory=list)
    windows: list[bool] = field(default_factory=list)  # the pairing window opening, closing
    audio: list[bytes] = field(default_factory=list)
    answer: bool | None = True  # the driver's answer to every prompt; None: no answer
    reply: Callable[[Command], Any] | None = None  # a Message (or awaitable), not Ok "did"
    server: LinkServer | None = None

    async def execute(self, command: Command) -> Message:
        self.executed.append(command)
        if self.reply is not None:
            reply = self.reply(command)
            return await reply if inspect.isawaitable(reply) else reply
        return Ok(re=command.id, data={"did": command.name})

    def on_pairing(self, prompt: PairingPrompt) -> None:
        self.prompts.append(prompt)
        if self.answer is not None:
            assert self.server is not None
            answer = self.answer
            asyncio.get_running_loop().call_soon(self.server.confirm_pairing, answer)

    async def start(self, **options: Any) -> LinkServer:
        return await self.start_spec("virtual", **options)

    async def start_spec(self, spec: str, **options: Any) -> LinkServer:
        self.server = LinkServer(
            spec,
            execute=self.execute,
            state_dir=self.state_dir,
            on_pairing=self.on_pairing,
            on_pairing_done=lambda address, paired: self.results.append((address, paired)),
            on_pairing_window=self.windows.append,
            on_audio=self.audio.append,
            **options,
        )
        await self.server.start()
        return self.server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def pair_phone(self, settings: PhoneSettings | None = None) -> BumblePhone:
        """A phone paired with the driver's yes, discovered and subscribed to EVENTS."""
        assert self.server is not None
        self.server.open_pairing_window()
        phone = await BumblePhone(self.server.phone_port, settings).start()
        return await phone.ready(self.server.address)

    async def serve(self, body: Callable[[Unit], Awaitable[Any]], **options: Any) -> Any:
        """Start the unit, run ``body(unit)``, stop the unit; returns what ``body`` returned."""
        await self.start(**options)
        try:
            return await body(self)
        finally:
            await self.stop()
