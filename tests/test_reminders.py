"""Deadline reminders with a fixed clock, on SQLite and PostgreSQL: 3 days and 1 day
before each milestone, the eve of election day, a neutral note on the day (Art. 34);
each once, after a restart too; a changed date reschedules them; in the follower's
language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from bot.app import App
from bot.config import Settings
from bot.core.i18n import Catalogs
from bot.core.replies import Reply
from bot.reminders import reminder_schedule, send_due
from handlers.reminders import queue_reminders
from storage.models import Election, OutboxMessage
from storage.subscriptions import subscribe
from storage.unit import unit_factory

HAIDIAN = "110108"


async def _set_day(app: App, day: date) -> None:
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(Election).where(Election.area_code == HAIDIAN).values(election_day=day)
        )


async def _follow(app: App, chat: str, language: str) -> None:
    async with unit_factory(app.engine)() as unit:
        await subscribe(unit.session, "memory", chat, HAIDIAN, language)


async def _run(app: App, today: date) -> int:
    async with unit_factory(app.engine)() as unit:
        return await queue_reminders(unit.session, Catalogs(), today)


async def _texts(app: App, chat: str) -> list[str]:
    async with unit_factory(app.engine)() as unit:
        bodies = await unit.session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.chat_id == chat)
            .order_by(OutboxMessage.id)
        )
        return [Reply.from_json(body).text.plain for body in bodies]


async def test_reminders_three_days_and_one_day_before_each_milestone(app: App) -> None:
    await _set_day(app, date(2026, 12, 20))
    await _follow(app, "en-reader", "en")
    await _follow(app, "zh-reader", "zh_CN")
    # 2026-12-12: the official list is due tomorrow (Art. 32, 7 days before), the last
    # day to take a roll complaint to court in 3 days (Art. 29, 5 days before).
    assert await _run(app, date(2026, 12, 12)) == 4
    english = await _texts(app, "en-reader")
    assert any("tomorrow, December 13, 2026 (Election Law Art. 32)" in t for t in english), english
    assert any("December 15, 2026 (Election Law Art. 29): in 3 days" in t for t in english), english
    chinese = await _texts(app, "zh-reader")
    assert any("2026年12月13日" in t and "第三十二条" in t for t in chinese), chinese


async def test_each_reminder_goes_out_once_even_after_a_restart(app: App) -> None:
    await _set_day(app, date(2026, 12, 20))
    await _follow(app, "reader", "en")
    assert await _run(app, date(2026, 12, 12)) == 2
    assert await _run(app, date(2026, 12, 12)) == 0
    # A new schedule (a restarted process) finds them recorded too.
    schedule_now = datetime(2026, 12, 12, 3, 0, tzinfo=UTC)  # 11:00 in Beijing
    assert await send_due(app.engine, Catalogs(), 9, lambda: schedule_now) == 0


async def test_a_changed_date_reschedules_the_reminders(app: App) -> None:
    await _set_day(app, date(2026, 12, 20))
    await _follow(app, "reader", "en")
    await _run(app, date(2026, 12, 12))
    await _set_day(app, date(2026, 12, 27))  # postponed a week: the lists move too
    assert await _run(app, date(2026, 12, 17)) == 1  # the official list, in 3 days
    latest = (await _texts(app, "reader"))[-1]
    assert "December 20, 2026 (Election Law Art. 32): in 3 days" in latest


async def test_the_eve_and_a_neutral_note_on_election_day(app: App) -> None:
    await _set_day(app, date(2026, 12, 20))
    await _follow(app, "reader", "en")
    await _run(app, date(2026, 12, 19))
    await _run(app, date(2026, 12, 20))
    eve, day = (await _texts(app, "reader"))[-2:]
    assert "Tomorrow, December 20, 2026, is election day in 海淀区" in eve
    assert day.startswith("Today is election day in 海淀区 (Election Law Art. 34")
    assert "candidate" not in day.replace("no candidate is introduced", "")


async def test_nothing_before_the_morning_hour_in_china(app: App) -> None:
    await _set_day(app, date(2026, 12, 20))
    await _follow(app, "reader", "en")
    early = datetime(2026, 12, 11, 23, 0, tzinfo=UTC)  # 07:00 on the 12th in Beijing
    assert await send_due(app.engine, Catalogs(), 9, lambda: early) == 0
    later = datetime(2026, 12, 12, 1, 30, tzinfo=UTC)  # 09:30
    assert await send_due(app.engine, Catalogs(), 9, lambda: later) == 2
    assert reminder_schedule(app.engine, Settings()).name == "reminders"
