"""Who wants to hear about an area's election dates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.areas import ancestors
from storage.models import Area, Subscription


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


async def subscribers_for(session: AsyncSession, area_code: str) -> list[Subscriber]:
    """Everyone following the area or a place that contains it."""
    codes = [area.code for area in await ancestors(session, area_code)]
    rows = await session.scalars(select(Subscription).where(Subscription.area_code.in_(codes)))
    return [Subscriber(s.platform, s.chat_id, s.language) for s in rows]


async def subscribers_within(
    session: AsyncSession, area_code: str, language: str | None = None
) -> list[Subscriber]:
    """Everyone following the area or a place inside it (a county's townships, a
    province's counties and townships), each chat once however many of those places it
    follows; with ``language``, only chats that use it. Ordered by platform and chat."""
    inside = select(Area.code).where(Area.code == area_code).cte("inside", recursive=True)
    inside = inside.union_all(select(Area.code).where(Area.parent_code == inside.c.code))
    query = select(Subscription).where(Subscription.area_code.in_(select(inside.c.code)))
    if language is not None:
        query = query.where(Subscription.language == language)
    rows = await session.scalars(
        query.order_by(Subscription.platform, Subscription.chat_id, Subscription.id)
    )
    chats: dict[tuple[str, str], Subscriber] = {}
    for row in rows:
        chats.setdefault(
            (row.platform, row.chat_id), Subscriber(row.platform, row.chat_id, row.language)
        )
    return list(chats.values())
