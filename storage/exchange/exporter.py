"""Reads the database in a fixed order for export, a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Area,
    Candidacy,
    Election,
    ElectoralDistrict,
    Moderation,
    Person,
    PlatformPoint,
    PlatformPointRevision,
    district_areas,
)

from .records import CandidacyRecord, DistrictRecord, ElectionRecord, PersonRecord, PointRecord
from .rows import Row

PAGE = 5_000
#: Elections per page of the CSV export (a page holds all their candidacies).
ELECTION_PAGE = 100

E, D, C, P, PP, R, A = (
    cast(Table, model.__table__)
    for model in (
        Election, ElectoralDistrict, Candidacy, Person, PlatformPoint, PlatformPointRevision, Area
    )
)  # fmt: skip


def _area_codes(connection: AsyncConnection) -> Any:
    """The district's area codes joined by ';' (in no particular order)."""
    code = district_areas.c.area_code
    joined = (
        func.string_agg(code, ";")
        if connection.dialect.name == "postgresql"
        else func.group_concat(code, ";")
    )
    return select(joined).where(district_areas.c.district_id == D.c.id).scalar_subquery()


def _codes(joined: str | None) -> tuple[str, ...]:
    return tuple(sorted(joined.split(";"))) if joined else ()


def _wording(language: str) -> Any:
    """The latest approved wording of a point in ``language``."""
    return (
        select(R.c.text)
        .where(
            R.c.point_id == PP.c.id,
            R.c.language == language,
            R.c.status == Moderation.approved.value,
        )
        .order_by(R.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def _platforms(
    connection: AsyncConnection, condition: ColumnElement[bool]
) -> dict[int, tuple[PointRecord, ...]]:
    """Candidacy id -> its points in order, for the candidacies matching ``condition``."""
    rows = await connection.execute(
        select(C.c.id, PP.c.topic, _wording("zh_CN"), _wording("en"))
        .join(PP, PP.c.candidacy_id == C.c.id)
        .join(D, D.c.id == C.c.district_id)
        .where(condition)
        .order_by(C.c.id, PP.c.position, PP.c.id)
    )
    points: dict[int, list[PointRecord]] = {}
    for candidacy_id, topic, zh, en in rows:
        points.setdefault(candidacy_id, []).append(PointRecord(topic, zh or "", en or ""))
    return {key: tuple(value) for key, value in points.items()}


async def elections(connection: AsyncConnection) -> list[ElectionRecord]:
    rows = await connection.execute(select(E).order_by(E.c.key))
    return [
        ElectionRecord(
            key=row.key,
            area_code=row.area_code,
            level=row.level,
            election_day=row.election_day,
            status=row.status,
            source=row.source,
            updated_at=row.updated_at,
            roll_published_on=row.roll_published_on,
            nominees_published_on=row.nominees_published_on,
            official_list_published_on=row.official_list_published_on,
            demo=row.demo,
        )
        for row in rows
    ]


async def rows(connection: AsyncConnection) -> AsyncIterator[Row]:
    """Every candidacy with its election, district and person, by election, district and
    candidacy key."""
    everything = await elections(connection)
    ids = {key: id_ for key, id_ in await connection.execute(select(E.c.key, E.c.id))}
    for start in range(0, len(everything), ELECTION_PAGE):
        page = everything[start : start + ELECTION_PAGE]
        by_key = {e.key: e for e in page}
        condition = D.c.election_id.in_([ids[e.key] for e in page])
        platforms = await _platforms(connection, condition)
        result = await connection.execute(
            select(
                E.c.key, D.c.key, D.c.number, D.c.name, D.c.seats, _area_codes(connection),
                C.c.id, C.c.key, C.c.stage, C.c.nomination, C.c.nominator_count,
                C.c.source, C.c.checked_on, P.c.key, P.c.name, P.c.aliases,
            )
            .join(D, D.c.election_id == E.c.id)
            .join(C, C.c.district_id == D.c.id)
            .join(P, P.c.id == C.c.person_id)
            .where(condition)
            .order_by(E.c.key, D.c.key, C.c.key)
        )  # fmt: skip
        district: DistrictRecord | None = None
        for (e_key, d_key, number, name, seats, codes, c_id, c_key, stage, nomination,
             nominators, source, checked, p_key, p_name, aliases) in result:  # fmt: skip
            if district is None or district.key != d_key:
                district = DistrictRecord(d_key, e_key, number, name, seats, _codes(codes))
            yield Row(
                election=by_key[e_key],
                district=district,
                candidacy=CandidacyRecord(
                    c_key,
                    p_key,
                    d_key,
                    stage,
                    nomination,
                    nominators,
                    platforms.get(c_id),
                    source=source,
                    checked_on=checked,
                ),
                person=PersonRecord(p_key, p_name, tuple(aliases or ())),
            )


async def _pages(connection: AsyncConnection, query: Select[Any], key: Any) -> AsyncIterator[Any]:
    """Rows of ``query`` in ``key`` order, a page at a time (``key`` must be unique)."""
    last: str | None = None
    while True:
        page = query.order_by(key).limit(PAGE)
        if last is not None:
            page = page.where(key > last)
        batch = (await connection.execute(page)).all()
        if not batch:
            return
        for row in batch:
            yield row
        last = batch[-1]._mapping[key]


async def districts(connection: AsyncConnection) -> AsyncIterator[DistrictRecord]:
    query = select(D.c.key, E.c.key, D.c.number, D.c.name, D.c.seats, _area_codes(connection)).join(
        E, E.c.id == D.c.election_id
    )
    async for d_key, e_key, number, name, seats, codes in _pages(connection, query, D.c.key):
        yield DistrictRecord(d_key, e_key, number, name, seats, _codes(codes))


async def persons(connection: AsyncConnection) -> AsyncIterator[PersonRecord]:
    query = select(P.c.key, P.c.name, P.c.aliases)
    async for key, name, aliases in _pages(connection, query, P.c.key):
        yield PersonRecord(key, name, tuple(aliases or ()))


async def candidacies(connection: AsyncConnection) -> AsyncIterator[tuple[CandidacyRecord, str]]:
    """Each candidacy, with the area code of its election."""
    query = (
        select(
            C.c.key, P.c.key, D.c.key, C.c.stage, C.c.nomination, C.c.nominator_count,
            E.c.area_code, C.c.id, C.c.source, C.c.checked_on,
        )
        .join(P, P.c.id == C.c.person_id)
        .join(D, D.c.id == C.c.district_id)
        .join(E, E.c.id == D.c.election_id)
    )  # fmt: skip
    page: list[Any] = []
    async for row in _pages(connection, query, C.c.key):
        page.append(row)
        if len(page) == PAGE:
            for item in await _with_platforms(connection, page):
                yield item
            page = []
    for item in await _with_platforms(connection, page):
        yield item


async def _with_platforms(
    connection: AsyncConnection, page: Sequence[Any]
) -> list[tuple[CandidacyRecord, str]]:
    if not page:
        return []
    platforms = await _platforms(connection, C.c.key.between(page[0][0], page[-1][0]))
    return [
        (CandidacyRecord(key, p_key, d_key, stage, nom, count, platforms.get(c_id),
                         source=source, checked_on=checked), area)
        for key, p_key, d_key, stage, nom, count, area, c_id, source, checked in page
    ]  # fmt: skip


async def areas(connection: AsyncConnection) -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent) of the areas that elections and districts name."""
    named = union(select(E.c.area_code), select(district_areas.c.area_code)).subquery()
    result = await connection.execute(
        select(A.c.code, A.c.name, A.c.level, A.c.parent_code)
        .where(A.c.code.in_(select(named.c[0])))
        .order_by(A.c.code)
    )
    return [(code, name, level, parent) for code, name, level, parent in result]


async def area_names(connection: AsyncConnection, codes: Sequence[str]) -> dict[str, str]:
    result = await connection.execute(select(A.c.code, A.c.name).where(A.c.code.in_(codes)))
    return {code: name for code, name in result}
