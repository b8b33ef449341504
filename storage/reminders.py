"""Which reminders went out: each (election, what, day) is claimed once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.elections import ElectionView, _view
from storage.models import Area, Election, ElectionStatus, SentReminder


async def claim(session: AsyncSession, election_id: int, what: str, day: date) -> bool:
    """True for the one caller that records this reminder first (in any worker)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(SentReminder)
        .values(election_id=election_id, what=what, day=day)
        .on_conflict_do_nothing()
        .returning(SentReminder.election_id)
    )
    return result.first() is not None


async def upcoming(session: AsyncSession, today: date, within_days: int) -> list[ElectionView]:
    """Elections whose day is known, from ``today`` to ``within_days`` ahead, not held."""
    rows = await session.execute(
        select(Election, Area)
        .join(Area, Area.code == Election.area_code)
        .where(
            Election.election_day.is_not(None),
            Election.election_day >= today,
            Election.election_day <= today + timedelta(days=within_days),
            Election.status != ElectionStatus.held,
        )
        .order_by(Election.id)
    )
    return [_view(election, area) for election, area in rows]
