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

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import OutboxKind, OutboxMessage, Subscription
from storage.types import UTCDateTime, utcnow

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


async def queue_for_followers(
    session: AsyncSession,
    where: ColumnElement[bool],
    bodies: Mapping[str, dict[str, Any]],
    kind: OutboxKind,
    *,
    not_before: datetime | None = None,
) -> int:
    """Queue one message for each chat that has a subscription ``where`` selects, in the
    caller's transaction, as one ``INSERT … SELECT``: 100,000 followers are one
    statement, not 100,000. The body is the one of ``bodies`` for the language of the
    chat's first such subscription (the first body for a language it lacks). Returns
    how many were queued."""
    if not bodies:
        return 0
    first = (
        select(func.min(Subscription.id))
        .where(where)
        .group_by(Subscription.platform, Subscription.chat_id)
    )
    options = [bindparam(None, body, type_=OutboxMessage.body.type) for body in bodies.values()]
    body = case(
        *((Subscription.language == language, option)
          for language, option in zip(bodies, options, strict=True)),
        else_=options[0],
    )  # fmt: skip
    rows = select(
        Subscription.platform,
        Subscription.chat_id,
        body,
        literal(str(kind), String),
        literal(PRIORITY[kind], Integer),
        literal(0, Integer),
        literal(not_before, UTCDateTime) if not_before is not None else null(),
        literal(utcnow(), UTCDateTime),
    ).where(Subscription.id.in_(first))
    columns = ["platform", "chat_id", "body", "kind", "priority", "attempts", "not_before",
               "created_at"]  # fmt: skip
    result = await session.execute(insert(OutboxMessage).from_select(columns, rows))
    return int(getattr(result, "rowcount", 0) or 0)


Send = Callable[[str, dict[str, Any]], Awaitable[object]]
OnGone = Callable[[AsyncSession, str, str], Awaitable[object]]


def pause_after(attempts: int) -> timedelta:
    return min(timedelta(seconds=2**attempts), LONGEST_PAUSE)


@dataclass(frozen=True, slots=True)
class _Due:
    """A message taken to be sent: what the sender needs, without the ORM."""

    id: int
    platform: str
    chat_id: str
    body: dict[str, Any]
    attempts: int


#: What sending came to: None (sent), a refusal for good, or an error that may pass.
_Outcome = Refused | Exception | None


_DUE_COLUMNS = (OutboxMessage.id, OutboxMessage.platform, OutboxMessage.chat_id,
                OutboxMessage.body, OutboxMessage.attempts)  # fmt: skip


def _due(platform: str, moment: datetime) -> Select[tuple[int, str, str, Any, int]]:
    """The messages due for ``platform``, most urgent first: read from the queue's index
    (platform, priority, id) in its order, so that taking the first few, even past
    rows other workers hold, never sorts the queue."""
    return (
        select(*_DUE_COLUMNS)
        .where(
            OutboxMessage.platform == platform,
            OutboxMessage.failed.is_(None),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= moment),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
    )


#: For the claiming transaction on PostgreSQL: no plan that sorts the queue. A broadcast
#: fills an outbox the statistics still call empty (autovacuum's ANALYZE comes later);
#: the planner then reads every waiting message and sorts them, on disk, for each claim
#: (2.5 s at 100,000, against 0.05 ms), and SKIP LOCKED can only skip rows after that
#: sort. Without sorts, the ordered read of the queue's index is the only plan left.
IN_INDEX_ORDER = text("SELECT set_config('enable_sort', 'off', true)")


def claim(platform: str, moment: datetime) -> Select[tuple[int, str, str, Any, int]]:
    """The first due message no other worker holds, locked until the transaction ends."""
    return _due(platform, moment).limit(1).with_for_update(skip_locked=True)


async def _attempt(send: Send, message: _Due) -> _Outcome:
    try:
        await send(message.chat_id, message.body)
    except Refused as refused:
        return refused
    except Exception as exc:  # may pass: try again later, then give up
        return exc
    return None


async def _settle(
    session: AsyncSession,
    message: _Due,
    outcome: _Outcome,
    moment: datetime,
    max_attempts: int,
    on_gone: OnGone | None,
) -> None:
    """Record what sending came to, in ``session``'s transaction: a sent message leaves
    the queue; a refused one is failed with the reason (and a chat that is gone
    forgotten); any other error pauses it, or fails it after ``max_attempts``."""
    row = OutboxMessage.id == message.id
    if outcome is None:
        await session.execute(delete(OutboxMessage).where(row))
    elif isinstance(outcome, Refused):
        await session.execute(
            update(OutboxMessage).where(row).values(failed=outcome.reason[:REASON_CHARS])
        )
        if outcome.gone and on_gone is not None:
            await on_gone(session, message.platform, message.chat_id)
    else:
        attempts = message.attempts + 1
        if attempts >= max_attempts:
            reason = f"gave up after {attempts} attempts: {type(outcome).__name__}"
            values: dict[str, Any] = {"attempts": attempts, "failed": reason[:REASON_CHARS]}
        else:
            values = {"attempts": attempts, "not_before": moment + pause_after(attempts)}
        await session.execute(update(OutboxMessage).where(row).values(**values))


async def drain(
    engine: AsyncEngine,
    platform: str,
    send: Send,
    limit: int = 20,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    on_gone: OnGone | None = None,
    now: Callable[[], datetime] = utcnow,
    senders: int = 1,
) -> int:
    """Send up to ``limit`` of the messages that wait for ``platform``, most urgent
    first, ``senders`` at a time; returns how many were sent. ``send`` may wait for a
    turn under the platform's rate limits: no write lock is held meanwhile.

    PostgreSQL, where several workers may drain at once: each message is taken with a
    row lock (``FOR UPDATE SKIP LOCKED``) in a transaction of its own, held while it is
    sent and until it is marked sent, so no two workers ever send it, and a worker that
    dies releases it with its connection (two messages to one chat keep their order in
    one worker, not across workers). SQLite, where one process does it all: the
    messages are read in a short transaction, sent, and each marked sent in another,
    since a transaction there holds the one write lock every event needs."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    args = (sessions, platform, _in_order(send), limit, max_attempts, on_gone, now, senders)
    if engine.dialect.name == "postgresql":
        return await _drain_locking(*args)
    return await _drain_in_hand(*args)


def _in_order(send: Send) -> Send:
    """``send``, one message at a time to each chat: the senders take messages in the
    queue's order, and one that waits for its turn must not be overtaken by the next
    message to the same chat."""
    chats: dict[str, asyncio.Lock] = {}

    async def ordered(chat_id: str, body: dict[str, Any]) -> object:
        async with chats.setdefault(chat_id, asyncio.Lock()):
            return await send(chat_id, body)

    return ordered


async def _drain_locking(
    sessions: async_sessionmaker[AsyncSession], platform: str, send: Send, limit: int,
    max_attempts: int, on_gone: OnGone | None, now: Callable[[], datetime], senders: int,
) -> int:  # fmt: skip
    sent = taken = 0

    async def sender() -> None:
        nonlocal sent, taken
        while taken < limit:
            taken += 1
            async with sessions() as session, session.begin():
                moment = now()
                await session.execute(IN_INDEX_ORDER)
                row = (await session.execute(claim(platform, moment))).first()
                if row is None:
                    taken = limit  # nothing left that another worker does not hold
                    return
                message = _Due(*row)
                outcome = await _attempt(send, message)
                await _settle(session, message, outcome, moment, max_attempts, on_gone)
            sent += outcome is None

    await asyncio.gather(*(sender() for _ in range(max(senders, 1))))
    return sent


async def _drain_in_hand(
    sessions: async_sessionmaker[AsyncSession], platform: str, send: Send, limit: int,
    max_attempts: int, on_gone: OnGone | None, now: Callable[[], datetime], senders: int,
) -> int:  # fmt: skip
    async with sessions() as session, session.begin():
        moment = now()
        rows = (await session.execute(_due(platform, moment).limit(limit))).all()
    waiting = deque(_Due(*row) for row in rows)
    sent = 0

    async def sender() -> None:
        nonlocal sent
        while waiting:
            message = waiting.popleft()
            outcome = await _attempt(send, message)
            async with sessions() as session, session.begin():
                await _settle(session, message, outcome, now(), max_attempts, on_gone)
            sent += outcome is None

    await asyncio.gather(*(sender() for _ in range(max(senders, 1))))
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
