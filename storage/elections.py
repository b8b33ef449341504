"""Read models for elections: which elections concern an area, their districts and candidates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Area,
    AreaLevel,
    Candidacy,
    Election,
    ElectoralDistrict,
    Moderation,
    Person,
    PlatformPoint,
    PlatformPointRevision,
    district_areas,
)
from storage.types import starts_with

#: Codes are hierarchical: an area's descendants share the first digits of its code.
PREFIX_LENGTH = {
    AreaLevel.province: 2,
    AreaLevel.prefecture: 4,
    AreaLevel.county: 6,
    AreaLevel.township: 9,
    AreaLevel.village: 12,
}


@dataclass(frozen=True, slots=True)
class ElectionView:
    id: int
    key: str
    area_code: str
    area_name: str
    level: str
    election_day: date | None
    status: str
    source: str
    updated_at: datetime
    demo: bool
    roll_published_on: date | None
    nominees_published_on: date | None
    official_list_published_on: date | None


@dataclass(frozen=True, slots=True)
class CandidateBrief:
    id: int
    name: str
    pinyin: str
    stage: str
    nomination: str


@dataclass(frozen=True, slots=True)
class DistrictView:
    id: int
    election_id: int
    number: int | None
    name: str
    seats: int
    candidates: tuple[CandidateBrief, ...]


def area_prefix(code: str, level: str) -> str:
    return code[: PREFIX_LENGTH.get(AreaLevel(level), len(code))]


def _view(election: Election, area: Area) -> ElectionView:
    return ElectionView(
        id=election.id,
        key=election.key,
        area_code=area.code,
        area_name=area.name,
        level=election.level,
        election_day=election.election_day,
        status=election.status,
        source=election.source,
        updated_at=election.updated_at,
        demo=election.demo,
        roll_published_on=election.roll_published_on,
        nominees_published_on=election.nominees_published_on,
        official_list_published_on=election.official_list_published_on,
    )


async def elections_in_area(
    session: AsyncSession, code: str, level: str, *, limit: int = 50
) -> list[ElectionView]:
    """Elections held in the area or inside it, and those with a district covering it.

    Ordered by election day, unknown days last.
    """
    prefix = area_prefix(code, level)
    covering = (
        select(ElectoralDistrict.election_id)
        .join(district_areas, district_areas.c.district_id == ElectoralDistrict.id)
        .where(district_areas.c.area_code == code)
    )
    rows = await session.execute(
        select(Election, Area)
        .join(Area, Area.code == Election.area_code)
        .where(
            or_(
                starts_with(Election.area_code, prefix),
                Election.id.in_(covering),
            )
        )
        .order_by(Election.election_day.is_(None), Election.election_day, Election.id)
        .limit(limit)
    )
    return [_view(election, area) for election, area in rows]


async def election(session: AsyncSession, election_id: int) -> ElectionView | None:
    row = (
        await session.execute(
            select(Election, Area)
            .join(Area, Area.code == Election.area_code)
            .where(Election.id == election_id)
        )
    ).first()
    return _view(*row) if row else None


async def districts(
    session: AsyncSession, election_id: int, *, limit: int = 5, offset: int = 0
) -> tuple[list[DistrictView], int]:
    """A page of an election's districts with their candidates, and the number of districts."""
    total = await session.scalar(
        select(func.count()).where(ElectoralDistrict.election_id == election_id)
    )
    page = list(
        await session.scalars(
            select(ElectoralDistrict)
            .where(ElectoralDistrict.election_id == election_id)
            .order_by(ElectoralDistrict.number, ElectoralDistrict.id)
            .offset(offset)
            .limit(limit)
        )
    )
    return await _with_candidates(session, page), int(total or 0)


async def _with_candidates(
    session: AsyncSession, page: list[ElectoralDistrict]
) -> list[DistrictView]:
    rows = await session.execute(
        select(Candidacy, Person)
        .join(Person, Person.id == Candidacy.person_id)
        .where(Candidacy.district_id.in_([d.id for d in page]))
        .order_by(Candidacy.id)
    )
    by_district: dict[int, list[CandidateBrief]] = {d.id: [] for d in page}
    for candidacy, person in rows:
        by_district[candidacy.district_id].append(
            CandidateBrief(
                candidacy.id, person.name, person.pinyin, candidacy.stage, candidacy.nomination
            )
        )
    return [
        DistrictView(d.id, d.election_id, d.number, d.name, d.seats, tuple(by_district[d.id]))
        for d in page
    ]


async def district(session: AsyncSession, district_id: int) -> DistrictView | None:
    found = await session.get(ElectoralDistrict, district_id)
    return (await _with_candidates(session, [found]))[0] if found else None


async def numbered_district(
    session: AsyncSession, election_id: int, number: int
) -> DistrictView | None:
    """The election's electoral district with that number (第3选区), if any."""
    found = await session.scalar(
        select(ElectoralDistrict)
        .where(ElectoralDistrict.election_id == election_id, ElectoralDistrict.number == number)
        .limit(1)
    )
    return (await _with_candidates(session, [found]))[0] if found else None


async def covering_districts(
    session: AsyncSession, election_id: int, area_code: str
) -> list[DistrictView]:
    """The election's districts that cover ``area_code`` (a township in a county's)."""
    page = list(
        await session.scalars(
            select(ElectoralDistrict)
            .join(district_areas, district_areas.c.district_id == ElectoralDistrict.id)
            .where(
                ElectoralDistrict.election_id == election_id,
                district_areas.c.area_code == area_code,
            )
            .order_by(ElectoralDistrict.number, ElectoralDistrict.id)
        )
    )
    return await _with_candidates(session, page)


async def topics_in_area(session: AsyncSession, code: str, level: str) -> dict[str, int]:
    """How many candidacies in the area have an approved platform point on each topic;
    topics nobody speaks to are absent."""
    prefix = area_prefix(code, level)
    covering = select(district_areas.c.district_id).where(district_areas.c.area_code == code)
    rows = await session.execute(
        select(PlatformPoint.topic, func.count(func.distinct(Candidacy.id)))
        .join(PlatformPointRevision, PlatformPointRevision.point_id == PlatformPoint.id)
        .join(Candidacy, Candidacy.id == PlatformPoint.candidacy_id)
        .join(ElectoralDistrict, ElectoralDistrict.id == Candidacy.district_id)
        .join(Election, Election.id == ElectoralDistrict.election_id)
        .where(
            PlatformPointRevision.status == Moderation.approved,
            or_(starts_with(Election.area_code, prefix), ElectoralDistrict.id.in_(covering)),
        )
        .group_by(PlatformPoint.topic)
    )
    return {topic: int(count) for topic, count in rows}


async def candidates_with_topic(
    session: AsyncSession, code: str, level: str, topic: str, *, limit: int = 8, offset: int = 0
) -> tuple[list[tuple[CandidateBrief, date | None]], bool]:
    """Candidacies in the area whose approved platform covers ``topic``, with election day."""
    prefix = area_prefix(code, level)
    covered = (
        select(PlatformPoint.candidacy_id)
        .join(PlatformPointRevision, PlatformPointRevision.point_id == PlatformPoint.id)
        .where(PlatformPoint.topic == topic, PlatformPointRevision.status == Moderation.approved)
    )
    covering = select(district_areas.c.district_id).where(district_areas.c.area_code == code)
    rows = await session.execute(
        select(Candidacy, Person, Election.election_day)
        .join(Person, Person.id == Candidacy.person_id)
        .join(ElectoralDistrict, ElectoralDistrict.id == Candidacy.district_id)
        .join(Election, Election.id == ElectoralDistrict.election_id)
        .where(
            Candidacy.id.in_(covered),
            or_(
                starts_with(Election.area_code, prefix),
                ElectoralDistrict.id.in_(covering),
            ),
        )
        .order_by(Election.election_day.is_(None), Election.election_day, Candidacy.id)
        .offset(offset)
        .limit(limit + 1)
    )
    items = [
        (CandidateBrief(c.id, p.name, p.pinyin, c.stage, c.nomination), day) for c, p, day in rows
    ]
    return items[:limit], len(items) > limit
