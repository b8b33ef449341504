"""What ``/healthz`` and ``/metrics`` read from the database: that it answers, and how
much waits in the outbox and since when. Counts and ages only: no chat, no text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import OutboxMessage


@dataclass(frozen=True)
class Backlog:
    """Messages of one platform and kind waiting to be sent (not failed)."""

    platform: str
    kind: str
    waiting: int
    #: When the oldest of them was queued.
    oldest: datetime


async def ping(engine: AsyncEngine) -> None:
    """Raises unless the database answers a query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def backlog(engine: AsyncEngine) -> list[Backlog]:
    """The outbox's waiting messages by platform and kind, with the oldest's time."""
    query = (
        select(
            OutboxMessage.platform,
            OutboxMessage.kind,
            func.count(),
            func.min(OutboxMessage.created_at),
        )
        .where(OutboxMessage.failed.is_(None))
        .group_by(OutboxMessage.platform, OutboxMessage.kind)
        .order_by(OutboxMessage.platform, OutboxMessage.kind)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [Backlog(platform, kind, count, oldest) for platform, kind, count, oldest in rows]
