"""Candidates' own updates: platform revisions, statements, events, links, withdrawal,
waiting for moderators (or published at once for trusted candidates, reviewed after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Candidacy,
    CandidateUpdate,
    Moderation,
    PlatformPoint,
    PlatformPointRevision,
    Stage,
    UpdateKind,
)

CLAIM_FOR = timedelta(minutes=15)
REVISION, UPDATE = "r", "u"

Item = PlatformPointRevision | CandidateUpdate


async def propose_revision(
    session: AsyncSession, candidacy: Candidacy, topic: str, language: str, text: str,
    now: datetime,
) -> PlatformPointRevision:  # fmt: skip
    """A new wording for the candidate's point on ``topic`` (a new point if there is none);
    the old wording stays as history."""
    point = await session.scalar(
        select(PlatformPoint).where(
            PlatformPoint.candidacy_id == candidacy.id, PlatformPoint.topic == topic
        )
    )
    if point is None:
        last = await session.scalar(
            select(func.max(PlatformPoint.position)).where(
                PlatformPoint.candidacy_id == candidacy.id
            )
        )
        point = PlatformPoint(candidacy_id=candidacy.id, topic=topic, position=(last or 0) + 1)
        session.add(point)
        await session.flush()
    revision = PlatformPointRevision(
        point_id=point.id, language=language, text=text, created_at=now,
        status=Moderation.approved if candidacy.trusted else Moderation.pending,
        decided_at=now if candidacy.trusted else None, needs_review=True,
    )  # fmt: skip
    session.add(revision)
    await session.flush()
    return revision


async def propose_update(
    session: AsyncSession, candidacy: Candidacy, kind: str, language: str, text: str,
    now: datetime, *, url: str | None = None, event_day: date | None = None,
    place: str | None = None,
) -> CandidateUpdate:  # fmt: skip
    trusted = candidacy.trusted and kind != UpdateKind.withdrawal
    update = CandidateUpdate(
        candidacy_id=candidacy.id, kind=kind, language=language, text=text, url=url,
        event_day=event_day, place=place, created_at=now,
        status=Moderation.approved if trusted else Moderation.pending,
        published_at=now if trusted else None, needs_review=True,
    )  # fmt: skip
    session.add(update)
    await session.flush()
    return update


def _waiting(model: type[Item], moderator: str, now: datetime) -> ColumnElement[bool]:
    """Not yet reviewed (pending, or published at once for a trusted candidate), and free
    to claim or already ours."""
    free = or_(model.claimed_by.is_(None), model.claimed_until < now, model.claimed_by == moderator)
    return model.needs_review.is_(True) & free


async def next_item(
    session: AsyncSession, moderator: str, now: datetime
) -> tuple[str, Item] | None:
    """Claim the oldest candidate item nobody else is working on."""
    revision = await session.scalar(
        select(PlatformPointRevision)
        .where(_waiting(PlatformPointRevision, moderator, now))
        .order_by(PlatformPointRevision.created_at, PlatformPointRevision.id)
        .limit(1)
    )
    update = await session.scalar(
        select(CandidateUpdate)
        .where(_waiting(CandidateUpdate, moderator, now))
        .order_by(CandidateUpdate.created_at, CandidateUpdate.id)
        .limit(1)
    )
    chosen: tuple[str, Item] | None = None
    if revision is not None and (update is None or revision.created_at <= update.created_at):
        chosen = (REVISION, revision)
    elif update is not None:
        chosen = (UPDATE, update)
    if chosen is not None:
        chosen[1].claimed_by, chosen[1].claimed_until = moderator, now + CLAIM_FOR
        await session.flush()
    return chosen


async def claimed_item(
    session: AsyncSession, kind: str, item_id: int, moderator: str, now: datetime
) -> Item | None:
    """The item if ``moderator`` holds its claim now and it awaits review; else None."""
    item: Item | None
    if kind == REVISION:
        item = await session.get(PlatformPointRevision, item_id)
    elif kind == UPDATE:
        item = await session.get(CandidateUpdate, item_id)
    else:
        return None
    if (
        item is None
        or item.claimed_by != moderator
        or item.claimed_until is None
        or item.claimed_until < now
        or not item.needs_review
    ):
        return None
    return item


async def candidacy_of(session: AsyncSession, item: Item) -> Candidacy:
    if isinstance(item, CandidateUpdate):
        return await session.get_one(Candidacy, item.candidacy_id)
    point = await session.get_one(PlatformPoint, item.point_id)
    return await session.get_one(Candidacy, point.candidacy_id)


async def decide(session: AsyncSession, item: Item, approve: bool, now: datetime) -> None:
    item.reviewed_at, item.claimed_by, item.claimed_until = now, None, None
    item.needs_review = False
    if not approve:
        item.status = Moderation.rejected
        return
    if item.status != Moderation.approved:
        item.status = Moderation.approved
        if isinstance(item, CandidateUpdate):
            item.published_at = now
        else:
            item.decided_at = now
    if isinstance(item, CandidateUpdate) and item.kind == UpdateKind.withdrawal:
        candidacy = await candidacy_of(session, item)
        candidacy.stage = Stage.withdrawn


@dataclass(frozen=True, slots=True)
class PendingView:
    kind: str
    topic: str | None
    text: str


async def pending(session: AsyncSession, candidacy_id: int) -> list[PendingView]:
    """What the candidate sent that moderators have not approved yet."""
    revisions = await session.execute(
        select(PlatformPoint.topic, PlatformPointRevision.text)
        .join(PlatformPoint, PlatformPoint.id == PlatformPointRevision.point_id)
        .where(
            PlatformPoint.candidacy_id == candidacy_id,
            PlatformPointRevision.status == Moderation.pending,
        )
        .order_by(PlatformPointRevision.id)
    )
    updates = await session.scalars(
        select(CandidateUpdate)
        .where(
            CandidateUpdate.candidacy_id == candidacy_id,
            CandidateUpdate.status == Moderation.pending,
        )
        .order_by(CandidateUpdate.id)
    )
    views = [PendingView("platform", topic, text) for topic, text in revisions]
    views += [PendingView(u.kind, None, u.text or u.url or "") for u in updates]
    return views
