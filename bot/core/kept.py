"""Replies kept until they are sent, so that a crash between an event's commit and its
replies loses none.

Platforms deliver an event again until the bot has finished with it (Telegram's
offset, Matrix's sync token and webhook retries all move on only afterwards). The
event's record makes the second delivery a no-op; what the first one decided to say is
kept, and the second delivery sends it instead of nothing.

Where replies are kept depends on what they say:

- Ordinary replies (a search, a profile, a subscription) go into the database in the
  event's own transaction, sealed under a key made from the event itself: platform,
  chat, sender and event id, none of which the database holds. Only the event
  delivered again opens them.
- Replies that touch something secret (a report's steps, a receipt, ``/status``, any
  event whose handler called ``ctx.protect``) never reach a disk: they wait in the
  ``Ephemeral`` store, sealed under the hour's secret. With that store in this
  process's memory, a kill loses them; with Redis, the next worker sends them.

Once sent, kept replies are forgotten, a second's worth at a time, in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace

from bot.core.ephemeral import DraftSlot
from bot.core.ports import Ephemeral, Unit
from bot.core.replies import Reply
from bot.core.sealing import seal, unseal

log = logging.getLogger(__name__)

#: How long sent replies wait before being forgotten together.
FORGET_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class Keeping:
    """Where one event's replies are kept: the database or the ephemeral store."""

    event: str
    #: The key that seals them in the database; None when they are kept off the disk.
    seal: bytes | None
    #: The ephemeral store's slots (this hour's first) when they are kept there.
    slots: tuple[DraftSlot, ...] = ()

    @property
    def on_disk(self) -> bool:
        return self.seal is not None

    def ephemeral_key(self, slot: DraftSlot) -> str:
        return f"{slot.key}:reply:{self.event}"


def pack(replies: list[Reply]) -> list[dict[str, object]]:
    return [reply.to_json() for reply in replies]


def unpack(value: object) -> list[Reply]:
    if not isinstance(value, list):
        return []
    return [Reply.from_json(item) for item in value if isinstance(item, dict)]


class KeptReplies:
    """Keeps replies until sent (``keep``), finds them for a redelivered event
    (``find``) and forgets them in batches once sent (``sent``)."""

    def __init__(
        self,
        ephemeral: Ephemeral,
        units: Callable[[], AbstractAsyncContextManager[Unit]],
        turn: Callable[[], AbstractAsyncContextManager[object]],
        ttl: float,
    ) -> None:
        self._ephemeral = ephemeral
        self._units = units
        self._turn = turn
        self._ttl = ttl
        self._sent: dict[str, None] = {}
        self._flush: asyncio.Task[None] | None = None

    async def keep(
        self, unit: Unit, keeping: Keeping, replies: list[Reply], *, secret: bool
    ) -> Keeping | None:
        """Inside the event's transaction, before it commits; ``secret`` replies stay off
        the disk. Returns where they were kept, for ``sent``."""
        if not replies:
            return None
        if keeping.seal is not None and not secret:
            await unit.keep_replies(keeping.event, seal(keeping.seal, pack(replies)))
            return keeping
        current = keeping.slots[0]
        sealed = seal(current.seal, pack(replies)).encode()
        await self._ephemeral.put(keeping.ephemeral_key(current), sealed, self._ttl)
        return replace(keeping, seal=None)

    async def find(self, unit: Unit, keeping: Keeping) -> tuple[list[Reply], Keeping | None]:
        """What was kept for an event delivered again, and where; nothing if it was sent."""
        if keeping.event in self._sent:  # sent by this process, not yet forgotten
            return [], None
        if keeping.seal is not None:
            sealed = await unit.kept_replies(keeping.event)
            found = unseal(keeping.seal, sealed) if sealed else None
            if found is not None:
                return unpack(found), keeping
        for slot in keeping.slots:
            stored = await self._ephemeral.get(keeping.ephemeral_key(slot))
            found = unseal(slot.seal, stored.decode()) if stored else None
            if found is not None:
                return unpack(found), replace(keeping, seal=None)
        return [], None

    async def sent(self, keeping: Keeping) -> None:
        """The replies are out: forget them (soon, with others, when on disk)."""
        if not keeping.on_disk:
            for slot in keeping.slots:
                await self._ephemeral.delete(keeping.ephemeral_key(slot))
            return
        self._sent[keeping.event] = None
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._forget_later())

    async def _forget_later(self) -> None:
        await asyncio.sleep(FORGET_EVERY)
        await self.forget_sent()

    async def forget_sent(self) -> None:
        batch, self._sent = list(self._sent), {}
        if not batch:
            return
        try:
            async with self._turn(), self._units() as unit:
                await unit.forget_replies(batch)
        except Exception as exc:  # kept ones are pruned with the events' records
            log.warning("forgetting sent replies failed: %s", type(exc).__name__)

    async def close(self) -> None:
        """Forget what was sent, now: the process is stopping."""
        if self._flush is not None and not self._flush.done():
            self._flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush
        await self.forget_sent()
