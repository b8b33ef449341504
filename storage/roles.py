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
