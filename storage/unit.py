"""The unit of work the core opens around each event (satisfies ``bot.core.ports.Unit``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import Conversation, PrivateFlow, ProcessedEvent, UserPreference
from storage.types import utcnow


async def insert_ignore(session: AsyncSession, model: type[Any], **values: Any) -> bool:
    """INSERT unless the primary key exists; True if a row was inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


class StoreUnit:
    """One transaction; handlers reach the database through ``session``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def lock_conversation(self, key: str) -> None:
        if self.dialect == "postgresql":
            # An advisory lock writes nothing: a conversation leaves no row behind
            # just by being locked. SQLite's BEGIN IMMEDIATE already serialises.
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": advisory_id(key)}
            )

    async def claim_event(self, key: str) -> bool:
        return await insert_ignore(self.session, ProcessedEvent, key=key, day=utcnow().date())

    async def load_conversation(
        self, key: str, ttl: timedelta
    ) -> tuple[str | None, dict[str, Any]]:
        row = await self.session.get(Conversation, key)
        if row is None or row.updated_at < utcnow() - ttl:
            return None, {}
        return row.step, dict(row.data)

    async def save_conversation(self, key: str, step: str | None, data: dict[str, Any]) -> None:
        if step is None and not data:
            await self.session.execute(delete(Conversation).where(Conversation.key == key))
            return
        row = await self.session.get(Conversation, key)
        if row is None:
            row = Conversation(key=key)
            self.session.add(row)
        row.step = step
        row.data = data
        row.updated_at = utcnow()

    async def load_private(self, key: str, ttl: timedelta) -> str | None:
        row = await self.session.get(PrivateFlow, key)
        if row is None or row.updated_at < utcnow() - ttl:
            return None
        return row.sealed

    async def save_private(self, key: str, sealed: str | None) -> None:
        row = await self.session.get(PrivateFlow, key)
        if sealed is None:
            if row is not None:
                await self.session.delete(row)
        elif row is None:
            self.session.add(PrivateFlow(key=key, sealed=sealed, updated_at=utcnow()))
        else:
            row.sealed, row.updated_at = sealed, utcnow()

    async def load_language(self, user: str) -> str | None:
        row = await self.session.get(UserPreference, user)
        return row.language if row else None

    async def save_language(self, user: str, language: str) -> None:
        row = await self.session.get(UserPreference, user)
        if row is None:
            self.session.add(UserPreference(key=user, language=language))
        else:
            row.language = language


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
