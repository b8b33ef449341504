"""The reminders' schedule: every hour, once the morning hour has come in China, queue
what is due today (``handlers.reminders``); what went out already is not sent again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.i18n import Catalogs
from bot.schedule import Every
from handlers.reminders import queue_reminders
from storage.unit import unit_factory

CHINA = ZoneInfo("Asia/Shanghai")


async def send_due(
    engine: AsyncEngine, catalogs: Catalogs, hour: int, now: Callable[[], datetime]
) -> int:
    local = now().astimezone(CHINA)
    if local.hour < hour:
        return 0
    async with unit_factory(engine)() as unit:
        return await queue_reminders(unit.session, catalogs, local.date())


def reminder_schedule(
    engine: AsyncEngine, settings: Settings, now: Callable[[], datetime] | None = None
) -> Every:
    catalogs = Catalogs()
    clock = now or (lambda: datetime.now(UTC))
    return Every(
        "reminders",
        timedelta(minutes=30),
        lambda: send_due(engine, catalogs, settings.reminder_hour, clock),
    )
