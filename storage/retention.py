"""What is kept and for how long: the purge that `candibot purge` and the bot run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, OutboxMessage, ProcessedEvent, Report


@dataclass(frozen=True, slots=True)
class Retention:
    #: Closed reports (and their photos and follow-ups) are deleted after this long.
    closed_reports: timedelta = timedelta(days=180)
    #: A receipt unused this long stops working: its hash is wiped.
    receipts: timedelta = timedelta(days=90)
    processed_events: timedelta = timedelta(days=7)
    #: Replies never sent because their event never came back (platforms give up on
    #: an update within a day) are dropped.
    kept_replies: timedelta = timedelta(days=1)
    #: Messages no adapter took (a platform no longer configured) are dropped.
    outbox: timedelta = timedelta(days=7)
    #: A conversation idle this long has ended (the bot's state time to live): its row,
    #: keyed by a pseudonym of the chat and the sender, goes. /forget cannot find those
    #: of chats other than the one it is sent in.
    conversations: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Purged:
    reports: int
    receipts: int
    events: int
    outbox: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(session: AsyncSession, now: datetime, rules: Retention) -> Purged:
    today: date = now.date()
    reports = await session.execute(
        delete(Report).where(
            Report.closed_on.is_not(None), Report.closed_on < today - rules.closed_reports
        )
    )
    receipts = await session.execute(
        update(Report)
        .where(Report.receipt_hash.is_not(None), Report.receipt_used_on < today - rules.receipts)
        .values(receipt_hash=None, receipt_used_on=None)
    )
    events = await session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.day < today - rules.processed_events)
    )
    await session.execute(
        update(ProcessedEvent)
        .where(ProcessedEvent.replies.is_not(None), ProcessedEvent.day < today - rules.kept_replies)
        .values(replies=None)
    )
    outbox = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < now - rules.outbox)
    )
    await session.execute(
        delete(Conversation).where(Conversation.updated_at < now - rules.conversations)
    )
    return Purged(_count(reports), _count(receipts), _count(events), _count(outbox))
