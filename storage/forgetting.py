"""What /forget deletes beyond the core's own rows: a private chat's subscriptions and the
messages waiting for it (the only rows that hold its raw id), and the accounts that
speak for candidates (the only rows that hold a citizen's raw user id)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CandidateAccount, OutboxMessage
from storage.subscriptions import forget_chat


@dataclass(frozen=True, slots=True)
class ChatForgotten:
    #: Places the chat followed.
    subscriptions: int
    #: Alerts and broadcasts queued for the chat, sent or not yet.
    waiting: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_private_chat(session: AsyncSession, platform: str, chat_id: str) -> ChatForgotten:
    """Every row that names the chat: its subscriptions and its outbox messages."""
    subscriptions = await forget_chat(session, platform, chat_id)
    waiting = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.platform == platform, OutboxMessage.chat_id == chat_id
        )
    )
    return ChatForgotten(subscriptions, _count(waiting))


async def forget_revoked_claims(session: AsyncSession, platform: str, user_id: str) -> int:
    """Claims a moderator already ended: nothing is given up by deleting them."""
    result = await session.execute(
        delete(CandidateAccount).where(
            CandidateAccount.platform == platform,
            CandidateAccount.user_id == user_id,
            CandidateAccount.revoked_at.is_not(None),
        )
    )
    return _count(result)


async def forget_claims(session: AsyncSession, platform: str, user_id: str) -> list[int]:
    """Delete every claim of the account; the candidacies it spoke for."""
    held = await session.scalars(
        select(CandidateAccount.candidacy_id).where(
            CandidateAccount.platform == platform,
            CandidateAccount.user_id == user_id,
            CandidateAccount.revoked_at.is_(None),
        )
    )
    candidacies = sorted(set(held))
    await session.execute(
        delete(CandidateAccount).where(
            CandidateAccount.platform == platform, CandidateAccount.user_id == user_id
        )
    )
    return candidacies
