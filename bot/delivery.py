"""Delivering the outbox: each adapter sends what waits for its platform, every few
seconds, until stopped. A message leaves the database only once sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from bot.core.events import ChatRef
from bot.core.replies import Reply
from storage.outbox import drain

log = logging.getLogger(__name__)

EVERY_SECONDS = 2.0


class OutboxPump:
    def __init__(self, engine: AsyncEngine, adapter: Adapter) -> None:
        self._engine = engine
        self._adapter = adapter
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def once(self) -> int:
        async def send(chat_id: str, body: dict[str, Any]) -> None:
            chat = ChatRef(self._adapter.platform, chat_id, private=False)
            await self._adapter.send(chat, Reply.from_json(body))

        return await drain(self._engine, self._adapter.platform, send)

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.once()
            except Exception as exc:  # the message stays queued; try again next round
                log.warning("outbox delivery failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), EVERY_SECONDS)
