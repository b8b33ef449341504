"""The unit of work the core opens around each event (satisfies ``bot.core.ports.Unit``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import Conversation, PrivateFlow, ProcessedEvent, UserPreference
from storage.types import UTCDateTime, utcnow


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
        self, key: str, user: str, ttl: timedelta
    ) -> tuple[str | None, str | None, dict[str, Any]]:
        # One round trip for what every event needs: it is on every event's path.
        def field(column: Any) -> Any:
            return select(column).where(Conversation.key == key).scalar_subquery()

        language = select(UserPreference.language).where(UserPreference.key == user)
        row = (
            await self.session.execute(
                select(
                    language.scalar_subquery(),
                    field(Conversation.step),
                    field(Conversation.data),
                    field(Conversation.updated_at),
                )
            )
        ).one()
        preferred, step, data, updated_at = row
        if updated_at is None:
            return preferred, None, {}
        # Scalar subqueries skip the column types' conversions; apply them here.
        updated = UTCDateTime().process_result_value(updated_at, self.session.get_bind().dialect)
        if updated is None or updated < utcnow() - ttl:
            return preferred, None, {}
        stored = json.loads(data) if isinstance(data, str) else data
        return preferred, step, dict(stored or {})

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

    async def load_private(self, keys: Sequence[str], ttl: timedelta) -> tuple[str, str] | None:
        rows = await self.session.scalars(
            select(PrivateFlow).where(
                PrivateFlow.key.in_(list(keys)), PrivateFlow.updated_at >= utcnow() - ttl
            )
        )
        found = {row.key: row.sealed for row in rows}
        return next(((key, found[key]) for key in keys if key in found), None)

    async def save_private(self, key: str, sealed: str | None) -> None:
        row = await self.session.get(PrivateFlow, key)
        if sealed is None:
            if row is not None:
                await self.session.delete(row)
        elif row is None:
            self.session.add(PrivateFlow(key=key, sealed=sealed, updated_at=utcnow()))
        else:
            row.sealed, row.updated_at = sealed, utcnow()

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
