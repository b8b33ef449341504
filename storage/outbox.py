"""Messages to chats other than the one being answered (the moderators' room), kept in
the database until their platform's adapter sends them, so a crash loses none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import OutboxMessage


async def enqueue(session: AsyncSession, platform: str, chat_id: str, body: dict[str, Any]) -> None:
    """Queue a message inside the caller's transaction: it exists only if that commits."""
    session.add(OutboxMessage(platform=platform, chat_id=chat_id, body=body))


async def drain(
    engine: AsyncEngine,
    platform: str,
    send: Callable[[str, dict[str, Any]], Awaitable[object]],
    limit: int = 20,
) -> int:
    """Send what waits for ``platform``, oldest first, one message per transaction: a
    message is deleted only once sent, and a failure leaves it (and the rest) for the next
    round. Several workers may drain at once: each skips rows another has locked."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    sent = 0
    while sent < limit:
        async with sessions() as session, session.begin():
            message = await session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.platform == platform)
                .order_by(OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                return sent
            await send(message.chat_id, message.body)
            await session.delete(message)
        sent += 1
    return sent
