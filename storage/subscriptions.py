"""Who wants to hear about an area's elections: its dates, candidacies, candidates'
updates and published incidents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.areas import ancestors
from storage.models import (
    Area,
    Candidacy,
    Election,
    ElectoralDistrict,
    Person,
    Subscription,
    district_areas,
)


@dataclass(frozen=True, slots=True)
class Subscriber:
    platform: str
    chat_id: str
    language: str


async def subscribe(
    session: AsyncSession, platform: str, chat_id: str, area_code: str, language: str
) -> bool:
    """True if new; an existing subscription only changes its language."""
    row = await session.scalar(
        select(Subscription).where(
            Subscription.platform == platform,
            Subscription.chat_id == chat_id,
            Subscription.area_code == area_code,
        )
    )
    if row is not None:
        row.language = language
        return False
    session.add(
        Subscription(platform=platform, chat_id=chat_id, area_code=area_code, language=language)
    )
    return True


async def unsubscribe(session: AsyncSession, platform: str, chat_id: str, area_code: str) -> int:
    result = await session.execute(
        delete(Subscription).where(
            Subscription.platform == platform,
            Subscription.chat_id == chat_id,
            Subscription.area_code == area_code,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_chat(session: AsyncSession, platform: str, chat_id: str) -> int:
    """Delete every subscription of a chat that is gone for the bot; returns how many."""
    result = await session.execute(
        delete(Subscription).where(
            Subscription.platform == platform, Subscription.chat_id == chat_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def set_language(session: AsyncSession, platform: str, chat_id: str, language: str) -> None:
    """Alerts follow the chat's language when it changes."""
    await session.execute(
        update(Subscription)
        .where(Subscription.platform == platform, Subscription.chat_id == chat_id)
        .values(language=language)
    )


async def count_for_chat(session: AsyncSession, platform: str, chat_id: str) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Subscription.platform == platform, Subscription.chat_id == chat_id
        )
    )
    return int(count or 0)


async def areas_of(session: AsyncSession, platform: str, chat_id: str) -> list[tuple[str, str]]:
    """(code, name) of the areas a chat follows."""
    rows = await session.execute(
        select(Area.code, Area.name)
        .join(Subscription, Subscription.area_code == Area.code)
        .where(Subscription.platform == platform, Subscription.chat_id == chat_id)
        .order_by(Area.code)
    )
    return [(code, name) for code, name in rows]


def following(codes: Iterable[str]) -> ColumnElement[bool]:
    """The subscriptions to any of ``codes``."""
    return Subscription.area_code.in_(list(codes))


def following_within(area_code: str, language: str | None = None) -> ColumnElement[bool]:
    """The subscriptions to the area or a place inside it (a county's townships, a
    province's counties and townships); with ``language``, only those using it."""
    inside = select(Area.code).where(Area.code == area_code).cte("inside", recursive=True)
    inside = inside.union_all(select(Area.code).where(Area.parent_code == inside.c.code))
    condition: ColumnElement[bool] = Subscription.area_code.in_(select(inside.c.code))
    if language is not None:
        condition = and_(condition, Subscription.language == language)
    return condition


async def chats_by_platform(session: AsyncSession, where: ColumnElement[bool]) -> dict[str, int]:
    """How many chats (not subscriptions) ``where`` selects, by platform."""
    chats = select(Subscription.platform, Subscription.chat_id).where(where).distinct().subquery()
    rows = await session.execute(
        select(chats.c.platform, func.count()).group_by(chats.c.platform).order_by(chats.c.platform)
    )
    return {platform: int(count) for platform, count in rows}


async def languages(session: AsyncSession, where: ColumnElement[bool]) -> list[str]:
    """The languages of the subscriptions ``where`` selects."""
    found = await session.scalars(
        select(Subscription.language).where(where).distinct().order_by(Subscription.language)
    )
    return list(found)


async def follower_codes(session: AsyncSession, places: Iterable[str]) -> set[str]:
    """``places`` and every place containing one: whose followers hear of them."""
    codes: set[str] = set()
    for code in places:
        codes.update(area.code for area in await ancestors(session, code))
    return codes


async def followers(session: AsyncSession, places: Iterable[str]) -> list[Subscriber]:
    """Everyone following any of ``places`` or a place containing one, each chat once
    (a chat following a township and its county is one follower)."""
    codes = await follower_codes(session, places)
    rows = await session.scalars(
        select(Subscription).where(following(codes)).order_by(Subscription.id)
    )
    chats: dict[tuple[str, str], Subscriber] = {}
    for s in rows:
        chats.setdefault((s.platform, s.chat_id), Subscriber(s.platform, s.chat_id, s.language))
    return list(chats.values())


async def election_places(
    session: AsyncSession, election_id: int, district_id: int | None = None
) -> tuple[str, ...]:
    """The election's own place and the places its districts (or one district) cover: a
    township's followers hear of the county election whose district covers it."""
    own = await session.scalar(select(Election.area_code).where(Election.id == election_id))
    covered = select(district_areas.c.area_code).join(
        ElectoralDistrict, ElectoralDistrict.id == district_areas.c.district_id
    )
    if district_id is None:
        covered = covered.where(ElectoralDistrict.election_id == election_id)
    else:
        covered = covered.where(ElectoralDistrict.id == district_id)
    codes = [own] if own else []
    codes += [code for code in await session.scalars(covered.order_by(district_areas.c.area_code))]
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True, slots=True)
class CandidacyPlace:
    """Where a candidacy stands, for telling that place's followers."""

    name: str
    district: str
    election_id: int
    area_name: str
    election_day: date | None
    places: tuple[str, ...]


async def candidacy_place(session: AsyncSession, candidacy_id: int) -> CandidacyPlace | None:
    row = (
        await session.execute(
            select(Person.name, ElectoralDistrict, Election.election_day, Area.name)
            .select_from(Candidacy)
            .join(Person, Person.id == Candidacy.person_id)
            .join(ElectoralDistrict, ElectoralDistrict.id == Candidacy.district_id)
            .join(Election, Election.id == ElectoralDistrict.election_id)
            .join(Area, Area.code == Election.area_code)
            .where(Candidacy.id == candidacy_id)
        )
    ).first()
    if row is None:
        return None
    name, district, day, area_name = row
    places = await election_places(session, district.election_id, district.id)
    return CandidacyPlace(name, district.name, district.election_id, area_name, day, places)
