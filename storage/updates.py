"""Candidates' own updates: platform revisions, statements, events, links, withdrawal,
waiting for moderators (or published at once for trusted candidates, reviewed after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import moderation
from storage.models import (
    Candidacy,
    CandidateUpdate,
    Moderation,
    PlatformPoint,
    PlatformPointRevision,
    Stage,
    UpdateKind,
)
from storage.moderation import Held, held_in

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
    session: AsyncSession, moderator: str, now: datetime, skip: tuple[str, int] | None = None
) -> tuple[str, Item] | None:
    """Claim the oldest candidate item nobody else is working on, but ``skip``."""
    revisions = select(PlatformPointRevision).where(_waiting(PlatformPointRevision, moderator, now))
    updates = select(CandidateUpdate).where(_waiting(CandidateUpdate, moderator, now))
    if skip is not None and skip[0] == REVISION:
        revisions = revisions.where(PlatformPointRevision.id != skip[1])
    if skip is not None and skip[0] == UPDATE:
        updates = updates.where(CandidateUpdate.id != skip[1])
    revision = await session.scalar(
        revisions.order_by(PlatformPointRevision.created_at, PlatformPointRevision.id).limit(1)
    )
    proposed = await session.scalar(
        updates.order_by(CandidateUpdate.created_at, CandidateUpdate.id).limit(1)
    )
    chosen: tuple[str, Item] | None = None
    if revision is not None and (proposed is None or revision.created_at <= proposed.created_at):
        chosen = (REVISION, revision)
    elif proposed is not None:
        chosen = (UPDATE, proposed)
    if chosen is not None:
        chosen[1].claimed_by, chosen[1].claimed_until = moderator, now + CLAIM_FOR
        await session.flush()
    return chosen


async def release_held(session: AsyncSession, moderator: str) -> None:
    """Give back every candidate item ``moderator`` holds (see moderation.release_held)."""
    for model in (PlatformPointRevision, CandidateUpdate):
        await moderation.release_held(session, moderator, model)


async def held_by_others(session: AsyncSession, moderator: str, now: datetime) -> Held:
    """Candidate items awaiting review that someone else holds a live claim on."""
    held = Held(0, None)
    for model in (PlatformPointRevision, CandidateUpdate):
        held += await held_in(session, model, model.needs_review.is_(True), moderator, now)
    return held


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


async def decide(
    session: AsyncSession, item: Item, approve: bool, now: datetime, *,
    reason: str | None = None, note: str | None = None,
) -> None:  # fmt: skip
    """Approve the item, or reject it for ``reason`` (and the moderator's ``note``)."""
    item.reviewed_at, item.claimed_by, item.claimed_until = now, None, None
    item.needs_review = False
    if not approve:
        item.status, item.reject_reason, item.reject_note = Moderation.rejected, reason, note
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
class SentView:
    """Something the candidate sent, and where it stands."""

    kind: str  # "platform" or an UpdateKind
    topic: str | None
    text: str
    sent_at: datetime
    status: str
    needs_review: bool
    reject_reason: str | None
    reject_note: str | None


def _sent_by_candidate(model: type[Item]) -> ColumnElement[bool]:
    """Sent through /update (waiting, or looked at since), not imported with the data."""
    return model.needs_review.is_(True) | model.reviewed_at.is_not(None)


async def sent(session: AsyncSession, candidacy_id: int, limit: int = 10) -> list[SentView]:
    """The latest ``limit`` things the candidate sent, newest first."""
    revisions = await session.execute(
        select(PlatformPoint.topic, PlatformPointRevision)
        .join(PlatformPoint, PlatformPoint.id == PlatformPointRevision.point_id)
        .where(PlatformPoint.candidacy_id == candidacy_id,
               _sent_by_candidate(PlatformPointRevision))
        .order_by(PlatformPointRevision.created_at.desc(), PlatformPointRevision.id.desc())
        .limit(limit)
    )  # fmt: skip
    proposed = await session.scalars(
        select(CandidateUpdate)
        .where(CandidateUpdate.candidacy_id == candidacy_id, _sent_by_candidate(CandidateUpdate))
        .order_by(CandidateUpdate.created_at.desc(), CandidateUpdate.id.desc())
        .limit(limit)
    )
    views = [
        SentView("platform", topic, r.text, r.created_at, r.status, r.needs_review,
                 r.reject_reason, r.reject_note)
        for topic, r in revisions
    ]  # fmt: skip
    views += [
        SentView(u.kind, None, u.text or u.url or "", u.created_at, u.status, u.needs_review,
                 u.reject_reason, u.reject_note)
        for u in proposed
    ]  # fmt: skip
    views.sort(key=lambda view: view.sent_at, reverse=True)
    return views[:limit]
