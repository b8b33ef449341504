"""Counts of reports for moderators: by kind, by county and by week. Only what the report
rows hold in the clear (kind, area, day); nothing is decrypted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, Report


@dataclass(frozen=True, slots=True)
class ReportStats:
    total: int
    by_category: tuple[tuple[str, int], ...]
    by_area: tuple[tuple[str, int], ...]
    #: Monday of each week -> category -> count, oldest week first.
    by_week: tuple[tuple[date, dict[str, int]], ...]


async def report_stats(session: AsyncSession, today: date, weeks: int = 12) -> ReportStats:
    since = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    result = await session.execute(select(Report.category, Report.area_code, Report.created_on))
    rows = result.all()
    codes = {code for _, code, _ in rows if code}
    found = await session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))
    names: dict[str, str] = {code: name for code, name in found} if codes else {}
    categories = Counter(category for category, _, _ in rows)
    areas = Counter(names.get(code or "", "?") for _, code, _ in rows if code)
    per_week: dict[date, Counter[str]] = {
        since + timedelta(weeks=i): Counter() for i in range(weeks)
    }
    for category, _, day in rows:
        monday = day - timedelta(days=day.weekday())
        if monday in per_week:
            per_week[monday][category] += 1
    return ReportStats(
        total=len(rows),
        by_category=tuple(categories.most_common()),
        by_area=tuple(areas.most_common(10)),
        by_week=tuple((week, dict(counts)) for week, counts in sorted(per_week.items())),
    )
