"""Messages to chats other than the one being answered (the moderators' room,
subscribers), kept in the database until their platform's adapter sends them, so a
crash loses none.

Replies go before announcements before alerts before broadcasts. A message that fails
is retried with a growing pause and, after ``max_attempts``, or at once when the
platform refuses it for good, marked failed with the reason; either way the messages
behind it go on. ``candibot outbox status`` counts them, ``outbox retry --failed``
queues the failed ones again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import OutboxKind, OutboxMessage
from storage.types import utcnow

PRIORITY = {kind: n for n, kind in enumerate(OutboxKind)}
#: Attempts before a message that keeps failing is given up.
MAX_ATTEMPTS = 8
#: The pause after the n-th failure: 2^n seconds, at most this long.
LONGEST_PAUSE = timedelta(minutes=10)
REASON_CHARS = 255


class Refused(Exception):
    """The platform will never take this message. ``gone``: the chat is gone for the
    bot (blocked, deleted), so ``on_gone`` is told, to forget what was kept for it."""

    def __init__(self, reason: str, *, gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gone = gone


async def enqueue(
    session: AsyncSession,
    platform: str,
    chat_id: str,
    body: dict[str, Any],
    kind: OutboxKind = OutboxKind.announcement,
    *,
    not_before: datetime | None = None,
) -> None:
    """Queue a message inside the caller's transaction: it exists only if that commits;
    with ``not_before``, it waits until then."""
    session.add(
        OutboxMessage(
            platform=platform, chat_id=chat_id, body=body, kind=kind, priority=PRIORITY[kind],
            not_before=not_before,
        )
    )  # fmt: skip


Send = Callable[[str, dict[str, Any]], Awaitable[object]]
OnGone = Callable[[AsyncSession, str, str], Awaitable[object]]


def pause_after(attempts: int) -> timedelta:
    return min(timedelta(seconds=2**attempts), LONGEST_PAUSE)


async def drain(
    engine: AsyncEngine,
    platform: str,
    send: Send,
    limit: int = 20,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    on_gone: OnGone | None = None,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Send what waits for ``platform``, most urgent first, one message per transaction;
    returns how many were sent. Several workers may drain at once: each skips rows
    another has locked."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    sent = tried = 0
    while tried < limit:
        tried += 1
        async with sessions() as session, session.begin():
            moment = now()
            message = await session.scalar(
                select(OutboxMessage)
                .where(
                    OutboxMessage.platform == platform,
                    OutboxMessage.failed.is_(None),
                    or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= moment),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                return sent
            try:
                await send(message.chat_id, message.body)
            except Refused as refused:
                message.failed = refused.reason[:REASON_CHARS]
                if refused.gone and on_gone is not None:
                    await on_gone(session, message.platform, message.chat_id)
                continue
            except Exception as exc:  # may pass: try again later, then give up
                message.attempts += 1
                if message.attempts >= max_attempts:
                    reason = f"gave up after {message.attempts} attempts: {type(exc).__name__}"
                    message.failed = reason[:REASON_CHARS]
                else:
                    message.not_before = moment + pause_after(message.attempts)
                continue
            await session.delete(message)
        sent += 1
    return sent


@dataclass(frozen=True, slots=True)
class QueueCount:
    platform: str
    kind: str
    waiting: int
    failed: int


async def status(session: AsyncSession) -> list[QueueCount]:
    """How many messages wait and how many failed, by platform and kind."""
    failed = func.count(OutboxMessage.failed)
    rows = await session.execute(
        select(OutboxMessage.platform, OutboxMessage.kind, func.count(), failed)
        .group_by(OutboxMessage.platform, OutboxMessage.kind)
        .order_by(OutboxMessage.platform, OutboxMessage.kind)
    )
    return [QueueCount(p, k, int(total) - int(bad), int(bad)) for p, k, total, bad in rows]


async def failures(session: AsyncSession, limit: int = 20) -> list[tuple[str, str, str]]:
    """(platform, kind, reason) of the latest failed messages; no chat, no text."""
    rows = await session.execute(
        select(OutboxMessage.platform, OutboxMessage.kind, OutboxMessage.failed)
        .where(OutboxMessage.failed.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return [(p, k, str(reason)) for p, k, reason in rows]


async def retry_failed(session: AsyncSession) -> int:
    """Queue every failed message again, from its first attempt; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.failed.is_not(None))
        .values(failed=None, attempts=0, not_before=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
