"""The moderators' queue for reports: claiming, reviewing, approving, publishing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import ModeratorKeys, decrypt
from storage.models import (
    Area,
    AreaLevel,
    CandidateUpdate,
    PlatformPointRevision,
    PublishedIncident,
    Report,
    ReportApproval,
    ReportAttachment,
    ReportMessage,
    ReportStatus,
)

#: How long an opened item stays with the moderator who opened it.
CLAIM_FOR = timedelta(minutes=15)
PENDING = (ReportStatus.new, ReportStatus.quarantined, ReportStatus.in_review)
#: Served first: new reports and those the reporter answered. Reports over a flood
#: cap wait in quarantine, behind them, so that a flood cannot bury a real report.
FOR_REVIEW = (ReportStatus.new, ReportStatus.in_review)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: published dates go no finer."""
    return day - timedelta(days=day.weekday())


def summary_hash(summary: str) -> str:
    return hashlib.sha256(summary.encode()).hexdigest()


async def next_report(
    session: AsyncSession,
    moderator: str,
    now: datetime,
    skip: int | None = None,
    *,
    quarantine: bool = False,
    escalated: bool = True,
) -> Report | None:
    """Claim the oldest report nobody else is working on (escalated first): one for
    review, or with ``quarantine`` one held over a flood cap. A quarantined report a
    moderator escalated is for review: someone looked and found it real. Without
    ``escalated`` (a moderator, where administrators exist), escalated reports are
    passed over: they wait for the administrators."""
    free = or_(
        Report.claimed_by.is_(None), Report.claimed_until < now, Report.claimed_by == moderator
    )
    quarantined = Report.status == ReportStatus.quarantined
    wanted = quarantined if quarantine else or_(
        Report.status.in_(FOR_REVIEW), and_(quarantined, Report.escalated)
    )  # fmt: skip
    query = (
        select(Report)
        .where(wanted, free)
        .order_by(Report.escalated.desc(), Report.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip is not None:
        query = query.where(Report.id != skip)
    if not escalated:
        query = query.where(Report.escalated.is_(False))
    report = await session.scalar(query)
    if report is not None:
        report.claimed_by, report.claimed_until = moderator, now + CLAIM_FOR
        if report.status == ReportStatus.new:
            report.status = ReportStatus.in_review
        await session.flush()
    return report


async def claimed(
    session: AsyncSession, report_id: int, moderator: str, now: datetime
) -> Report | None:
    """The report if ``moderator`` holds its claim now; else None (someone else's, done,
    expired, or a forged id)."""
    report = await session.get(Report, report_id)
    if (
        report is None
        or report.claimed_by != moderator
        or report.claimed_until is None
        or report.claimed_until < now
        or report.status not in (*PENDING, ReportStatus.question)
    ):
        return None
    report.claimed_until = now + CLAIM_FOR
    return report


def release(report: Report) -> None:
    report.claimed_by, report.claimed_until = None, None


#: What a moderator can claim: a report, or a candidate's wording or update.
Claimable = type[Report] | type[PlatformPointRevision] | type[CandidateUpdate]


async def release_held(session: AsyncSession, moderator: str, model: Claimable = Report) -> None:
    """Give back every item of ``model`` that ``moderator`` holds: one opens a new item
    only after letting go of the last, so nothing sits claimed behind them unseen."""
    await session.execute(
        update(model)
        .where(model.claimed_by == moderator)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session="fetch")
    )


@dataclass(frozen=True, slots=True)
class Held:
    """Items other moderators hold now, and when the last claim lapses if left alone."""

    count: int
    until: datetime | None

    def __add__(self, other: Held) -> Held:
        ends = [end for end in (self.until, other.until) if end is not None]
        return Held(self.count + other.count, max(ends) if ends else None)


async def held_in(
    session: AsyncSession, model: Claimable, waiting: ColumnElement[bool], moderator: str,
    now: datetime,
) -> Held:  # fmt: skip
    """Items of ``model`` still ``waiting`` that someone but ``moderator`` holds now."""
    count, until = (
        await session.execute(
            select(func.count(), func.max(model.claimed_until)).where(
                waiting, model.claimed_by != moderator, model.claimed_until >= now
            )
        )
    ).one()
    return Held(int(count or 0), until)


async def held_by_others(session: AsyncSession, moderator: str, now: datetime) -> Held:
    """Pending reports someone other than ``moderator`` holds a live claim on."""
    return await held_in(session, Report, Report.status.in_(PENDING), moderator, now)


async def escalated_waiting(session: AsyncSession) -> int:
    """Escalated reports still to be dealt with: the administrators' to take."""
    count = await session.scalar(
        select(func.count()).where(Report.escalated.is_(True), Report.status.in_(PENDING))
    )
    return int(count or 0)


@dataclass(frozen=True, slots=True)
class ReportForReview:
    id: int
    category: str
    area_code: str | None
    happened: str
    created_on: date
    status: str
    may_publish: bool
    escalated: bool
    description: str
    photos: int
    messages: tuple[tuple[str, str], ...]
    summary: str | None
    approvals: int


async def for_review(session: AsyncSession, report: Report, keys: ModeratorKeys) -> ReportForReview:
    """Decrypted for this display only; nothing decrypted is stored."""
    report_key = keys.open_report_key(report.sealed_key)
    photos = await session.scalar(
        select(func.count()).where(ReportAttachment.report_id == report.id)
    )
    messages = await session.scalars(
        select(ReportMessage).where(ReportMessage.report_id == report.id).order_by(ReportMessage.id)
    )
    return ReportForReview(
        id=report.id,
        category=report.category,
        area_code=report.area_code,
        happened=report.happened,
        created_on=report.created_on,
        status=report.status,
        may_publish=report.may_publish,
        escalated=report.escalated,
        description=decrypt(report_key, report.body).decode(),
        photos=int(photos or 0),
        messages=tuple((m.author, decrypt(report_key, m.body).decode()) for m in messages),
        summary=report.summary,
        approvals=await approvals(session, report),
    )


async def approvals(session: AsyncSession, report: Report) -> int:
    """Different moderators who approved the summary as it stands now."""
    if not report.summary:
        return 0
    count = await session.scalar(
        select(func.count()).where(
            ReportApproval.report_id == report.id,
            ReportApproval.summary_hash == summary_hash(report.summary),
        )
    )
    return int(count or 0)


async def county_of(session: AsyncSession, area_code: str | None) -> str | None:
    """The county containing an area (or the area, if coarser): the finest a public
    summary may name."""
    area = await session.get(Area, area_code) if area_code else None
    while area is not None and area.level in (AreaLevel.township, AreaLevel.village):
        area = await session.get(Area, area.parent_code) if area.parent_code else None
    return area.code if area else None


async def approve(
    session: AsyncSession, report: Report, moderator: str, needed: int, today: date
) -> tuple[int, bool]:
    """Record ``moderator``'s approval; publish once ``needed`` different moderators
    approved the same summary. Returns (approvals, published)."""
    assert report.summary
    wanted = summary_hash(report.summary)
    exists = await session.scalar(
        select(ReportApproval.id).where(
            ReportApproval.report_id == report.id, ReportApproval.moderator == moderator
        )
    )
    if exists is None:
        session.add(ReportApproval(report_id=report.id, moderator=moderator, summary_hash=wanted))
    else:
        row = await session.get_one(ReportApproval, exists)
        row.summary_hash = wanted
    await session.flush()
    count = await approvals(session, report)
    if count < needed:
        return count, False
    session.add(
        PublishedIncident(
            category=report.category,
            area_code=report.summary_area_code,
            week=week_of(today),
            summary=report.summary,
        )
    )
    report.status = ReportStatus.published
    report.published_week = week_of(today)
    report.closed_on = today
    release(report)
    await session.flush()
    return count, True
