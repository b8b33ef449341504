"""What the moderators' digest counts: reports and reporters' answers since the last one.

Nothing is written when a report arrives; the digest reads, at its own times, how many
reports and answers have ids past the ones it announced last (kept as a cursor), so the
moderators' room learns of a report only to the digest's interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlatformCursor, Report, ReportMessage, ReportStatus
from storage.types import utcnow

_CURSOR = "digest"


@dataclass(frozen=True, slots=True)
class ReportNews:
    new: int
    quarantined: int
    answered: int

    def __bool__(self) -> bool:
        return bool(self.new or self.quarantined or self.answered)


async def _cursor(session: AsyncSession, name: str) -> PlatformCursor:
    row = await session.get(PlatformCursor, (_CURSOR, name), with_for_update=True)
    if row is None:
        row = PlatformCursor(platform=_CURSOR, name=name, value="0")
        session.add(row)
    return row


async def news_since_last(session: AsyncSession) -> ReportNews:
    """Count what arrived since the last call, and move the cursors past it."""
    reports, messages = await _cursor(session, "reports"), await _cursor(session, "messages")
    rows = (
        await session.execute(
            select(Report.status, func.count(), func.max(Report.id))
            .where(Report.id > int(reports.value))
            .group_by(Report.status)
        )
    ).all()
    answers, last_message = (
        await session.execute(
            select(func.count(), func.max(ReportMessage.id)).where(
                ReportMessage.id > int(messages.value), ReportMessage.author == "reporter"
            )
        )
    ).one()
    by_status = {status: count for status, count, _ in rows}
    last_report = max((last for _, _, last in rows), default=None)
    if last_report is not None:
        reports.value, reports.updated_at = str(last_report), utcnow()
    if last_message is not None:
        messages.value, messages.updated_at = str(last_message), utcnow()
    quarantined = by_status.pop(ReportStatus.quarantined, 0)
    return ReportNews(sum(by_status.values()), quarantined, int(answers or 0))
