"""The unit of work the core opens around each event (satisfies ``bot.core.ports.Unit``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.event_sql import CLAIM, LOCK, SAVES
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class EventState:
    """What ``StoreUnit.begin_event`` read (satisfies ``bot.core.ports.Stored``)."""

    language: str | None
    step: str | None
    data: dict[str, Any]


class StoreUnit:
    """One transaction; handlers reach the database through ``session``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def begin_event(
        self,
        *,
        event: str,
        conversation: str,
        user: str,
        state_ttl: timedelta,
    ) -> EventState | None:
        """See ``bot.core.ports.Unit``: one round trip on SQLite, two on PostgreSQL."""
        now = utcnow()
        values = {
            "event": event,
            "day": now.date(),
            "conversation": conversation,
            "user": user,
            "state_cut": now - state_ttl,
        }
        # Below the ORM: these rows are never objects, and its bookkeeping is per call.
        connection = await self.session.connection()
        if self.dialect == "postgresql":
            # An advisory lock writes nothing: a conversation leaves no row behind
            # just by being locked. It comes first, in its own statement, so that the
            # reads below see what the previous holder committed. (SQLite's BEGIN
            # IMMEDIATE already serialises writers.)
            await connection.execute(LOCK, {"id": advisory_id(conversation)})
        row = (await connection.execute(CLAIM, values)).first()
        if row is None:  # the event's record was there already
            return None
        if row.data is None:  # no conversation, or one that has ended
            return EventState(row.language, None, {})
        return EventState(row.language, row.step, dict(row.data))

    async def save_conversation(self, key: str, step: str | None, data: dict[str, Any]) -> None:
        if step is None and not data:
            await self.session.execute(SAVES.forget_conversation, {"key": key})
            return
        values = {"key": key, "step": step, "data": data, "now": utcnow()}
        await self.session.execute(SAVES.conversation, values)

    async def save_language(self, user: str, language: str) -> None:
        await self.session.execute(SAVES.language, {"key": user, "language": language})

    async def forget(self, conversation: str, user: str) -> None:
        await self.session.execute(SAVES.forget_conversation, {"key": conversation})
        await self.session.execute(SAVES.forget_language, {"key": user})

    async def keep_replies(self, event: str, sealed: str) -> None:
        await self.session.execute(SAVES.keep_replies, {"key": event, "replies": sealed})

    async def kept_replies(self, event: str) -> str | None:
        found = await self.session.scalar(SAVES.kept_replies, {"key": event})
        return str(found) if found is not None else None

    async def forget_replies(self, events: Sequence[str]) -> None:
        await self.session.execute(SAVES.forget_replies, [{"key": key} for key in events])


def advisory_id(key: str) -> int:
    """A PostgreSQL advisory lock id (signed 64 bits) from a hex pseudonym."""
    return int(key[:16], 16) - (1 << 63)


def unit_factory(engine: AsyncEngine) -> Any:
    """A callable opening one ``StoreUnit`` per event: commit on success, rollback on error."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def open_unit() -> AsyncIterator[StoreUnit]:
        async with sessions() as session, session.begin():
            yield StoreUnit(session)

    return open_unit
