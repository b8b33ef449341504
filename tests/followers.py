"""Many followers of one county and a date change announced to them, for the shared-budget
tests and ``benchmarks.broadcast``: as /setdate does it, through ``handlers.triggers``."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.i18n import Catalogs
from handlers.triggers import Moment, tell_dates
from storage.models import Election, Subscription
from storage.unit import unit_factory

#: 进贤县 of the demo data, with an election on 2026-12-18.
COUNTY = "360124"
#: The day the tests and the benchmark pretend it is.
TODAY = date(2026, 11, 28)
#: Chat ids of followers: FIRST_CHAT, FIRST_CHAT + 1, …
FIRST_CHAT = 7_000_000_000
#: Every fifth follower reads English.
ENGLISH_EVERY = 5
CHUNK = 5_000


def chats(count: int) -> list[int]:
    return [FIRST_CHAT + n for n in range(count)]


async def follow(engine: AsyncEngine, count: int, platform: str = "telegram") -> None:
    """``count`` chats follow the county, in chunks of one statement each."""
    rows = [
        {"platform": platform, "chat_id": str(chat), "area_code": COUNTY, "language": language}
        for n, chat in enumerate(chats(count))
        for language in ["en" if n % ENGLISH_EVERY == 0 else "zh_CN"]
    ]
    for start in range(0, len(rows), CHUNK):
        async with engine.begin() as connection:
            await connection.execute(insert(Subscription), rows[start : start + CHUNK])


async def announce_new_day(
    engine: AsyncEngine, day: date = date(2026, 12, 20)
) -> tuple[int, float]:
    """Move the county's election day to ``day`` and tell its followers, in one
    transaction as /setdate does; returns how many alerts were queued and the seconds
    queuing them took (the transaction's commit included)."""
    async with unit_factory(engine)() as unit:
        election_id = await unit.session.scalar(
            select(Election.id).where(Election.area_code == COUNTY)
        )
        assert election_id is not None, "the demo data has no election for the county"
        await unit.session.execute(
            update(Election).where(Election.id == election_id).values(election_day=day)
        )
    started = time.perf_counter()
    async with unit_factory(engine)() as unit:
        queued = await tell_dates(
            unit.session, Catalogs(), election_id, ["election_day"], Moment(TODAY)
        )
    return queued, time.perf_counter() - started
