"""An adapter that lives in memory: for tests and for embedding the bot in other code."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass

from bot.adapters.base import Adapter, Capabilities, EventSink
from bot.core.events import ButtonAction, ChatRef, Event, SenderRef, event_from_text
from bot.core.replies import Reply


@dataclass(frozen=True, slots=True)
class Sent:
    chat: ChatRef
    reply: Reply


class MemoryAdapter(Adapter):
    platform = "memory"
    capabilities = Capabilities(
        inline_buttons=True, rich_text=True, photos=True, max_text_chars=4096
    )

    def __init__(self, language: str | None = "zh-hans") -> None:
        #: The platform language of simulated users unless a call says otherwise.
        self.language = language
        self.sent: list[Sent] = []
        self.acknowledged: list[ButtonAction] = []
        self._sink: EventSink | None = None
        self._stopped = asyncio.Event()
        self._ids = itertools.count(1)
        # Event ids are unique per platform, so two adapters must not reuse them.
        self._id_prefix = uuid.uuid4().hex[:8]

    async def run(self, sink: EventSink) -> None:
        self._sink = sink
        await self._stopped.wait()

    def attach(self, sink: EventSink) -> None:
        """Deliver to ``sink`` without a running ``run()`` task."""
        self._sink = sink

    async def stop(self) -> None:
        self._stopped.set()

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        self.sent.append(Sent(chat, reply))
        return str(len(self.sent))

    async def acknowledge(self, action: ButtonAction) -> None:
        self.acknowledged.append(action)

    # Driving it -------------------------------------------------------

    async def inject(self, event: Event) -> list[Reply]:
        """Hand ``event`` to the core; returns the replies it produced."""
        if self._sink is None:
            raise RuntimeError("the adapter is not running")
        before = len(self.sent)
        await self._sink(event)
        return [sent.reply for sent in self.sent[before:]]

    def refs(self, user: str, *, private: bool = True) -> tuple[ChatRef, SenderRef]:
        return ChatRef(self.platform, user, private), SenderRef(self.platform, user)

    def next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    async def say(self, text: str, *, user: str = "u1", language: str | None = None) -> list[Reply]:
        chat, sender = self.refs(user)
        return await self.inject(
            event_from_text(
                text,
                chat=chat,
                sender=sender,
                language=language or self.language,
                event_id=self.next_id(),
            )
        )

    async def press(
        self, payload: str, *, user: str = "u1", language: str | None = None
    ) -> list[Reply]:
        chat, sender = self.refs(user)
        return await self.inject(
            ButtonAction(
                chat=chat,
                sender=sender,
                language=language or self.language,
                event_id=self.next_id(),
                payload=payload,
            )
        )
