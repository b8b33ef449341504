"""Delivering the outbox: each adapter sends what waits for its platform until stopped,
without a pause while messages are due, and looks again every few seconds once none
are. A message leaves the database only once sent; one the platform refuses for good
(or that cannot be read) is marked failed with the reason, and a chat that is gone for
the bot loses its subscriptions.

A few messages are sent at a time (``SENDERS``), so that one waiting for its turn under
the platform's limits, or for a slow answer, does not leave the rest of the budget
unused; the adapter paces them (Telegram: ``bot.adapters.telegram.flood``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter, Undeliverable
from bot.core.events import ChatRef
from bot.core.replies import Reply
from storage.outbox import MAX_ATTEMPTS, Refused, drain
from storage.subscriptions import forget_chat

log = logging.getLogger(__name__)

EVERY_SECONDS = 2.0
#: Messages sent at a time by one worker.
SENDERS = 4
#: Messages taken per round: enough to keep the senders busy for about a second at
#: Telegram's pace, few enough that a more urgent message queued meanwhile waits
#: little.
ROUND = 32


class OutboxPump:
    def __init__(
        self, engine: AsyncEngine, adapter: Adapter, *, attempts: int = MAX_ATTEMPTS
    ) -> None:
        self._engine = engine
        self._adapter = adapter
        self._attempts = attempts
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Messages this pump has sent since it started.
        self.delivered = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def once(self) -> int:
        async def send(chat_id: str, body: dict[str, Any]) -> None:
            chat = ChatRef(self._adapter.platform, chat_id, private=False)
            try:
                reply = Reply.from_json(body)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise Refused(f"malformed payload: {type(exc).__name__}") from exc
            if not reply.text.plain.strip() and reply.image is None:
                raise Refused("malformed payload: nothing to say")
            try:
                await self._adapter.send(chat, reply)
            except Undeliverable as refused:
                raise Refused(refused.reason, gone=refused.gone) from refused

        sent = await drain(self._engine, self._adapter.platform, send, ROUND,
                           max_attempts=self._attempts, on_gone=forget_chat,
                           senders=SENDERS)  # fmt: skip
        self.delivered += sent
        return sent

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = await self.once()
            except Exception as exc:  # the message stays queued; try again next round
                log.warning("outbox delivery failed: %s", type(exc).__name__)
                sent = 0
            if sent:
                continue  # more may be due: no pause while the queue is being worked
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), EVERY_SECONDS)
