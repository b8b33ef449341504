"""Finding 3 of the seizure review: the moderators' room hears of reports only in a
digest, at the schedule's times, with counts and no kind, no time and no sender; and
nothing about a report is written to the outbox when it is filed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.config import Settings
from bot.core.i18n import Catalogs
from bot.delivery import OutboxPump
from bot.digest import digest_schedule, send_digest
from storage.models import OutboxMessage
from tests.staffed import ROOM, attached, staffed_app
from tests.test_reports import DESCRIPTION, SENDER, file_a_report


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


@pytest.fixture
def chat(bot: App) -> MemoryAdapter:
    return attached(bot)


async def _outbox(app: App) -> list[dict[str, object]]:
    async with app.engine.connect() as connection:
        return list(await connection.scalars(select(OutboxMessage.body)))


async def test_filing_a_report_writes_nothing_to_the_outbox(bot: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    assert await _outbox(bot) == []


async def test_the_digest_counts_reports_and_answers_without_kind_time_or_sender(
    bot: App, chat: MemoryAdapter
) -> None:
    receipt = await file_a_report(chat, photo=False)
    await file_a_report(chat, photo=False, place="海淀区")
    await chat.say(f"/status {receipt}", user=SENDER)
    await chat.press("rstat:add", user=SENDER)
    await chat.say("He called again this morning.", user=SENDER)
    news = await send_digest(bot.engine, ROOM, Catalogs())
    assert (news.new, news.quarantined, news.answered) == (2, 0, 1)
    before = len(chat.sent)
    assert await OutboxPump(bot.engine, chat).once() == 1
    announced = chat.sent[before]
    assert (announced.chat.platform, announced.chat.id) == ROOM
    text = announced.reply.text.plain
    assert "新举报 2 件" in text and "举报人回复 1 条" in text
    assert "new reports: 2; in quarantine: 0; answers from reporters: 1" in text
    for revealing in ("Threatening", "威胁", "西湖", "海淀", DESCRIPTION, SENDER, ":"):
        if revealing == ":":  # no clock time, in either language
            assert not any(ch.isdigit() and text[i + 1 : i + 2] == ":" for i, ch in
                           enumerate(text)), text  # fmt: skip
        else:
            assert revealing not in text
    assert await _outbox(bot) == [], "a delivered digest is gone"


async def test_an_empty_interval_sends_no_digest(bot: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    await send_digest(bot.engine, ROOM, Catalogs())
    again = await send_digest(bot.engine, ROOM, Catalogs())
    assert not again
    async with bot.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_digest_runs_at_the_configured_interval_and_only_with_a_room(bot: App) -> None:
    assert digest_schedule(bot.engine, Settings()) is None
    schedule = digest_schedule(
        bot.engine, Settings(moderation_room="matrix:!room:example.org", digest_minutes=15)
    )
    assert schedule is not None and schedule.interval.total_seconds() == 15 * 60
