"""Who may do what: staff roles and the accounts that speak for candidates.

These tables hold raw platform ids on purpose: the bot must be able to reach
moderators and verified candidates. Citizens never appear here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CandidateAccount, StaffMember, StaffRole


@dataclass(frozen=True, slots=True)
class Roles:
    staff_role: str | None
    candidacy_ids: tuple[int, ...]

    @property
    def is_moderator(self) -> bool:
        return self.staff_role in (StaffRole.admin, StaffRole.moderator)

    @property
    def is_admin(self) -> bool:
        return self.staff_role == StaffRole.admin

    @property
    def enters_lists(self) -> bool:
        """May propose additions and corrections to the candidate lists (never approve
        them: that takes a moderator)."""
        return self.staff_role in (StaffRole.admin, StaffRole.moderator, StaffRole.volunteer)


async def roles_of(session: AsyncSession, platform: str, user_id: str) -> Roles:
    role = await session.scalar(
        select(StaffMember.role).where(
            StaffMember.platform == platform, StaffMember.user_id == user_id
        )
    )
    candidacies = await session.scalars(
        select(CandidateAccount.candidacy_id).where(
            CandidateAccount.platform == platform,
            CandidateAccount.user_id == user_id,
            CandidateAccount.revoked_at.is_(None),
        )
    )
    return Roles(role, tuple(candidacies))


async def add_staff(session: AsyncSession, platform: str, user_id: str, role: StaffRole) -> None:
    member = await session.scalar(
        select(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    )
    if member is None:
        session.add(StaffMember(platform=platform, user_id=user_id, role=role.value))
    else:
        member.role = role.value


async def link_candidate_account(
    session: AsyncSession, candidacy_id: int, platform: str, user_id: str
) -> None:
    exists = await session.scalar(
        select(CandidateAccount.id).where(
            CandidateAccount.candidacy_id == candidacy_id,
            CandidateAccount.platform == platform,
            CandidateAccount.user_id == user_id,
            CandidateAccount.revoked_at.is_(None),
        )
    )
    if exists is None:
        session.add(CandidateAccount(candidacy_id=candidacy_id, platform=platform, user_id=user_id))


async def remove_staff(session: AsyncSession, platform: str, user_id: str) -> bool:
    member = await session.scalar(
        select(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    )
    if member is None:
        return False
    await session.delete(member)
    return True


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    rows = await session.scalars(
        select(StaffMember).order_by(StaffMember.role, StaffMember.platform, StaffMember.user_id)
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class Reachable:
    """A private chat with the bot: where a staff member or a candidate is told things."""

    platform: str
    chat_id: str


async def remember_staff_chat(
    session: AsyncSession, platform: str, user_id: str, chat_id: str
) -> None:
    """Note the private chat where this staff member just used a staff command."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    )
    if member is not None and member.chat_id != chat_id:
        member.chat_id = chat_id


async def remember_candidate_chat(
    session: AsyncSession, platform: str, user_id: str, chat_id: str
) -> None:
    """Note the private chat where this account just acted for its candidacy."""
    accounts = await session.scalars(
        select(CandidateAccount).where(
            CandidateAccount.platform == platform,
            CandidateAccount.user_id == user_id,
            CandidateAccount.revoked_at.is_(None),
        )
    )
    for account in accounts:
        if account.chat_id != chat_id:
            account.chat_id = chat_id


async def administrators(session: AsyncSession) -> list[StaffMember]:
    rows = await session.scalars(
        select(StaffMember).where(StaffMember.role == StaffRole.admin).order_by(StaffMember.id)
    )
    return list(rows)


async def candidate_chats(session: AsyncSession, candidacy_id: int) -> list[Reachable]:
    """The private chats of the accounts that speak for the candidacy now, where known."""
    rows = await session.execute(
        select(CandidateAccount.platform, CandidateAccount.chat_id)
        .where(
            CandidateAccount.candidacy_id == candidacy_id,
            CandidateAccount.revoked_at.is_(None),
            CandidateAccount.chat_id.is_not(None),
        )
        .order_by(CandidateAccount.id)
    )
    return [Reachable(platform, chat_id) for platform, chat_id in rows if chat_id]
