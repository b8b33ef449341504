"""Adapters' stream positions (satisfies ``bot.core.ports.CursorStore``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from storage.models import PlatformCursor
from storage.types import utcnow


class Cursors:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def load(self, platform: str, name: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(PlatformCursor, (platform, name))
            return row.value if row else None

    async def save(self, platform: str, name: str, value: str) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(PlatformCursor, (platform, name))
            if row is None:
                session.add(PlatformCursor(platform=platform, name=name, value=value))
            else:
                row.value, row.updated_at = value, utcnow()
