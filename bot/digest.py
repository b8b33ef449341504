"""The moderators' digest: how many reports and answers arrived, every few minutes.

Announcing each report as it arrives would tell the room's homeserver (and Telegram,
for a Telegram group) when someone filed one, to the second. The digest says only how
many arrived since the last one, at the schedule's own times (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import moderation_room
from bot.config import Settings
from bot.core.i18n import Catalogs
from bot.schedule import Every
from handlers.announce import digest
from storage.digest import ReportNews, news_since_last
from storage.outbox import enqueue
from storage.unit import unit_factory


async def send_digest(engine: AsyncEngine, room: tuple[str, str], catalogs: Catalogs) -> ReportNews:
    """Queue a digest of what arrived since the last one, if anything did."""
    async with unit_factory(engine)() as unit:
        news = await news_since_last(unit.session)
        if news:
            await enqueue(unit.session, room[0], room[1], digest(catalogs, news).to_json())
    return news


def digest_schedule(engine: AsyncEngine, settings: Settings) -> Every | None:
    """The digest every ``digest_minutes``, or None without a moderators' room."""
    room = moderation_room(settings)
    if room is None:
        return None
    catalogs = Catalogs()
    return Every(
        "digest",
        timedelta(minutes=settings.digest_minutes),
        lambda: send_digest(engine, room, catalogs),
        at_start=False,
    )
