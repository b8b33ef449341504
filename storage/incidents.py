"""Published incidents: what citizens may see of reports (approved summaries, county, week)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, PublishedIncident
from storage.types import starts_with


@dataclass(frozen=True, slots=True)
class IncidentView:
    id: int
    category: str
    area_name: str | None
    week: date
    summary: str


@dataclass(frozen=True, slots=True)
class IncidentCounts:
    by_category: tuple[tuple[str, int], ...]
    #: ("2026-11", count), newest month first.
    by_month: tuple[tuple[str, int], ...]


def _within(prefix: str | None) -> ColumnElement[bool]:
    if prefix is None:
        return true()
    return starts_with(PublishedIncident.area_code, prefix)


async def latest(
    session: AsyncSession, prefix: str | None, *, limit: int = 5, offset: int = 0
) -> tuple[list[IncidentView], bool]:
    rows = await session.execute(
        select(PublishedIncident, Area.name)
        .outerjoin(Area, Area.code == PublishedIncident.area_code)
        .where(_within(prefix))
        .order_by(PublishedIncident.week.desc(), PublishedIncident.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    items = [IncidentView(i.id, i.category, name, i.week, i.summary) for i, name in rows]
    return items[:limit], len(items) > limit


async def counts(session: AsyncSession, prefix: str | None) -> IncidentCounts:
    by_category = await session.execute(
        select(PublishedIncident.category, func.count())
        .where(_within(prefix))
        .group_by(PublishedIncident.category)
        .order_by(func.count().desc(), PublishedIncident.category)
    )
    weeks = await session.execute(
        select(PublishedIncident.week, func.count())
        .where(_within(prefix))
        .group_by(PublishedIncident.week)
    )
    months: dict[str, int] = {}
    for week, count in weeks:
        key = f"{week.year}-{week.month:02d}"
        months[key] = months.get(key, 0) + int(count)
    return IncidentCounts(
        tuple((c, int(n)) for c, n in by_category),
        tuple(sorted(months.items(), reverse=True)),
    )
